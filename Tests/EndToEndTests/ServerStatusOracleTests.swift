import Foundation
import Testing

/// isapid's `?auto` against Apache's own mod_status (Debian's apache2): the same keys,
/// in the same order, so a plugin that parses Apache's reads isapid's.
@Suite struct ServerStatusApacheOracleTests {
    static var apacheInstalled: Bool {
        RemoteIPApacheOracleTests.apacheInstalled
            && FileManager.default.fileExists(atPath: RemoteIPApacheOracleTests.apacheModules + "/mod_status.so")
    }

    /// Apache's keys up to `Scoreboard`, and isapid's, without `CPULoad` (Apache prints it
    /// only once its processes used CPU time, which varies between runs).
    static func apacheKeys(_ text: String) -> [String] {
        ServerStatusTests.fields(text).map(\.key).filter { $0 != "CPULoad" && !$0.hasPrefix("ISAPI") }
    }

    /// A request served and a second up.
    static func ready(_ text: String) -> Bool {
        (ServerStatusTests.value("Total Accesses", in: text).flatMap { Int($0) } ?? 0) >= 1
            && (ServerStatusTests.value("Uptime", in: text).flatMap { Int($0) } ?? 0) >= 1
    }

    @Test(.enabled(if: apacheInstalled, "needs Debian's apache2 (with mod_status): apt-get install apache2"))
    func theKeysAndTheirOrderAreApaches() throws {
        let apache = try ApacheOracle(modules: ["mpm_event", "authz_core", "status"]) { _ in
            ServerStatusTests.locations
        }
        defer { apache.stop() }
        #expect(apache.waitUntilListening(), "\(apache.root.read("logs/error_log"))")
        let port = apache.port
        func apacheGet(_ path: String) throws -> HTTPResponse {
            let client = try RawClient(port: port)
            defer { client.close() }
            try client.send("GET \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            _ = client.waitForClose(timeout: 5)
            return try #require(client.readResponses(1, timeout: 0.1).first, "no answer from Apache to \(path)")
        }
        // Both after a request and a second of uptime: Apache prints the per-second and
        // per-request figures only then.
        _ = try apacheGet("/index.html")
        var apacheAuto = try apacheGet("/server-status?auto")
        #expect(
            eventually(timeout: 5, interval: 0.2) {
                apacheAuto = (try? apacheGet("/server-status?auto")) ?? apacheAuto
                return Self.ready(apacheAuto.bodyText)
            }, "\(apacheAuto.bodyText)")
        #expect(apacheAuto.status == 200)

        let daemon = try DaemonProcess.start(TestConfig.standard(ServerStatusTests.locations))
        defer { daemon.stop() }
        _ = try daemon.get("/index.html")
        var isapidAuto = ""
        #expect(
            eventually(timeout: 5, interval: 0.2) {
                isapidAuto = (try? ServerStatusTests.auto(daemon)) ?? ""
                return Self.ready(isapidAuto)
            }, "\(isapidAuto)")

        let apacheKeys = Self.apacheKeys(apacheAuto.bodyText)
        #expect(apacheKeys.count > 20, "Apache's ?auto: \(apacheAuto.bodyText)")
        #expect(Self.apacheKeys(isapidAuto) == apacheKeys, "Apache: \(apacheAuto.bodyText)\nisapid: \(isapidAuto)")
        #expect(apacheAuto.header("Content-Type") == "text/plain; charset=ISO-8859-1")
    }
}
