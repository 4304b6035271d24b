import Foundation
import Testing

/// `isapid -k start|stop|restart|graceful|graceful-stop` (apachectl's actions through the
/// PidFile), `-S` and `-M`. Every daemon a test starts is stopped by the test, by the pid
/// its PidFile names, even when an expectation fails.
@Suite(.serialized) struct ApacheControlTests {
    /// A ServerRoot serving the standard site on a fixed free port (a daemon's stdout is
    /// /dev/null, so port 0 could not be learnt).
    final class Site {
        let root: ServerRoot
        let port: Int

        init(_ extra: String = "") throws {
            root = try ServerRoot()
            port = try LoopbackPort.unused()
            try TestConfig.writeSite(root)
            try write(extra)
        }

        func write(_ extra: String) throws {
            try root.writeConfig(TestConfig.standard("Listen 127.0.0.1:\(port)\n" + extra, listen: false))
        }

        func isapid(_ arguments: [String], timeout: Double = 40) throws -> CommandResult {
            try runIsapid(arguments + ["-f", "conf/httpd.conf", "-d", root.path], timeout: timeout)
        }

        var pidFile: String { root.path("logs/isapid.pid") }

        var pid: pid_t? {
            pid_t(root.read("logs/isapid.pid").trimmingCharacters(in: .whitespacesAndNewlines))
        }

        func get(_ path: String) throws -> HTTPResponse {
            let client = try RawClient(port: port)
            defer { client.close() }
            try client.send("GET \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            guard let response = client.readResponses(1).first else { throw E2EError("no response to \(path)") }
            return response
        }

        /// Whether `pid` runs (a zombie does not: where pid 1 does not reap, an exited daemon stays one).
        static func isAlive(_ pid: pid_t) -> Bool {
            guard kill(pid, 0) == 0, let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")")
            else { return false }
            return !stat[close...].hasPrefix(") Z")
        }

        /// The test's safety net: SIGTERM to the PidFile's pid, SIGKILL after 5 s.
        func killDaemon() {
            guard let pid, pid > 0, Self.isAlive(pid) else { return }
            kill(pid, SIGTERM)
            if !eventually(timeout: 5, { !Self.isAlive(pid) }) { kill(pid, SIGKILL) }
        }
    }

    @Test func startGracefulStopThroughThePidFile() throws {
        let site = try Site(#"ErrorDocument 404 "old-marker""#)
        defer { site.killDaemon() }
        let started = try site.isapid(["-k", "start"])
        #expect(started.status == 0, "stderr: \(started.stderr)")
        // Returns once serving: no waiting here.
        #expect(try site.get("/a.txt").status == 200)
        let pid = try #require(site.pid, "no PidFile")
        #expect(Site.isAlive(pid))

        let again = try site.isapid(["-k", "start"])
        #expect(again.status == 0)
        #expect(again.stdout == "isapid (pid \(pid)) already running\n")

        try site.write(#"ErrorDocument 404 "new-marker""#)
        let graceful = try site.isapid(["-k", "graceful"])
        #expect(graceful.status == 0, "stderr: \(graceful.stderr)")
        #expect(eventually(timeout: 10) { (try? site.get("/missing.html"))?.bodyText.contains("new-marker") == true },
                "error log: \(site.root.read("logs/error_log"))")
        #expect(site.pid == pid, "a graceful restart keeps the parent")

        let stopped = try site.isapid(["-k", "stop"])
        #expect(stopped.status == 0, "stderr: \(stopped.stderr)")
        // stop returns once the process is gone.
        #expect(!Site.isAlive(pid))
        #expect(!FileManager.default.fileExists(atPath: site.pidFile))
        #expect(!RawClient.canConnect(port: site.port))

        let notRunning = try site.isapid(["-k", "stop"])
        #expect(notRunning.status == 0)
        #expect(notRunning.stdout == "isapid (no pid file) not running\n")
    }

    @Test func restartStartsWhenNotRunningAndGracefulStopStops() throws {
        let site = try Site()
        defer { site.killDaemon() }
        let restarted = try site.isapid(["-k", "restart"])
        #expect(restarted.status == 0, "stderr: \(restarted.stderr)")
        #expect(restarted.stdout == "isapid not running, trying to start\n")
        #expect(try site.get("/a.txt").status == 200)
        let pid = try #require(site.pid, "no PidFile")

        let stopped = try site.isapid(["-k", "graceful-stop"])
        #expect(stopped.status == 0, "stderr: \(stopped.stderr)")
        #expect(!Site.isAlive(pid))
        #expect(!FileManager.default.fileExists(atPath: site.pidFile))

        // A PidFile left by a process that is gone.
        try "\(pid)\n".write(toFile: site.pidFile, atomically: true, encoding: .utf8)
        let stale = try site.isapid(["-k", "stop"])
        #expect(stale.status == 0)
        #expect(stale.stdout == "isapid (pid \(pid)?) not running\n")
    }

    @Test func aBrokenConfigurationFailsTheStartOnTheTerminal() throws {
        let site = try Site("NoSuchDirective on")
        defer { site.killDaemon() }
        let result = try site.isapid(["-k", "start"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("conf/httpd.conf:"), "stderr: \(result.stderr)")
        #expect(result.stderr.contains("NoSuchDirective"), "stderr: \(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: site.pidFile))
        #expect(!RawClient.canConnect(port: site.port))
    }

    /// A failure only the daemon sees (the port is taken): its error and status still reach the terminal.
    @Test func aBindFailureInTheDaemonReachesTheTerminal() throws {
        let site = try Site()
        defer { site.killDaemon() }
        let blocker = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(blocker) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(site.port).bigEndian)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(blocker, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(bound == 0 && listen(blocker, 1) == 0, "could not take port \(site.port)")
        let result = try site.isapid(["-k", "start"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("could not bind"), "stderr: \(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: site.pidFile))
    }

    @Test func dashSShowsTheVirtualHostsInApachesLayout() throws {
        let site = try Site("""
            User nobody
            Group nogroup
            <VirtualHost *:8080>
                ServerName a.example
                ServerAlias www.a.example
            </VirtualHost>
            <VirtualHost *:8080>
                ServerName b.example
            </VirtualHost>
            <VirtualHost 127.0.0.1:9000>
                ServerName c.example
            </VirtualHost>
            """)
        let result = try site.isapid(["-S"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let conf = site.root.path("conf/httpd.conf")
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let first = try #require(site.root.read("conf/httpd.conf").split(separator: "\n", omittingEmptySubsequences: false)
            .firstIndex { $0.hasPrefix("<VirtualHost") }) + 1
        #expect(lines.starts(with: [
            "VirtualHost configuration:",
            "*:8080                 is a NameVirtualHost",
            "         default server a.example (\(conf):\(first))",
            "         port 8080 namevhost a.example (\(conf):\(first))",
            "                 alias www.a.example",
            "         port 8080 namevhost b.example (\(conf):\(first + 4))",
            "127.0.0.1:9000         c.example (\(conf):\(first + 7))",
            "ServerRoot: \"\(site.root.path)\"",
        ]), "\(result.stdout)")
        #expect(lines.contains("Main DocumentRoot: \"\(site.root.path("htdocs"))\""), "\(result.stdout)")
        #expect(lines.contains("Main ErrorLog: \"\(site.root.path("logs/error_log"))\""), "\(result.stdout)")
        #expect(lines.contains("PidFile: \"\(site.pidFile)\""), "\(result.stdout)")
        let nobody = try #require(getpwnam("nobody")).pointee.pw_uid
        let nogroup = try #require(getgrnam("nogroup")).pointee.gr_gid
        #expect(lines.contains("User: name=\"nobody\" id=\(nobody)"), "\(result.stdout)")
        #expect(lines.contains("Group: name=\"nogroup\" id=\(nogroup)"), "\(result.stdout)")
        #expect(!FileManager.default.fileExists(atPath: site.pidFile))
    }

    @Test func dashMListsTheModulesInApachesLayout() throws {
        let result = try runIsapid(["-M"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "Loaded Modules:")
        #expect(lines.dropFirst().first == " core_module (static)")
        for module in ["isapi_module", "rewrite_module", "alias_module", "log_config_module", "mime_module"] {
            #expect(lines.contains(" \(module) (static)"), "\(result.stdout)")
        }
        #expect(lines.dropFirst().allSatisfy { $0.hasPrefix(" ") && $0.hasSuffix("_module (static)") })
    }
}
