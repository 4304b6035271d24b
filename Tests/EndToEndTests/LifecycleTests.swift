import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Signals and timeouts: SIGHUP reload, SIGTERM graceful stop, KeepAliveTimeout, Timeout.
@Suite struct LifecycleTests {
    @Test func sighupWithAValidConfigTakesEffect() throws {
        let daemon = try DaemonProcess.start(TestConfig.standard())
        let before = try daemon.get("/missing.html")
        #expect(before.status == 404)
        #expect(!before.bodyText.contains("reloaded-marker"))
        #expect(try daemon.get("/new/file.txt").status == 404)

        try daemon.root.writeConfig(TestConfig.standard("""
            ErrorDocument 404 "reloaded-marker"
            Alias /new "htdocs/sub"
            """))
        daemon.sendSignal(SIGHUP)
        let reloaded = eventually(timeout: 3, interval: 0.05) {
            (try? daemon.get("/missing.html"))?.bodyText.contains("reloaded-marker") == true
        }
        #expect(reloaded, "error log: \(daemon.errorLog)")
        let aliased = try daemon.get("/new/file.txt")
        #expect(aliased.status == 200)
        #expect(aliased.bodyText == "file in sub\n")
        #expect(daemon.isRunning)
        // Same listener after the reload.
        #expect(try daemon.get("/").status == 200)
    }

    /// A reload that adds a Listen address: the supervising parent opens it and replaces
    /// the serving process gracefully; a reload that removes it closes it.
    ///
    /// The parent binds the new address before the new serving process runs, so a
    /// successful connect does not mean the reload is over: the test waits for the new
    /// process's "resuming normal operations" line (a debug build starting on a loaded
    /// CI machine can take seconds), and for the old process to let go of the address.
    @Test func sighupThatChangesListenAddressesOpensAndClosesThem() throws {
        let daemon = try DaemonProcess.start(TestConfig.standard())
        let extra = try LoopbackPort.unused()
        // "listening on" comes before the first process's own line.
        #expect(eventually(timeout: 10) { Self.servingProcessesStarted(daemon) == 1 }, "error log: \(daemon.errorLog)")
        try daemon.root.writeConfig(TestConfig.standard("Listen 127.0.0.1:\(extra)"))
        daemon.sendSignal(SIGHUP)
        #expect(eventually(timeout: 30) { Self.servingProcessesStarted(daemon) == 2 },
                "no new serving process; error log: \(daemon.errorLog)")
        let client = try RawClient(port: extra)
        try client.send("GET /a.txt HTTP/1.1\r\nHost: localhost\r\n\r\n")
        #expect(client.readResponses(1, timeout: 15).first?.status == 200, "error log: \(daemon.errorLog)")
        client.close()
        #expect(try daemon.get("/a.txt").status == 200, "the first address still serves")

        try daemon.root.writeConfig(TestConfig.standard())
        daemon.sendSignal(SIGHUP)
        #expect(eventually(timeout: 30) { !RawClient.canConnect(port: extra) }, "error log: \(daemon.errorLog)")
        #expect(try daemon.get("/a.txt").status == 200)
        #expect(daemon.isRunning)
    }

    /// How many serving processes have logged that they serve (IS00094).
    static func servingProcessesStarted(_ daemon: DaemonProcess) -> Int {
        daemon.errorLog.components(separatedBy: "resuming normal operations").count - 1
    }

    @Test func sighupWithABrokenConfigKeepsServingTheOldOne() throws {
        let daemon = try DaemonProcess.start(TestConfig.standard(#"ErrorDocument 404 "old-marker""#))
        #expect(try daemon.get("/missing.html").bodyText.contains("old-marker"))

        let broken = TestConfig.standard("""
            ErrorDocument 404 "new-marker"
            Bogus directive here
            """)
        let bogusLine = try #require(broken.components(separatedBy: "\n").firstIndex { $0.hasPrefix("Bogus") }) + 1
        try daemon.root.writeConfig(broken)
        daemon.sendSignal(SIGHUP)
        let logged = eventually(timeout: 3, interval: 0.05) { daemon.errorLog.contains("httpd.conf:\(bogusLine):") }
        #expect(logged, "error log: \(daemon.errorLog)")
        #expect(daemon.errorLog.contains("Invalid command 'Bogus'"), "error log: \(daemon.errorLog)")

        #expect(daemon.isRunning)
        let after = try daemon.get("/missing.html")
        #expect(after.status == 404)
        #expect(after.bodyText.contains("old-marker"), "body: \(after.bodyText)")
        #expect(!after.bodyText.contains("new-marker"))
        #expect(try daemon.get("/").status == 200)
    }

    @Test func sigtermExitsWithStatusZero() throws {
        // A long GracefulShutdownTimeout: an idle keep-alive connection must not hold the stop.
        let daemon = try DaemonProcess.start(TestConfig.standard("GracefulShutdownTimeout 30"))
        let idle = try daemon.connect()
        try idle.send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        #expect(idle.readResponses(1).first?.status == 200)
        daemon.sendSignal(SIGTERM)
        let status = daemon.waitForExit(timeout: 5)
        #expect(status == 0, "still running or failed; error log: \(daemon.errorLog)")
        #expect(daemon.exitedNormally)
        #expect(idle.waitForClose(timeout: 1))
        #expect(daemon.errorLog.contains("caught SIGTERM"), "error log: \(daemon.errorLog)")
        #expect(!RawClient.canConnect(port: daemon.port))
    }

    @Test func requestWithAHalfSentHeadAtSigtermIsAnswered() throws {
        let daemon = try DaemonProcess.start(TestConfig.standard("GracefulShutdownTimeout 5"))
        let client = try daemon.connect()
        try client.send("GET /a.txt HTTP/1.1\r\nHost: loc")
        usleep(300_000)  // nothing tells when the daemon has read these bytes: give it a moment
        daemon.sendSignal(SIGTERM)
        #expect(eventually(timeout: 3) { !RawClient.canConnect(port: daemon.port) }, "still accepting after SIGTERM")
        #expect(daemon.isRunning, "exited before the request in flight was answered")

        try client.send("alhost\r\n\r\n")
        let response = try #require(client.readResponses(1, timeout: 4).first,
                                    "no answer; received \(client.bufferText.debugDescription)")
        #expect(response.status == 200)
        #expect(response.bodyText == "alpha document\n")
        #expect(response.header("Connection")?.lowercased() == "close")
        #expect(client.waitForClose(timeout: 2))
        #expect(daemon.waitForExit(timeout: 5) == 0, "error log: \(daemon.errorLog)")
    }

    @Test func requestInFlightDuringSigtermIsAnswered() throws {
        let daemon = try DaemonProcess.start(TestConfig.standard("""
            Redirect seeother /upload /a.txt
            GracefulShutdownTimeout 5
            """))
        let client = try daemon.connect()
        // 100 Continue proves the daemon has read the head: the request is in flight (a
        // connection that has not delivered a request yet is closed at once by a graceful stop).
        try client.send("POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\nExpect: 100-continue\r\n\r\n")
        let interim = client.readResponses(1, timeout: 3)
        try #require(interim.first?.status == 100, "received \(client.bufferText.debugDescription)")
        let half = String(repeating: "a", count: 50)
        try client.send(half)

        daemon.sendSignal(SIGTERM)
        // The listener closes first: new connections are refused while the upload is open.
        #expect(eventually(timeout: 3) { !RawClient.canConnect(port: daemon.port) }, "still accepting after SIGTERM")
        #expect(daemon.isRunning, "exited before the request in flight was answered")

        try client.send(half)
        let response = try #require(client.readResponses(1, methods: ["POST"], timeout: 4).first,
                                    "no answer; received \(client.bufferText.debugDescription)")
        #expect(response.status == 303)
        #expect(response.header("Connection")?.lowercased() == "close")
        #expect(client.waitForClose(timeout: 2))
        #expect(daemon.waitForExit(timeout: 5) == 0, "error log: \(daemon.errorLog)")
    }

    @Test func keepAliveTimeoutClosesAnIdleConnection() throws {
        let daemon = try DaemonProcess.start(TestConfig.standard("KeepAliveTimeout 1"))
        let client = try daemon.connect()
        try client.send("GET /a.txt HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n")
        let response = try #require(client.readResponses(1).first)
        #expect(response.status == 200)
        #expect(response.header("Keep-Alive")?.contains("timeout=1") == true, "Keep-Alive: \(response.header("Keep-Alive") ?? "-")")
        let idleSince = Date()
        #expect(client.waitForClose(timeout: 4), "still open after 4 s")
        let idle = Date().timeIntervalSince(idleSince)
        #expect(idle >= 0.5, "closed after only \(idle) s")
        #expect(client.buffer.isEmpty, "unexpected bytes: \(client.bufferText.debugDescription)")
    }

    @Test func timeoutClosesAConnectionWithAnIncompleteHead() throws {
        let daemon = try DaemonProcess.start(TestConfig.standard("Timeout 2"))
        let client = try daemon.connect()
        try client.send("GET /a.txt HTTP/1.1\r\nHost: loc")
        let started = Date()
        #expect(client.waitForClose(timeout: 6), "still open after 6 s")
        let waited = Date().timeIntervalSince(started)
        #expect(waited >= 1, "closed after only \(waited) s")
        if !client.buffer.isEmpty {
            let responses = HTTPResponseParser.parse(client.buffer, closed: true).responses
            #expect(responses.count == 1, "received \(client.bufferText.debugDescription)")
            #expect(responses.first?.status == 408)
        }
    }
}
