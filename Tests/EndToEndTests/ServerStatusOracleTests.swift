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
        let apacheRoot = try ServerRoot()
        try apacheRoot.write("htdocs/index.html", "index\n")
        try FileManager.default.createDirectory(atPath: apacheRoot.path("run"), withIntermediateDirectories: true)
        for directory in ["", "htdocs", "conf", "run"] { chmod(apacheRoot.path(directory), 0o755) }
        chmod(apacheRoot.path("logs"), 0o777)
        let port = try RemoteIPApacheOracleTests.freePort()
        let modules = ["mpm_event", "authz_core", "status"]
            .map { "LoadModule \($0)_module \(RemoteIPApacheOracleTests.apacheModules)/mod_\($0).so" }
            .joined(separator: "\n")
        try apacheRoot.writeConfig(
            """
            ServerRoot "\(apacheRoot.path)"
            DefaultRuntimeDir "\(apacheRoot.path)/run"
            PidFile "\(apacheRoot.path)/run/httpd.pid"
            \(modules)
            \(geteuid() == 0 ? "User www-data\nGroup www-data" : "")
            Listen 127.0.0.1:\(port)
            ServerName localhost
            DocumentRoot "\(apacheRoot.path)/htdocs"
            ErrorLog "\(apacheRoot.path)/logs/error_log"
            <Directory "\(apacheRoot.path)/htdocs">
                Require all granted
            </Directory>
            \(ServerStatusTests.locations)
            """)
        // Started through python3 with an empty signal mask (see RemoteIPApacheOracleTests).
        let apache = Process()
        apache.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        apache.arguments = [
            "python3", "-c",
            "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); os.execv(sys.argv[1], sys.argv[1:])",
            RemoteIPApacheOracleTests.apacheBinary, "-d", apacheRoot.path, "-f",
            apacheRoot.path("conf/httpd.conf"), "-DFOREGROUND",
        ]
        apache.standardInput = FileHandle.nullDevice
        apache.standardOutput = FileHandle.nullDevice
        apache.standardError = FileHandle.nullDevice
        try apache.run()
        defer {
            kill(apache.processIdentifier, SIGTERM)
            if !eventually(timeout: 10, { !apache.isRunning }) { kill(apache.processIdentifier, SIGKILL) }
            apache.waitUntilExit()
        }
        #expect(eventually(timeout: 15) { RawClient.canConnect(port: port) }, "\(apacheRoot.read("logs/error_log"))")
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
