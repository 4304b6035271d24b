import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Apache's `PidFile`: written by the process to signal once it serves, removed on a
/// clean exit; a stale one is overwritten with a notice, one naming a running isapid
/// refuses the start; `-t` never touches it.
@Suite struct PidFileTests {
    /// The default, `logs/isapid.pid`: the parent's pid (or the `-X` process's), and a newline.
    @Test(arguments: [false, true])
    func writtenOnceServingAndRemovedOnAStop(singleProcess: Bool) throws {
        let daemon = try DaemonProcess.start(TestConfig.standard(), extraArguments: singleProcess ? ["-X"] : [])
        let file = daemon.root.path("logs/isapid.pid")
        #expect(eventually(timeout: 3) { daemon.root.read("logs/isapid.pid") == "\(daemon.pid)\n" },
                "PidFile: \(daemon.root.read("logs/isapid.pid").debugDescription)")
        daemon.sendSignal(SIGTERM)
        #expect(daemon.waitForExit(timeout: 5) == 0)
        #expect(!FileManager.default.fileExists(atPath: file), "PidFile left behind")
    }

    /// A PidFile whose directory is missing (`/run/isapid` after a reboot without systemd's
    /// RuntimeDirectory): isapid creates it, each level mode 0755 and owned by the user it
    /// started as (root in production), as Debian's apache2ctl makes /var/run/apache2, with
    /// a notice per directory; the directory stays after the stop, the file goes.
    @Test(arguments: [false, true])
    func aMissingDirectoryIsCreated(singleProcess: Bool) throws {
        let root = try ServerRoot()
        try TestConfig.writeSite(root)
        try root.writeConfig(TestConfig.standard("PidFile run/isapid/server.pid"))
        #expect(!FileManager.default.fileExists(atPath: root.path("run")))
        let daemon = try DaemonProcess(root: root, extraArguments: singleProcess ? ["-X"] : [])
        defer { daemon.stop() }
        #expect(eventually(timeout: 3) { root.read("run/isapid/server.pid") == "\(daemon.pid)\n" },
                "PidFile: \(root.read("run/isapid/server.pid").debugDescription); error log: \(daemon.errorLog)")
        for directory in ["run", "run/isapid"] {
            var info = stat()
            #expect(stat(root.path(directory), &info) == 0, "\(directory) missing")
            #expect(info.st_mode & 0o7777 == 0o755, "\(directory) has mode \(String(info.st_mode & 0o7777, radix: 8))")
            #expect(info.st_uid == geteuid(), "\(directory) is owned by uid \(info.st_uid)")
            #expect(daemon.errorLog.contains("IS02140: created the PidFile's directory \(root.path(directory)) (mode 0755)"),
                    "error log: \(daemon.errorLog)")
        }
        daemon.sendSignal(SIGTERM)
        #expect(daemon.waitForExit(timeout: 5) == 0)
        #expect(!FileManager.default.fileExists(atPath: root.path("run/isapid/server.pid")), "PidFile left behind")
        #expect(FileManager.default.fileExists(atPath: root.path("run/isapid")))
    }

    /// A PidFile whose process is gone (an unclean shutdown) is overwritten, with a notice.
    @Test func aStaleOneIsOverwrittenWithANotice() throws {
        let gone = try Self.pidOfAFinishedProcess()
        let root = try ServerRoot()
        try TestConfig.writeSite(root)
        try root.writeConfig(TestConfig.standard("PidFile run/server.pid"))
        try root.write("run/server.pid", "\(gone)\n")
        let daemon = try DaemonProcess(root: root)
        defer { daemon.stop() }
        #expect(eventually(timeout: 3) { root.read("run/server.pid") == "\(daemon.pid)\n" })
        #expect(daemon.errorLog.contains("IS00098: pid file \(root.path("run/server.pid")) overwritten (pid \(gone) is gone)"),
                "error log: \(daemon.errorLog)")
    }

    /// A second isapid on the same PidFile refuses to start, as apachectl's "httpd (pid N)
    /// already running"; the first keeps serving and keeps its PidFile. `-t` still checks.
    @Test func oneNamingARunningIsapidRefusesTheStart() throws {
        let first = try DaemonProcess.start(TestConfig.standard())
        defer { first.stop() }
        #expect(eventually(timeout: 3) { first.root.read("logs/isapid.pid") == "\(first.pid)\n" })
        for extra in [[], ["-X"]] {
            let second = try runIsapid(["-f", "conf/httpd.conf", "-d", first.root.path] + extra)
            #expect(second.status == 1)
            #expect(second.stderr.contains("isapid (pid \(first.pid)) already running"), "stderr: \(second.stderr)")
            #expect(!second.stdout.contains("listening on"))
        }
        let check = try runIsapid(["-t", "-f", "conf/httpd.conf", "-d", first.root.path])
        #expect(check.status == 0 && check.stdout.contains("Syntax OK"), "\(check.stdout) \(check.stderr)")
        #expect(first.root.read("logs/isapid.pid") == "\(first.pid)\n")
        #expect(try first.get("/a.txt").status == 200)
    }

    /// `isapid -t` neither writes a PidFile nor removes a stale one.
    @Test func configTestLeavesItAlone() throws {
        let root = try ServerRoot()
        try root.writeConfig(TestConfig.standard())
        #expect(try runIsapid(["-t", "-f", "conf/httpd.conf", "-d", root.path]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: root.path("logs/isapid.pid")))
        try root.write("logs/isapid.pid", "12345678\n")
        #expect(try runIsapid(["-t", "-f", "conf/httpd.conf", "-d", root.path]).status == 0)
        #expect(root.read("logs/isapid.pid") == "12345678\n")
    }

    /// A PidFile that cannot be written stops the start, with the reason on the terminal.
    @Test(arguments: [false, true])
    func oneThatCannotBeWrittenStopsTheStart(singleProcess: Bool) throws {
        let root = try ServerRoot()
        try TestConfig.writeSite(root)
        try root.writeConfig(TestConfig.standard("PidFile htdocs/a.txt/isapid.pid"))
        let result = try runIsapid(["-f", "conf/httpd.conf", "-d", root.path] + (singleProcess ? ["-X"] : []))
        #expect(result.status == 1)
        #expect(result.stderr.contains("could not create PidFile \(root.path("htdocs/a.txt/isapid.pid"))"),
                "stderr: \(result.stderr)")
        #expect(root.read("logs/error_log").contains("IS00099"), "error log: \(root.read("logs/error_log"))")
    }

    /// The pid of a process that has exited and been reaped.
    static func pidOfAFinishedProcess() throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        return process.processIdentifier
    }
}
