import Foundation
import Testing

/// The raw-request conformance corpus (Tests/Conformance/corpus/*.json): byte-exact
/// requests (request-line and header syntax, Content-Length / Transfer-Encoding framing and
/// smuggling attempts, limits) replayed by `Tests/Conformance/run.py` against the isapid the
/// tests built; every answer must meet its case's expectation (cases marked `known_bug`
/// are reported, not failed). Needs python3 only.
@Suite struct ConformanceCorpusTests {
    static let directory = E2EPaths.packageRoot.appendingPathComponent("Tests/Conformance")

    @Test func corpusAnswersAsExpected() throws {
        let result = try Self.runCorpus(timeout: 50)
        guard let data = result.stdout.data(using: .utf8),
              let summary = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            Issue.record("run.py printed no JSON summary (exit \(result.status))\nstdout: \(result.stdout.suffix(4000))\nstderr: \(result.stderr.suffix(4000))")
            return
        }
        if let error = summary["error"] as? String {
            Issue.record("run.py: \(error)")
            return
        }
        let cases = summary["cases"] as? Int ?? 0
        let passed = summary["passed"] as? Int ?? 0
        let failed = summary["failed"] as? Int ?? 0
        let knownBugs = summary["known_bugs"] as? Int ?? 0
        print("conformance corpus: \(passed) of \(cases) cases as expected, \(failed) unexpected, \(knownBugs) known bugs")
        for failure in summary["failures"] as? [[String: Any]] ?? [] {
            let expect = (failure["expect"] as? [String] ?? []).joined(separator: " ")
            Issue.record(Comment(rawValue: "\(failure["file"] ?? "?") \(failure["name"] ?? "?"): expected \(expect), got \(failure["actual"] ?? "?")"))
        }
        #expect(failed == 0, "\(failed) cases answered unexpectedly")
        #expect(summary["server_alive"] as? Bool ?? false, "isapid exited during the run")
        #expect(cases >= 500)
    }

    /// `python3 Tests/Conformance/run.py --isapid <the isapid the tests built> --json`.
    static func runCorpus(timeout: Double) throws -> CommandResult {
        try runPython(directory.appendingPathComponent("run.py"), ["--isapid", E2EPaths.isapidBinary.path, "--json"], timeout: timeout)
    }
}
