import CrashBoard
import Foundation
import Testing

@testable import Observability

/// The `?auto` form, field by field, as Apache 2.4.71's mod_status prints it (event MPM),
/// and the formats it uses.
@Suite struct StatusPageTests {
    static func facts(extendedStatus: Bool = true) -> StatusSnapshot.ServerFacts {
        StatusSnapshot.ServerFacts(
            serverName: "localhost", serverVersion: "isapid/0.1.0 (Linux)", serverBuilt: "2026-11-12T08:58:41",
            extendedStatus: extendedStatus, threadsPerChild: 4, maxConnections: 10_000,
            cachedExtensions: ["/srv/cached.dll"], stopping: false,
            rewriteHits: [(location: "/etc/isapid/httpd.conf:12", hits: 3)])
    }

    static func snapshot(accesses: UInt64 = 6, uptime: Int64 = 3, extendedStatus: Bool = true) -> StatusSnapshot {
        let now: Int64 = 1_796_000_000_000_000
        return StatusSnapshot(
            facts: facts(extendedStatus: extendedStatus), nowMicroseconds: now,
            restartMicroseconds: now - uptime * 1_000_000, parentStartMicroseconds: now - 100_000_000, generation: 2,
            totals: SharedFigures.RequestTotals(
                accesses: accesses, bytes: 10 * 1024 + 100, durationMicroseconds: 7_500),
            load: (0.5, 0.25, 0.125), cpu: (0, 0, 0, 0),
            connections: [.sending, .keepAlive, .keepAlive, .reading], connectionsAccepted: 9, poolBusy: 0,
            poolQueued: 0,
            extensions: [
                StatusSnapshot.ExtensionLine(
                    path: "/srv/crash.dll", cached: false, calls: 5, errors: 1, crashes: 2,
                    inFlight: 0, p50: 0.001, p99: 0.25)
            ],
            childRestarts: 2,
            recentRestarts: [
                SharedFigures.Restart(
                    timeMicroseconds: now, signal: 11, cause: "exit signal Segmentation fault (11)",
                    extensionPath: "/srv/crash.dll")
            ],
            tlsHandshakes: 0)
    }

    /// The keys of a `?auto` answer, in order (the first line, the server name, has none).
    static func keys(_ text: String) -> [String] {
        text.split(separator: "\n").dropFirst().compactMap { line in
            line.firstRange(of: ": ").map { String(line[..<$0.lowerBound]) }
                ?? (line.hasSuffix(":") ? String(line.dropLast()) : nil)
        }
    }

    /// Apache 2.4.71's `?auto` keys (event MPM, ExtendedStatus On, requests served, no CPU time used).
    static let apacheKeys = [
        "ServerVersion", "ServerMPM", "Server Built", "CurrentTime", "RestartTime", "ParentServerConfigGeneration",
        "ParentServerMPMGeneration", "ServerUptimeSeconds", "ServerUptime", "Load1", "Load5", "Load15",
        "Total Accesses", "Total kBytes", "Total Duration", "CPUUser", "CPUSystem", "CPUChildrenUser",
        "CPUChildrenSystem", "Uptime", "ReqPerSec", "BytesPerSec", "BytesPerReq", "DurationPerReq", "BusyWorkers",
        "GracefulWorkers", "IdleWorkers", "Processes", "Stopping", "ConnsTotal", "ConnsAsyncWaitIO",
        "ConnsAsyncWriting", "ConnsAsyncKeepAlive", "ConnsAsyncClosing", "Scoreboard",
    ]

    @Test func autoHasApachesKeysInApachesOrderThenIsapidsOwn() {
        let text = StatusPage.auto(Self.snapshot())
        let keys = Self.keys(text)
        #expect(Array(keys.prefix(Self.apacheKeys.count)) == Self.apacheKeys)
        #expect(keys.dropFirst(Self.apacheKeys.count).allSatisfy { $0.hasPrefix("ISAPI") }, "\(keys)")
        #expect(text.hasPrefix("localhost\nServerVersion: isapid/0.1.0 (Linux)\nServerMPM: event\n"))
    }

    @Test func autoValuesAreApachesSums() {
        let text = StatusPage.auto(Self.snapshot())
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let range = line.firstRange(of: ": ") else { continue }
            fields[String(line[..<range.lowerBound])] = String(line[range.upperBound...])
        }
        #expect(fields["Total Accesses"] == "6")
        #expect(fields["Total kBytes"] == "10")  // bytes / 1024, rounded down
        #expect(fields["Total Duration"] == "7")  // milliseconds
        #expect(fields["Uptime"] == "3")
        #expect(fields["ServerUptimeSeconds"] == "3")
        #expect(fields["ServerUptime"] == "3 seconds")
        #expect(fields["ReqPerSec"] == "2")
        #expect(fields["BytesPerSec"] == "3413.33")  // Apache: 1024 × kB / uptime
        #expect(fields["BytesPerReq"] == "1706.67")
        #expect(fields["DurationPerReq"] == "1.16667")
        #expect(fields["ParentServerConfigGeneration"] == "2")
        #expect(fields["ParentServerMPMGeneration"] == "1")
        #expect(fields["Load1"] == "0.50")
        #expect(fields["CPUUser"] == "0")
        #expect(fields["BusyWorkers"] == "2")  // W and R; K holds no worker (event MPM)
        #expect(fields["IdleWorkers"] == "396")
        #expect(fields["ConnsTotal"] == "4")
        #expect(fields["ConnsAsyncKeepAlive"] == "2")
        #expect(fields["Scoreboard"]?.count == 400)
        #expect(fields["Scoreboard"]?.hasPrefix("KKRW___") == true)
        #expect(fields["ISAPIChildRestarts"] == "2")
        #expect(fields["ISAPIChildRestart0"]?.hasSuffix("; exit signal Segmentation fault (11)") == true)
        #expect(
            fields["ISAPIExtension"]
                == "/srv/crash.dll per-request calls=5 errors=1 crashes=2 inflight=0 p50=.001 p99=.25")
        #expect(fields["ISAPIRewriteHits"] == "/etc/isapid/httpd.conf:12 3")
    }

    /// Apache leaves out the per-request figures before the first request, and every
    /// extended figure under ExtendedStatus Off.
    @Test func whatApacheLeavesOut() {
        let none = Self.keys(StatusPage.auto(Self.snapshot(accesses: 0)))
        #expect(none.contains("ReqPerSec") && !none.contains("BytesPerReq") && !none.contains("DurationPerReq"))
        let fresh = Self.keys(StatusPage.auto(Self.snapshot(accesses: 0, uptime: 0)))
        #expect(fresh.contains("Uptime") && !fresh.contains("ReqPerSec") && !fresh.contains("BytesPerSec"))
        let off = Self.keys(StatusPage.auto(Self.snapshot(extendedStatus: false)))
        #expect(
            Array(off.prefix(17)) == Array(Self.apacheKeys.prefix(12)) + [
                "BusyWorkers", "GracefulWorkers", "IdleWorkers", "Processes", "Stopping",
            ])
        #expect(!off.contains("Total Accesses") && !off.contains("CPUUser") && !off.contains("Uptime"))
    }

    @Test func aprPercentG() {
        #expect(StatusPage.g(0.5) == ".5")
        #expect(StatusPage.g(0.00813008) == ".00813008")
        #expect(StatusPage.g(2) == "2")
        #expect(StatusPage.g(3413.333333) == "3413.33")
        #expect(StatusPage.g(0) == "0")
        #expect(StatusPage.g(1_234_567) == "1.23457e+06")
    }

    @Test func uptimeAsShowTime() {
        #expect(StatusPage.uptimeText(0) == "")
        #expect(StatusPage.uptimeText(1) == " 1 second")
        #expect(StatusPage.uptimeText(123) == " 2 minutes 3 seconds")
        #expect(StatusPage.uptimeText(90_061) == " 1 day 1 hour 1 minute 1 second")
    }

    @Test func htmlHasApachesHeaderLinesAndIsapidsSection() {
        let page = StatusPage.html(Self.snapshot(), options: .init(via: "127.0.0.1", port: 8080))
        for line in [
            "<h1>Apache Server Status for localhost (via 127.0.0.1)</h1>",
            "<dl><dt>Server Version: isapid/0.1.0 (Linux)</dt>", "<dt>Server MPM: event</dt>",
            "<dt>Server Built: 2026-11-12T08:58:41\n</dt></dl><hr /><dl>",
            "<dt>Parent Server Config. Generation: 2</dt>", "<dt>Parent Server MPM Generation: 1</dt>",
            "<dt>Server uptime:  3 seconds</dt>", "<dt>Server load: 0.50 0.25 0.12</dt>",
            "<dt>Total accesses: 6 - Total Traffic: 10 kB - Total Duration: 7</dt>",
            "<dt>CPU Usage: u0 s0 cu0 cs0</dt>",
            "<dt>2 requests/sec - 3413 B/second - 1706 B/request - 1.16667 ms/request</dt>",
            "<dt>2 requests currently being processed, 0 workers gracefully restarting, 396 idle workers</dt>",
            "<pre>KKRW____", "Scoreboard Key:", "<h2>isapid</h2>",
            "<td>/srv/crash.dll</td><td>per request</td><td>5</td>",
            "<h3>Rewrite rule hits</h3>", "<td>/etc/isapid/httpd.conf:12</td><td>3</td>",
        ] {
            #expect(page.contains(line), "missing: \(line)")
        }
        let noTable = StatusPage.html(Self.snapshot(), options: .init(noTables: true, via: "127.0.0.1", port: 8080))
        #expect(!noTable.contains("<table") && noTable.contains("/srv/crash.dll  per request  5"))
    }

    @Test func histogramQuantilesAreBucketBounds() {
        let histogram = FixedHistogram(boundsSeconds: [0.001, 0.01, 0.1])
        #expect(histogram.quantile(0.5) == nil)
        for _ in 0..<98 { histogram.record(microseconds: 500) }
        histogram.record(microseconds: 5_000)
        histogram.record(microseconds: 5_000_000)
        #expect(histogram.quantile(0.5) == 0.001)
        #expect(histogram.quantile(0.99) == 0.01)
        #expect(histogram.quantile(1) == .infinity)
        #expect(histogram.bucketCounts == [98, 1, 0, 1])
        #expect(histogram.count == 100)
    }
}
