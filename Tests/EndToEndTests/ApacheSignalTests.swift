import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Apache's signals (httpd.apache.org/docs/2.4/stopping.html): SIGUSR1 is a graceful
/// restart that reopens the logs (what logrotate sends), SIGWINCH a graceful stop; and
/// the serving child never outlives its parent, however the parent dies.
@Suite struct ApacheSignalTests {
    /// A ServerRoot with the site, sleeper.dll and `extra` in the configuration.
    static func start(_ extra: String = "", singleProcess: Bool = false) throws -> DaemonProcess {
        let root = try ServerRoot()
        try TestConfig.writeSite(root)
        try ISAPITests.installMisbehaving("sleeper", into: root)
        try root.writeConfig(ISAPITests.config(root, extra: extra))
        return try DaemonProcess(root: root, extraArguments: singleProcess ? ["-X"] : [])
    }

    /// `-X` or the supervised pair: USR1 reloads, reopens renamed logs, and not one of
    /// the requests sent meanwhile by four clients fails; a slow request begun before the
    /// restart is answered.
    @Test(arguments: [false, true])
    func usr1RestartsGracefullyAndReopensRenamedLogs(singleProcess: Bool) throws {
        let daemon = try Self.start(#"ErrorDocument 404 "old-marker""#, singleProcess: singleProcess)
        defer { daemon.stop() }
        #expect(try daemon.get("/missing.html").bodyText.contains("old-marker"))
        let slow = try daemon.connect()
        try slow.send("GET /scripts/sleeper.dll?1 HTTP/1.1\r\nHost: localhost\r\n\r\n")
        let load = LoadClients(port: daemon.port, path: "/a.txt", clients: 4)
        #expect(eventually(timeout: 5) { load.answered >= 20 }, "the clients got no answers")

        // logrotate: rename, then USR1.
        let fm = FileManager.default
        try fm.moveItem(atPath: daemon.root.path("logs/access_log"), toPath: daemon.root.path("logs/access_log.1"))
        try fm.moveItem(atPath: daemon.root.path("logs/error_log"), toPath: daemon.root.path("logs/error_log.1"))
        try daemon.root.writeConfig(ISAPITests.config(daemon.root, extra: #"ErrorDocument 404 "new-marker""#))
        daemon.sendSignal(SIGUSR1)
        let reloaded = eventually(timeout: 5, interval: 0.05) {
            (try? daemon.get("/missing.html"))?.bodyText.contains("new-marker") == true
        }
        #expect(reloaded, "error log: \(daemon.root.read("logs/error_log.1"))")
        let before = load.answered
        #expect(eventually(timeout: 5) { load.answered >= before + 20 }, "no answers after the restart")
        load.finish()
        #expect(load.failures.isEmpty, "failed requests: \(load.failures.prefix(5))")
        #expect(daemon.isRunning)
        let late = slow.readResponses(1, timeout: 5).first
        #expect(late?.status == 200 && late?.bodyText == "late\n", "the slow request: \(slow.bufferText.debugDescription)")

        // The next request lands in a new access_log; the error log was reopened too.
        _ = try daemon.get("/b.txt")
        #expect(eventually(timeout: 3) { daemon.accessLog.contains("GET /b.txt") }, "access_log: \(daemon.accessLog)")
        #expect(!daemon.root.read("logs/access_log.1").contains("GET /b.txt"))
        #expect(daemon.root.read("logs/access_log.1").contains("GET /a.txt"))
        #expect(eventually(timeout: 3) { daemon.errorLog.contains("resuming normal operations") },
                "error_log: \(daemon.errorLog)")
        #expect(daemon.root.read("logs/error_log.1").contains("IS00493: SIGUSR1 received.  Doing graceful restart"))
        if !singleProcess { #expect(CrashRecoveryTests.children(of: daemon.pid).count == 1) }
    }

    /// A broken configuration at USR1 is refused and logged, the old one keeps serving,
    /// and the logs are reopened all the same (rotation does not wait for a fix).
    @Test func usr1WithABrokenConfigKeepsServingAndStillReopensTheLogs() throws {
        let daemon = try DaemonProcess.start(TestConfig.standard(#"ErrorDocument 404 "old-marker""#))
        defer { daemon.stop() }
        _ = try daemon.get("/a.txt")
        try FileManager.default.moveItem(atPath: daemon.root.path("logs/access_log"),
                                         toPath: daemon.root.path("logs/access_log.1"))
        try daemon.root.writeConfig(TestConfig.standard("Bogus directive here"))
        daemon.sendSignal(SIGUSR1)
        #expect(eventually(timeout: 3, interval: 0.05) { daemon.errorLog.contains("Invalid command 'Bogus'") },
                "error log: \(daemon.errorLog)")
        #expect(daemon.isRunning)
        #expect(try daemon.get("/missing.html").bodyText.contains("old-marker"))
        #expect(eventually(timeout: 3) { daemon.accessLog.contains("GET /missing.html") }, "access_log: \(daemon.accessLog)")
    }

    /// SIGWINCH: the listener closes at once, a request in flight is answered, exit 0.
    @Test(arguments: [false, true])
    func sigwinchStopsGracefully(singleProcess: Bool) throws {
        let daemon = try DaemonProcess.start(TestConfig.standard("""
            Redirect seeother /upload /a.txt
            GracefulShutdownTimeout 5
            """), extraArguments: singleProcess ? ["-X"] : [])
        let client = try daemon.connect()
        // 100 Continue proves the daemon has read the head: the request is in flight.
        try client.send("POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n")
        try #require(client.readResponses(1, timeout: 3).first?.status == 100, "received \(client.bufferText.debugDescription)")
        daemon.sendSignal(SIGWINCH)
        #expect(eventually(timeout: 3) { !RawClient.canConnect(port: daemon.port) }, "still accepting after SIGWINCH")
        #expect(daemon.isRunning, "exited before the request in flight was answered")
        try client.send("0123456789")
        let response = client.readResponses(1, methods: ["POST"], timeout: 4).first
        #expect(response?.status == 303, "received \(client.bufferText.debugDescription)")
        #expect(daemon.waitForExit(timeout: 5) == 0, "error log: \(daemon.errorLog)")
        #expect(daemon.exitedNormally)
        #expect(daemon.errorLog.contains("IS00492: caught SIGWINCH, shutting down gracefully"), "error log: \(daemon.errorLog)")
    }

    /// Resizing the terminal isapid runs in sends SIGWINCH (from the kernel) to its
    /// processes: that is not a graceful stop, as `kill -WINCH` is (Apache's would stop).
    @Test(arguments: [false, true])
    func aTerminalResizeDoesNotStopIt(singleProcess: Bool) throws {
        let root = try ServerRoot()
        try TestConfig.writeSite(root)
        try root.writeConfig(TestConfig.standard())
        let script = E2EPaths.packageRoot.appendingPathComponent("Tests/Signals/terminal-resize.py")
        let result = try runPython(script, [E2EPaths.isapidBinary.path, root.path] + (singleProcess ? ["-X"] : []),
                                   timeout: 30)
        #expect(result.stdout.contains("RESIZED-LOGGED"), "\(result.stdout) \(result.stderr) \(root.read("logs/error_log"))")
        #expect(result.stdout.contains("SERVING"), "\(result.stdout) \(result.stderr)")
        #expect(result.stdout.contains("EXIT 0"), "\(result.stdout) \(result.stderr)")
        #expect(!root.read("logs/error_log").contains("caught SIGWINCH"))
    }

    /// `kill -9` of the parent while an extension is inside a slow request: the child
    /// answers it, then stops within GracefulShutdownTimeout.
    @Test func theChildFinishesItsRequestAndStopsWhenTheParentIsKilled() throws {
        let daemon = try Self.start("GracefulShutdownTimeout 4")
        defer { daemon.stop() }
        let child = try #require(CrashRecoveryTests.children(of: daemon.pid).first)
        let slow = try daemon.connect()
        try slow.send("GET /scripts/sleeper.dll?2 HTTP/1.1\r\nHost: localhost\r\n\r\n")
        // Loaded on its first request: once mapped, the request is inside the extension.
        #expect(eventually(timeout: 5) { Self.maps(child).contains("sleeper.dll") }, "sleeper.dll never loaded")
        daemon.sendSignal(SIGKILL)
        #expect(eventually(timeout: 2) { !RawClient.canConnect(port: daemon.port) }, "the orphan still accepts")
        let killed = Date()
        let response = slow.readResponses(1, timeout: 5).first
        #expect(response?.status == 200 && response?.bodyText == "late\n", "received \(slow.bufferText.debugDescription)")
        #expect(eventually(timeout: 6) { !CrashRecoveryTests.isRunning(child) }, "serving process \(child) still running")
        #expect(Date().timeIntervalSince(killed) < 4 + 1, "stopped only after \(Date().timeIntervalSince(killed)) s")
        #expect(daemon.errorLog.contains("the supervising parent is gone"), "error log: \(daemon.errorLog)")
    }

    /// An extension that outlasts GracefulShutdownTimeout does not keep the orphan alive.
    @Test func anOrphanStopsWithinTheBoundEvenWhenAnExtensionDoesNotReturn() throws {
        let daemon = try Self.start("GracefulShutdownTimeout 1")
        defer { daemon.stop() }
        let child = try #require(CrashRecoveryTests.children(of: daemon.pid).first)
        let stuck = try daemon.connect()
        try stuck.send("GET /scripts/sleeper.dll?60 HTTP/1.1\r\nHost: localhost\r\n\r\n")
        #expect(eventually(timeout: 5) { Self.maps(child).contains("sleeper.dll") }, "sleeper.dll never loaded")
        daemon.sendSignal(SIGKILL)
        let killed = Date()
        #expect(eventually(timeout: 10) { !CrashRecoveryTests.isRunning(child) }, "serving process \(child) still running")
        #expect(Date().timeIntervalSince(killed) < 1 + 2, "stopped only after \(Date().timeIntervalSince(killed)) s")
        #expect(stuck.waitForClose(timeout: 1))
    }

    /// The files mapped into a process (read to the end: procfs reports a size of 0).
    static func maps(_ pid: Int32) -> String {
        guard let handle = FileHandle(forReadingAtPath: "/proc/\(pid)/maps") else { return "" }
        defer { try? handle.close() }
        return String(decoding: (try? handle.readToEnd()) ?? Data(), as: UTF8.self)
    }
}

/// Clients that GET `path` on new connections in a loop until `finish()`, counting
/// answers and recording every failure (no answer, or not 200).
final class LoadClients: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    private var failed: [String] = []
    private var running = true
    private let group = DispatchGroup()

    init(port: Int, path: String, clients: Int) {
        for _ in 0..<clients {
            group.enter()
            Thread.detachNewThread { [self] in
                while lock.withLock({ running }) {
                    let outcome: String?
                    do {
                        let client = try RawClient(port: port)
                        try client.send("GET \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                        let status = client.readResponses(1, timeout: 5).first?.status
                        outcome = status == 200 ? nil : "status \(status.map(String.init) ?? "none")"
                    } catch {
                        outcome = "\(error)"
                    }
                    lock.withLock {
                        if let outcome { failed.append(outcome) } else { count += 1 }
                    }
                }
                group.leave()
            }
        }
    }

    var answered: Int { lock.withLock { count } }
    var failures: [String] { lock.withLock { failed } }

    /// Stops the clients and waits for their last requests.
    func finish() {
        lock.withLock { running = false }
        _ = group.wait(timeout: .now() + 10)
    }
}
