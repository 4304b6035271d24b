import Foundation
import Testing

/// server-status (mod_status's page and `?auto`) and /metrics, served by the daemon.
@Suite struct ServerStatusTests {
    static let locations = """
        <Location /server-status>
            SetHandler server-status
            Require all granted
        </Location>
        <Location /metrics>
            SetHandler metrics
            Require all granted
        </Location>
        """

    /// The `?auto` lines as (key, value), in order; the first line (the server name) has no key.
    static func fields(_ text: String) -> [(key: String, value: String)] {
        text.split(separator: "\n").dropFirst().compactMap { line in
            if let range = line.firstRange(of: ": ") {
                return (String(line[..<range.lowerBound]), String(line[range.upperBound...]))
            }
            return line.hasSuffix(":") ? (String(line.dropLast()), "") : nil
        }
    }

    static func value(_ key: String, in text: String) -> String? { fields(text).first { $0.key == key }?.value }

    static func auto(_ daemon: DaemonProcess) throws -> String {
        let response = try daemon.get("/server-status?auto")
        guard response.status == 200 else {
            throw E2EError("server-status?auto: \(response.status) \(response.bodyText)")
        }
        return response.bodyText
    }

    @Test func autoParsesFieldByField() throws {
        let daemon = try DaemonProcess.start(
            TestConfig.standard(Self.locations + "\nRewriteEngine On\nRewriteRule ^/old$ /a.txt"))
        defer { daemon.stop() }
        for _ in 0..<2 { _ = try daemon.get("/a.txt") }
        #expect(try daemon.get("/old").status == 200)
        // A request is counted when its access-log line is written, just after its last
        // byte went out: wait for the third.
        #expect(eventually(timeout: 5) { daemon.accessLogLines.count >= 3 })
        let response = try daemon.get("/server-status?auto")
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "text/plain; charset=ISO-8859-1")
        let text = response.bodyText
        #expect(text.hasPrefix("localhost\n"))
        let fields = Dictionary(Self.fields(text).map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
        #expect(fields["ServerVersion"]?.hasPrefix("isapid/") == true)
        #expect(fields["ServerMPM"] == "event")
        #expect(fields["Total Accesses"] == "3", "\(text)")
        #expect(fields["Total kBytes"] == "0")
        #expect(fields["ParentServerConfigGeneration"] == "1")
        #expect(fields["ParentServerMPMGeneration"] == "0")
        #expect(fields["Processes"] == "1")
        #expect(fields["Stopping"] == "0")
        #expect(Int(fields["BusyWorkers"] ?? "") ?? 0 >= 1, "the status request itself is being served")
        #expect(Int(fields["ConnsTotal"] ?? "") ?? 0 >= 1)
        let scoreboard = try #require(fields["Scoreboard"])
        #expect(scoreboard.contains("W") && scoreboard.allSatisfy { "_RWKLCG".contains($0) }, "\(scoreboard)")
        #expect(Int(fields["IdleWorkers"] ?? "") == scoreboard.filter { $0 == "_" }.count)
        // Counted by its file:line.
        let ruleLine =
            try #require(
                daemon.root.read("conf/httpd.conf").split(separator: "\n", omittingEmptySubsequences: false)
                    .firstIndex { $0.hasPrefix("RewriteRule ^/old$") }) + 1
        #expect(fields["ISAPIRewriteHits"] == "\(daemon.root.path("conf/httpd.conf")):\(ruleLine) 1", "\(text)")
        for key in ["ServerUptimeSeconds", "Uptime", "Total Duration", "ISAPIChildRestarts", "ISAPIPoolBusy"] {
            #expect(fields[key].flatMap { Int($0) } != nil, "\(key): \(fields[key] ?? "missing")")
        }
        // The HTML page, its refresh and its table-less form.
        let page = try daemon.get("/server-status?refresh=7")
        #expect(page.status == 200 && page.header("Refresh") == "7")
        #expect(page.header("Content-Type") == "text/html; charset=ISO-8859-1")
        #expect(page.bodyText.contains("<h1>Apache Server Status for localhost (via 127.0.0.1)</h1>"))
        #expect(page.bodyText.contains("<dt>Total accesses: "), "\(page.bodyText)")
        #expect(page.bodyText.contains("<h2>isapid</h2>"))
        let plain = try daemon.get("/server-status?notable")
        #expect(plain.status == 200 && !plain.bodyText.contains("<table"))
    }

    @Test func extendedStatusOffLeavesOutTheTotals() throws {
        let daemon = try DaemonProcess.start(TestConfig.standard(Self.locations + "\nExtendedStatus Off"))
        defer { daemon.stop() }
        let keys = Self.fields(try Self.auto(daemon)).map(\.key)
        #expect(
            !keys.contains("Total Accesses") && !keys.contains("ReqPerSec") && keys.contains("Scoreboard"), "\(keys)")
    }

    /// Without `Require`, the Location is the `<Directory />` default of the test
    /// configuration: denied, as Apache's would be.
    @Test func requireGuardsTheStatusPage() throws {
        let daemon = try DaemonProcess.start(
            TestConfig.standard(
                """
                <Location /server-status>
                    SetHandler server-status
                    Require ip 192.0.2.1
                </Location>
                """))
        defer { daemon.stop() }
        #expect(try daemon.get("/server-status?auto").status == 403)
    }
}
