import Foundation
import Testing

/// The differential conformance suite for mod_rewrite syntax: isapid against the answers
/// Apache httpd 2.4 gave to the same corpus (Tests/RewriteDifferential/recorded/apache.jsonl,
/// committed), so no Apache is needed here. The runner, `Tests/RewriteDifferential/run.py
/// compare`, starts isapid per suite with the configuration it writes for Apache, sends
/// every request as raw bytes and compares status, Location, the served file, the echo
/// program's variables, the missing file of a 404 and what a [P] upstream received.
///
/// Needs python3 and a C compiler (for the echo extension), as the other end-to-end tests do;
/// no Apache: its answers are recorded (`make test` also runs the live comparison).
@Suite struct RewriteDifferentialTests {
    static let directory = E2EPaths.packageRoot.appendingPathComponent("Tests/RewriteDifferential")

    @Test func isapidAnswersLikeApache() throws {
        let result = try Self.runCompare(timeout: 900)
        guard let data = result.stdout.data(using: .utf8),
              let summary = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            Issue.record("run.py compare printed no JSON summary (exit \(result.status))\nstdout: \(result.stdout.suffix(4000))\nstderr: \(result.stderr.suffix(4000))")
            return
        }
        if let error = summary["error"] as? String {
            Issue.record("run.py compare: \(error)")
            return
        }
        let requests = summary["requests"] as? Int ?? 0
        let passed = summary["passed"] as? Int ?? 0
        let failed = summary["failed"] as? Int ?? 0
        let stale = summary["stale"] as? Int ?? 0
        let differences = summary["differences"] as? Int ?? 0
        print("rewrite differential: \(passed) of \(requests) requests answered like Apache, \(failed) differently, \(differences) known differences skipped, \(stale) without a recorded answer")

        // One issue per suite that failed to start, then one per differing request.
        for entry in summary["errors"] as? [[String: Any]] ?? [] {
            Issue.record("suite \(entry["suite"] ?? "?"): \(entry["error"] ?? "?")")
        }
        let failedSuites = Set((summary["errors"] as? [[String: Any]] ?? []).compactMap { $0["suite"] as? String })
        for failure in summary["failures"] as? [[String: Any]] ?? [] {
            let suite = failure["suite"] as? String ?? "?"
            if failedSuites.contains(suite) { continue }
            var text = "\(suite) #\(failure["index"] ?? "?") \(failure["request"] ?? "")"
            if let reason = failure["reason"] as? String {
                text += "\n  \(reason)"
            } else {
                text += "\n  apache \(Self.json(failure["expected"]))\n  isapid \(Self.json(failure["actual"]))"
            }
            Issue.record(Comment(rawValue: text))
        }
        #expect(failed == 0 && stale == 0, "\(failed) requests answered differently, \(stale) without a recorded answer")
        #expect(requests >= 300)
    }

    static func json(_ value: Any?) -> String {
        guard let value, JSONSerialization.isValidJSONObject(value),
              let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]) else {
            return String(describing: value)
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// `python3 run.py compare --isapid <the isapid the tests built> --json`.
    static func runCompare(timeout: Double) throws -> CommandResult {
        try runPython(directory.appendingPathComponent("run.py"), ["compare", "--isapid", E2EPaths.isapidBinary.path, "--json"], timeout: timeout)
    }
}
