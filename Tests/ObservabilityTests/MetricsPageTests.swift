import CrashBoard
import Foundation
import Testing

@testable import Observability

/// /metrics in the text exposition format, checked by Prometheus's own `promtool check
/// metrics` where Debian's `prometheus` package is installed (skipped, with the reason
/// printed, where it is not).
@Suite struct MetricsPageTests {
    static let promtool = ["/usr/bin/promtool", "/usr/local/bin/promtool"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    /// A page with something in every family.
    static func page() -> String {
        let figures = ServerFigures()
        figures.requests.ended(method: "GET", status: 200, bytesIn: 0, bytesOut: 10, durationMicroseconds: 900)
        figures.requests.ended(method: "POST", status: 500, bytesIn: 42, bytesOut: 0, durationMicroseconds: 90_000)
        figures.requests.ended(method: "BREW", status: 404, bytesIn: 0, bytesOut: 0, durationMicroseconds: 1)
        figures.extensions.figures(for: "/srv/a \"quoted\".dll").measure { .failed }
        figures.extensions.figures(for: "/srv/b.dll").measure { .succeeded }
        return MetricsPage.render(StatusPageTests.snapshot(), figures: figures)
    }

    @Test func familiesAndValues() {
        let text = Self.page()
        for line in [
            "# TYPE isapid_requests_total counter",
            #"isapid_requests_total{method="GET",status_class="2xx"} 1"#,
            #"isapid_requests_total{method="other",status_class="4xx"} 1"#,
            "isapid_accesses_total 6",
            "isapid_child_restarts_total 2",
            #"isapid_extension_crashes_total{extension="/srv/crash.dll"} 2"#,
            #"isapid_rewrite_rule_hits_total{rule="/etc/isapid/httpd.conf:12"} 3"#,
            "isapid_request_bytes_total 42",
            #"isapid_connections{state="K"} 2.0"#,
            "# TYPE isapid_request_duration_seconds histogram",
            #"isapid_request_duration_seconds_bucket{le="0.001"} 2"#,
            #"isapid_request_duration_seconds_bucket{le="+Inf"} 3"#,
            "isapid_request_duration_seconds_count 3",
            #"isapid_extension_duration_seconds_count{extension="/srv/a \"quoted\".dll"} 1"#,
        ] {
            #expect(text.contains(line + "\n"), "missing: \(line)\n\(text)")
        }
    }

    /// Skipped, and reported so by the test run with this reason, without promtool.
    static let promtoolMissing =
        "promtool is not installed (Debian's prometheus package, in `make test-deps`): /metrics is not checked by promtool"

    @Test(.enabled(if: promtool != nil, Comment(rawValue: promtoolMissing)))
    func promtoolAcceptsTheMetrics() throws {
        let promtool = try #require(Self.promtool)
        let result = try PromtoolCheck.run(promtool, Self.page())
        #expect(result.status == 0, "promtool check metrics: \(result.output)")
        #expect(result.output.isEmpty, "promtool check metrics: \(result.output)")
    }
}

/// `promtool check metrics` with the page on its standard input.
enum PromtoolCheck {
    static func run(_ promtool: String, _ text: String) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: promtool)
        process.arguments = ["check", "metrics"]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
