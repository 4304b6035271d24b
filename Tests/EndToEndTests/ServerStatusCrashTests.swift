import Foundation
import Testing

/// server-status and /metrics under the supervising parent: a child crash and reloads
/// show as Apache's scoreboard would show them, with isapid's restart count and cause.
@Suite struct ServerStatusCrashTests {
    static func start() throws -> DaemonProcess {
        try ISAPITests.start(
            [], config: { ISAPITests.config($0, extra: "ThreadsPerChild 4\n" + ServerStatusTests.locations) }
        ) {
            root in try ISAPITests.installMisbehaving("crash", into: root)
        }
    }

    static func number(_ key: String, _ text: String) -> Int? {
        ServerStatusTests.value(key, in: text).flatMap { Int($0) }
    }

    /// The line of a /metrics page that starts with `series` (name and labels), its value.
    static func metric(_ series: String, _ text: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap {
            Double($0.dropFirst(series.count + 1))
        }
    }

    @Test func aCrashAndReloadsShowAsApachesFiguresDo() throws {
        let daemon = try Self.start()
        defer { daemon.stop() }
        let crashPath = daemon.root.path("htdocs/scripts/crash.dll")
        for _ in 0..<3 { #expect(try daemon.get("/scripts/crash.dll?hello").status == 200) }
        // A request is counted when its access-log line is written, just after its last
        // byte went out: the count may lag the client by a moment.
        var before = ""
        #expect(
            eventually(timeout: 5) {
                before = (try? ServerStatusTests.auto(daemon)) ?? ""
                return Self.number("Total Accesses", before) ?? 0 >= 3
            }, "\(before)")
        #expect(Self.number("ISAPIChildRestarts", before) == 0)
        #expect(before.contains("ISAPIExtension: \(crashPath) per-request calls=3 errors=0 crashes=0"), "\(before)")
        let restartTime = ServerStatusTests.value("RestartTime", in: before)

        try CrashRecoveryTests.crash(daemon, "segv")
        var after = ""
        #expect(
            eventually(timeout: 10) {
                after = (try? ServerStatusTests.auto(daemon)) ?? ""
                return Self.number("ISAPIChildRestarts", after) == 1
            }, "\(after)")
        // Kept by the parent's shared figures: the accesses (3, and the status request),
        // the restart time, the uptime from the parent's start; and the cause.
        #expect(Self.number("Total Accesses", after) ?? 0 >= 4, "\(after)")
        #expect(ServerStatusTests.value("RestartTime", in: after) == restartTime)
        #expect(Self.number("ParentServerConfigGeneration", after) == 1)
        let cause = ServerStatusTests.value("ISAPIChildRestart0", in: after) ?? ""
        #expect(
            cause.contains(
                "exit signal Segmentation fault (11) in \(crashPath) serving \"GET /scripts/crash.dll?segv HTTP/1.1"),
            "\(after)")
        #expect(after.contains("ISAPIExtension: \(crashPath) per-request calls=0 errors=0 crashes=1"), "\(after)")

        // The last status request may not be counted yet (see above): ask until it is. Each
        // earlier /metrics request raises the bar by one, so they cannot make up the count.
        var metrics = try daemon.get("/metrics")
        var earlierMetricsRequests = 0
        #expect(
            eventually(timeout: 5) {
                defer { earlierMetricsRequests += 1 }
                if earlierMetricsRequests > 0 { metrics = (try? daemon.get("/metrics")) ?? metrics }
                return Self.metric("isapid_accesses_total", metrics.bodyText) ?? 0 >= Double(5 + earlierMetricsRequests)
            }, "\(metrics.bodyText)")
        #expect(metrics.status == 200)
        #expect(metrics.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
        #expect(Self.metric("isapid_child_restarts_total", metrics.bodyText) == 1, "\(metrics.bodyText)")
        #expect(Self.metric("isapid_extension_crashes_total{extension=\"\(crashPath)\"}", metrics.bodyText) == 1)
        if let promtool = MetricsPromtool.path {
            let result = try MetricsPromtool.check(promtool, metrics.bodyText)
            #expect(result.status == 0 && result.output.isEmpty, "promtool: \(result.output)")
        } else {
            print("SKIPPED promtool check of the live /metrics: \(MetricsPromtool.missing)")
        }

        // SIGUSR1 (graceful): the generation moves; the restart time and totals stay.
        let accesses = Self.number("Total Accesses", try ServerStatusTests.auto(daemon)) ?? 0
        daemon.sendSignal(SIGUSR1)
        var graceful = ""
        #expect(
            eventually(timeout: 10) {
                graceful = (try? ServerStatusTests.auto(daemon)) ?? ""
                return Self.number("ParentServerConfigGeneration", graceful) == 2
            }, "\(graceful)")
        #expect(Self.number("ParentServerMPMGeneration", graceful) == 1)
        #expect(ServerStatusTests.value("RestartTime", in: graceful) == restartTime)
        #expect(Self.number("Total Accesses", graceful) ?? 0 >= accesses, "kept across SIGUSR1: \(graceful)")
        #expect(Self.number("ISAPIChildRestarts", graceful) == 1)

        // SIGHUP (restart): Apache starts its scoreboard again: totals from zero, a new restart time.
        let total = Self.number("Total Accesses", graceful) ?? 0
        daemon.sendSignal(SIGHUP)
        var restarted = ""
        #expect(
            eventually(timeout: 10) {
                restarted = (try? ServerStatusTests.auto(daemon)) ?? ""
                return Self.number("ParentServerConfigGeneration", restarted) == 3
            }, "\(restarted)")
        #expect(Self.number("Total Accesses", restarted) ?? .max < total, "\(restarted)")
        #expect(Self.number("ISAPIChildRestarts", restarted) == 1)
    }
}

/// promtool, for the end-to-end /metrics check (Debian's prometheus package).
enum MetricsPromtool {
    static let path = ["/usr/bin/promtool", "/usr/local/bin/promtool"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }
    static let missing = "promtool is not installed (Debian's prometheus package, in `make test-deps`)"

    static func check(_ promtool: String, _ text: String) throws -> (status: Int32, output: String) {
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
