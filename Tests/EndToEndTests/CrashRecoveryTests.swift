import Foundation
import Testing

/// An extension that crashes the serving process (Tests/MisbehavingExtensions/crash.c):
/// the supervising parent logs the signal, the extension and the request, starts a new
/// serving process at once, and connections made meanwhile wait in the listen backlog.
@Suite struct CrashRecoveryTests {
    static func start() throws -> DaemonProcess {
        try ISAPITests.start([], config: { ISAPITests.config($0, extra: "ThreadsPerChild 4") }) { root in
            try ISAPITests.installMisbehaving("crash", into: root)
            try ISAPITests.installMisbehaving("sleeper", into: root)
        }
    }

    /// The pids of the parent's children (the serving process, normally one).
    static func children(of pid: Int32) -> [Int32] {
        let text = (try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? ""
        return text.split(separator: " ").compactMap { Int32($0) }
    }

    /// Running: it exists and is not a zombie (an orphan's reaper may be slow or absent).
    static func isRunning(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let end = stat.lastIndex(of: ")")
        else { return false }
        return stat[stat.index(end, offsetBy: 2)] != "Z"
    }

    /// Sends `query` to crash.dll and waits until the dying process closes the connection.
    static func crash(_ daemon: DaemonProcess, _ query: String) throws {
        let client = try daemon.connect()
        try client.send("GET /scripts/crash.dll?\(query) HTTP/1.1\r\nHost: localhost\r\n\r\n")
        #expect(client.waitForClose(timeout: 5), "the connection outlived the crash")
        #expect(client.readResponses(1, timeout: 0.1).isEmpty, "an answer came from a crashed process")
    }

    @Test(arguments: [("segv", "Segmentation fault (11)"), ("abort", "Aborted (6)"), ("fpe", "Floating point exception (8)"),
                      ("bus", "Bus error (7)")])
    func aCrashIsLoggedAndTheServiceAnswersWithinTwoSeconds(query: String, signal: String) throws {
        let daemon = try Self.start()
        defer { daemon.stop() }
        let alive = try daemon.get("/scripts/crash.dll?hello")
        #expect(alive.status == 200 && alive.bodyText.contains("alive\n"), "\(alive.status) \(alive.bodyText.debugDescription)")
        let firstChild = Self.children(of: daemon.pid)
        #expect(firstChild.count == 1)

        try Self.crash(daemon, query)
        let crashed = Date()
        var recovered: Date?
        while Date().timeIntervalSince(crashed) < 5 {
            if let response = try? daemon.get("/scripts/crash.dll?again"), response.status == 200 {
                recovered = Date()
                break
            }
            usleep(10_000)
        }
        let seconds = try #require(recovered, "no answer within 5 s of the crash").timeIntervalSince(crashed)
        #expect(seconds < 2, "answered again only after \(seconds) s")
        #expect(daemon.isRunning)
        #expect(Self.children(of: daemon.pid).count == 1)
        #expect(Self.children(of: daemon.pid) != firstChild)

        let log = daemon.errorLog
        #expect(log.contains("IS00052: child pid \(firstChild.first ?? 0) exit signal \(signal)"), "error log: \(log)")
        let path = daemon.root.path("htdocs/scripts/crash.dll")
        #expect(log.contains("IS00053: the crash was in \(path) while serving \"GET /scripts/crash.dll?\(query) HTTP/1.1 from 127.0.0.1\""),
                "error log: \(log)")
        #expect(log.contains("IS00055: serving process pid"))
    }

    /// A connection made while no serving process exists waits in the backlog of the
    /// parent's listener and is answered by the next one; requests inside other
    /// extension calls of the crashed process are named in the log as lost.
    @Test func connectionsDuringTheRestartAreAnsweredAndLostCallsAreNamed() throws {
        let daemon = try Self.start()
        defer { daemon.stop() }
        let sleeping = try daemon.connect()
        try sleeping.send("GET /scripts/sleeper.dll?3 HTTP/1.1\r\nHost: localhost\r\n\r\n")
        #expect(eventually(timeout: 3) { Self.children(of: daemon.pid).count == 1 })
        usleep(200_000)  // the sleeper is inside its extension call

        let crasher = try daemon.connect()
        try crasher.send("GET /scripts/crash.dll?segv HTTP/1.1\r\nHost: localhost\r\n\r\n")
        #expect(crasher.waitForClose(timeout: 5))
        // Sent at once, while the next serving process is starting: the connections wait
        // in the backlog of the listener the parent holds.
        let waiting = (0..<5).compactMap { _ in try? daemon.connect() }
        #expect(waiting.count == 5)
        for client in waiting { try client.send("GET /a.txt HTTP/1.1\r\nHost: localhost\r\n\r\n") }
        for client in waiting {
            #expect(client.readResponses(1, timeout: 5).first?.status == 200, "lost: \(client.bufferText.debugDescription)")
        }
        #expect(sleeping.waitForClose(timeout: 2), "the sleeper's connection belonged to the crashed process")
        let log = daemon.errorLog
        #expect(log.contains("IS00054: lost with the crashed process: \(daemon.root.path("htdocs/scripts/sleeper.dll")) serving \"GET /scripts/sleeper.dll?3 HTTP/1.1 from 127.0.0.1\""),
                "error log: \(log)")
    }

    /// The serving process does not outlive a parent that was killed outright.
    @Test func theServingProcessStopsWhenTheParentIsKilled() throws {
        let daemon = try Self.start()
        defer { daemon.stop() }
        let child = try #require(Self.children(of: daemon.pid).first)
        daemon.sendSignal(SIGKILL)
        #expect(eventually(timeout: 5) { !Self.isRunning(child) }, "serving process \(child) still running")
        #expect(daemon.errorLog.contains("the supervising parent is gone"))
    }

    /// `-X`: one process, no parent, as Apache's debug mode.
    @Test func dashXServesInOneProcess() throws {
        let daemon = try DaemonProcess.start(TestConfig.standard(), extraArguments: ["-X"])
        defer { daemon.stop() }
        #expect(try daemon.get("/a.txt").status == 200)
        #expect(Self.children(of: daemon.pid).isEmpty)
    }
}
