import Foundation
import ISAPIHost
import Synchronization

/// filter_probe.c compiled with `defines` (cc -D...), once per variant per test process;
/// each call returns a fresh copy (its own dlopen, its own "<copy>.log").
enum FilterFixture {
    private static let built = Mutex<[String: URL]>([:])
    private static let copies = Atomic<Int>(0)

    static func copy(_ defines: [String] = []) -> String {
        let key = defines.joined(separator: " ")
        let original = built.withLock { cache -> URL in
            if let url = cache[key] { return url }
            let fixtures = Fixture.repositoryRoot.appendingPathComponent("Tests/ISAPIHostTests/Fixtures")
            let include = Fixture.repositoryRoot.appendingPathComponent("Sources/CISAPI/include")
            let output = Fixture.workDirectory.appendingPathComponent("filter-\(cache.count).dll")
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments =
                ["cc", "-shared", "-fPIC", "-Wall", "-I", include.path, "-I", fixtures.path]
                + defines.map { "-D" + $0 } + [
                    fixtures.appendingPathComponent("filter_probe.c").path, "-o", output.path,
                ]
            try! process.run()
            process.waitUntilExit()
            precondition(process.terminationStatus == 0, "cc failed for filter_probe.c \(key)")
            cache[key] = output
            return output
        }
        let number = copies.wrappingAdd(1, ordering: .relaxed).newValue
        let destination = Fixture.workDirectory.appendingPathComponent("filter-copy-\(number).dll")
        try! FileManager.default.copyItem(at: original, to: destination)
        return destination.path
    }
}

/// A request side for notifications: headers in a dictionary, a few server variables.
final class FakeFilterHost: FilterRequestHost, @unchecked Sendable {
    var headers: [String: String]
    var variables: [String: String] = ["REMOTE_ADDR": "192.0.2.7"]

    init(headers: [String: String] = [:]) { self.headers = headers }

    var requestLine: FilterRequestLine {
        FilterRequestLine(method: "GET", target: "/", versionMajor: 1, versionMinor: 1, client: "192.0.2.7")
    }
    func serverVariable(_ name: String) -> String? { variables[name] }
    func header(_ name: String) -> String? { headers[name.lowercased()] }

    func setHeader(_ name: String, _ value: String) -> Bool {
        headers[name.lowercased()] = value.isEmpty ? nil : value
        return true
    }

    func addHeader(_ name: String, _ value: String) -> Bool {
        headers[name.lowercased()] = (headers[name.lowercased()].map { $0 + "," } ?? "") + value
        return true
    }

    func normalizeURL(_ url: String) -> String? {
        // Enough for the probe: dot-segments and %41.
        var parts: [Substring] = []
        for part in url.replacingOccurrences(of: "%41", with: "A").split(
            separator: "/", omittingEmptySubsequences: false)
        {
            if part == "." { continue }
            if part == ".." { _ = parts.popLast() } else { parts.append(part) }
        }
        return parts.joined(separator: "/")
    }
}
