import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The connection around an extension, as real ISAPI software meets it (issue 13): fKeepConn
/// FALSE never closes a connection its head offered to keep, WriteClient reports whether
/// its own bytes were taken, a half-closed client is answered, a malformed request body
/// gets its 400 at once, and every request reaches the access log, aborted ones included.
/// Extensions come from `Tests/ExtensionBehaviours/`.
@Suite struct ConnectionBehaviourTests {
    /// `logs/conn_log`: what these tests look at in each access-log line.
    static let logFormat = #"CustomLog "logs/conn_log" "%>s %b %X %{c}a:%{remote}p %{local}p \"%r\"""#

    static func start(extra: String = "") throws -> DaemonProcess {
        try ISAPITests.start(["echo", "hello"], config: { ISAPITests.config($0, extra: logFormat + "\n" + extra) }) { root in
            try ISAPITests.compileExtension(file: source("keepconn.c"), to: root.path("htdocs/scripts/keepconn.dll"))
            try compileCxx(source("bigwrite.cpp"), to: root.path("htdocs/scripts/bigwrite.dll"))
        }
    }

    static func source(_ name: String) -> URL {
        E2EPaths.packageRoot.appendingPathComponent("Tests/ExtensionBehaviours/\(name)")
    }

    /// A C++ extension: `c++ -shared -fPIC` with only the SDK header.
    static func compileCxx(_ source: URL, to output: String) throws {
        let include = E2EPaths.packageRoot.appendingPathComponent("Sources/CISAPI/include").path
        let result = try runCommand(URL(fileURLWithPath: "/usr/bin/env"),
                                    ["c++", "-shared", "-fPIC", "-I", include, source.path, "-o", output], timeout: 120)
        guard result.status == 0 else { throw E2EError("c++ failed: \(result.stdout)\(result.stderr)") }
    }

    static func connLog(_ daemon: DaemonProcess) -> [String] {
        daemon.root.read("logs/conn_log").split(separator: "\n").map(String.init)
    }

    static func request(_ target: String, _ extra: String = "") -> String {
        "GET \(target) HTTP/1.1\r\nHost: localhost\r\n\(extra)\r\n"
    }

    // MARK: - fKeepConn (item 2)

    /// PHP's way: fKeepConn = FALSE on every head. A keep-alive client must see either its
    /// connection reused or `Connection: close` in the head, never a silent close.
    @Test(arguments: ["cl", "chunked"])
    func fKeepConnFalseNeverClosesAConnectionTheHeadOffered(mode: String) throws {
        let daemon = try Self.start()
        let client = try daemon.connect()
        for count in 1...3 {
            try client.send(Self.request("/scripts/keepconn.dll?\(mode)"))
            let responses = ISAPITests.responses(client, count: count)
            try #require(responses.count == count, "request \(count) unanswered; received \(client.bufferText.debugDescription)")
            let response = responses[count - 1]
            #expect(response.status == 200)
            #expect(response.bodyText == "keep=1", "HSE_REQ_IS_KEEP_CONN must tell what will happen")
            #expect(response.header("Connection")?.lowercased() != "close")
            if mode == "chunked" { #expect(response.header("Transfer-Encoding") == "chunked") }
        }
        #expect(!client.peerClosed)
        #expect(eventually(timeout: 5) { Self.connLog(daemon).count == 3 })
        #expect(Self.connLog(daemon).allSatisfy { $0.hasPrefix("200 6 + 127.0.0.1:") || $0.hasPrefix("200 6 + ") })
    }

    /// HTTP/1.0 without a length: the body ends with the connection, so the head says so.
    @Test func aBodyToTheCloseSaysConnectionClose() throws {
        let daemon = try Self.start()
        let client = try daemon.connect()
        try client.send("GET /scripts/keepconn.dll?chunked HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        #expect(client.waitForClose(timeout: 5))
        let response = try #require(ISAPITests.parseResponses(client.buffer, closed: true).first)
        #expect(response.header("Connection")?.lowercased() == "close")
        #expect(response.bodyText == "keep=0")
    }

    /// HSE_REQ_CLOSE_CONNECTION before the head: the head announces the close.
    @Test func closeConnectionBeforeTheHeadIsAnnounced() throws {
        let daemon = try Self.start()
        let client = try daemon.connect()
        try client.send(Self.request("/scripts/keepconn.dll?close"))
        let response = try #require(ISAPITests.responses(client, count: 1).first)
        #expect(response.header("Connection")?.lowercased() == "close")
        #expect(response.bodyText == "keep=0")
        #expect(client.waitForClose(timeout: 5))
        #expect(eventually(timeout: 5) { Self.connLog(daemon).first?.hasPrefix("200 6 - ") == true }, "\(Self.connLog(daemon))")
    }

    /// HSE_REQ_CLOSE_CONNECTION after the head went out with keep-alive: the response is
    /// complete, then the connection closes, the one case where a head that offered
    /// keep-alive is followed by a close (the extension asked for it, too late to say so).
    @Test func closeConnectionAfterTheHeadClosesAfterTheResponse() throws {
        let daemon = try Self.start()
        let client = try daemon.connect()
        try client.send(Self.request("/scripts/keepconn.dll?lateclose"))
        let response = try #require(ISAPITests.responses(client, count: 1).first)
        #expect(response.bodyText == "keep=0")
        #expect(client.waitForClose(timeout: 5))
        #expect(ISAPITests.parseResponses(client.buffer, closed: true).count == 1)
        #expect(eventually(timeout: 5) { Self.connLog(daemon).first?.hasPrefix("200 6 - ") == true }, "\(Self.connLog(daemon))")
    }

    // MARK: - WriteClient delivery (item 3)

    /// A 1 MiB body (Content-Length) to a client that closes the moment it has the last
    /// byte: every WriteClient returns TRUE, so the C++ extension never throws (its
    /// std::terminate would abort the serving process).
    @Test(arguments: ["one", "many"])
    func writeClientIsTrueOnceItsBytesWereTaken(mode: String) throws {
        let daemon = try Self.start()
        let results = daemon.root.path("logs/writeclient-\(mode)")
        let child = CrashRecoveryTests.children(of: daemon.pid)
        let rounds = 30
        for round in 1...rounds {
            let client = try daemon.connect()
            try client.send(Self.request("/scripts/bigwrite.dll?\(mode)=\(results)"))
            let complete = client.read(timeout: 10) { bytes in
                HTTPResponseParser.parse(bytes).responses.first?.body.count == 1 << 20
            }
            try #require(complete, "round \(round): \(client.buffer.count) bytes")
            client.close()
        }
        #expect(eventually(timeout: 10) { Self.connLog(daemon).count == rounds }, "\(Self.connLog(daemon).count) logged")
        #expect(!FileManager.default.fileExists(atPath: results),
                "WriteClient returned FALSE: \(daemon.root.read("logs/writeclient-\(mode)"))")
        #expect(!daemon.errorLog.contains("Aborted"), "\(daemon.errorLog)")
        #expect(CrashRecoveryTests.children(of: daemon.pid) == child, "the serving process changed")
        #expect(Self.connLog(daemon).allSatisfy { $0.hasPrefix("200 1048576 ") }, "\(Self.connLog(daemon))")
    }

    // MARK: - Half-closed clients (item 4)

    @Test(arguments: [
        ("/scripts/hello.dll", "GET", ""),
        ("/scripts/echo.dll", "POST", "half-closed"),
        ("/a.txt", "GET", ""),
    ])
    func aHalfClosedClientIsAnswered(target: String, method: String, body: String) throws {
        let daemon = try Self.start()
        let client = try daemon.connect()
        let length = method == "POST" ? "Content-Length: \(body.utf8.count)\r\n" : ""
        try client.send("\(method) \(target) HTTP/1.1\r\nHost: localhost\r\n\(length)\r\n\(body)")
        client.shutdownWrite()
        #expect(client.waitForClose(timeout: 5), "the connection was not closed after the answer")
        let responses = ISAPITests.parseResponses(client.buffer, closed: true)
        try #require(responses.count == 1, "received \(client.bufferText.debugDescription)")
        #expect(responses[0].status == 200)
        if method == "POST" { #expect(responses[0].bodyText == body) }
        #expect(eventually(timeout: 5) { Self.connLog(daemon).count == 1 })
        #expect(Self.connLog(daemon).first?.hasPrefix("200 ") == true, "\(Self.connLog(daemon))")
    }

    @Test func aHalfClosedClientWithPipelinedRequestsGetsEveryAnswer() throws {
        let daemon = try Self.start()
        let client = try daemon.connect()
        try client.send(Self.request("/scripts/hello.dll") + Self.request("/scripts/hello.dll?two") + Self.request("/a.txt"))
        client.shutdownWrite()
        #expect(client.waitForClose(timeout: 5))
        let responses = ISAPITests.parseResponses(client.buffer, closed: true)
        #expect(responses.map(\.status) == [200, 200, 200], "received \(client.bufferText.debugDescription)")
        #expect(responses.last?.bodyText == "alpha document\n")
        #expect(eventually(timeout: 5) { Self.connLog(daemon).count == 3 })
    }

    // MARK: - Bad request bodies (item 4)

    static let badBodies = [
        "3\r\nfoo\r\n\r\n", "5\r\nABCDE0\r\n", "2 erfrferferf\r\naa\r\n0\r\n\r\n", "2;\r\naa\r\n0\r\n\r\n",
        "2;a=\"b\r\naa\r\n0\r\n\r\n",
    ]

    /// A malformed chunked body for an extension: 400 at once, the extension's ReadClient
    /// FALSE (echo.dll then returns HSE_STATUS_ERROR), its only pool thread back for the
    /// next request, the request logged once.
    @Test(arguments: badBodies)
    func aMalformedChunkedBodyIsAnswered400AtOnce(body: String) throws {
        let daemon = try Self.start(extra: "ThreadsPerChild 1\nISAPIReadAheadBuffer 0")
        let client = try daemon.connect()
        let started = Date()
        try client.send("POST /scripts/echo.dll HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n" + body)
        let response = ISAPITests.responses(client, count: 1, timeout: 1).first
        let elapsed = Date().timeIntervalSince(started)
        #expect(response?.status == 400, "received \(client.bufferText.debugDescription) after \(elapsed) s")
        #expect(response?.header("Connection")?.lowercased() == "close")
        #expect(client.waitForClose(timeout: 2))
        #expect(eventually(timeout: 5) { daemon.errorLog.contains("IS02008") }, "echo.dll's ReadClient did not fail: \(daemon.errorLog)")
        #expect(daemon.errorLog.contains("IS00566"))
        let next = try ISAPITests.exchange(daemon, Array("POST /scripts/echo.dll HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4\r\nConnection: close\r\n\r\nnext".utf8), timeout: 5)
        #expect(next.bodyText == "next", "the pool thread did not come back")
        #expect(eventually(timeout: 5) { Self.connLog(daemon).count == 2 })
        #expect(Self.connLog(daemon).first?.hasPrefix("400 ") == true, "\(Self.connLog(daemon))")
        #expect(Self.connLog(daemon).first?.hasSuffix("\"POST /scripts/echo.dll HTTP/1.1\"") == true)
    }

    /// With the default read-ahead the body fails before HttpExtensionProc runs.
    @Test func aMalformedBodyDuringTheReadAheadIsAnswered400AtOnce() throws {
        let daemon = try Self.start(extra: "ThreadsPerChild 1")
        let client = try daemon.connect()
        try client.send("POST /scripts/echo.dll HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nABCDE0\r\n")
        let response = ISAPITests.responses(client, count: 1, timeout: 1).first
        #expect(response?.status == 400, "received \(client.bufferText.debugDescription)")
        let next = try ISAPITests.get(daemon, "/scripts/hello.dll")
        #expect(next.status == 200)
    }

    /// 200 pipelined requests for a 30,000-byte file (an answer in one buffer, not waited
    /// for while the channel stays under its write watermark): 6 MB the client takes in its
    /// own time. Every answer arrives whole and in order, each is logged as kept alive with
    /// its bytes, and the connection serves on.
    @Test func aBurstOfPipelinedAnswersArrivesWholeAndInOrder() throws {
        let daemon = try Self.start(extra: "MaxKeepAliveRequests 0")
        let size = 30_000
        try Data(repeating: 0x62, count: size).write(to: URL(fileURLWithPath: daemon.root.path("htdocs/30k.txt")))
        let client = try daemon.connect()
        let count = 200
        try client.send((0..<count).map { Self.request("/30k.txt?\($0)") }.joined())
        // The bodies first (a cheap count), then the answers parsed once.
        #expect(client.read(timeout: 30) { $0.count >= count * size })
        let responses = ISAPITests.responses(client, count: count, timeout: 30)
        try #require(responses.count == count, "\(responses.count) of \(count) answers arrived")
        #expect(responses.allSatisfy { $0.status == 200 && $0.body.count == size })
        #expect(eventually(timeout: 10) { Self.connLog(daemon).count == count })
        let lines = Self.connLog(daemon)
        #expect(lines.allSatisfy { $0.hasPrefix("200 \(size) + ") }, "\(lines.prefix(3))")
        #expect(lines.map { $0.split(separator: "?").last.map { String($0.prefix { $0 != " " }) } }
            == (0..<count).map { "\($0)" })
        try client.send(Self.request("/30k.txt?again"))
        #expect(ISAPITests.responses(client, count: count + 1).count == count + 1)
    }

    /// After an extension's answer, a malformed pipelined request gets its own 400.
    @Test func aMalformedPipelinedRequestAfterAnExtensionGets400() throws {
        let daemon = try Self.start()
        let client = try daemon.connect()
        try client.send(Self.request("/scripts/hello.dll") + "GET /x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n")
        #expect(client.waitForClose(timeout: 5))
        let responses = ISAPITests.parseResponses(client.buffer, closed: true)
        #expect(responses.map(\.status) == [200, 400], "received \(client.bufferText.debugDescription)")
    }

    // MARK: - Every request in the access log (item 5)

    /// A client that reads a little of a 30 MB file and leaves: logged, `%X` = X, `%b`
    /// short of the length.
    @Test func anAbortedStaticDownloadIsLogged() throws {
        let daemon = try Self.start()
        let size = 30 << 20
        try Data(repeating: 0x61, count: size).write(to: URL(fileURLWithPath: daemon.root.path("htdocs/big.bin")))
        let client = try daemon.connect()
        try client.send(Self.request("/big.bin"))
        try #require(client.read(timeout: 5) { $0.count > 65536 })
        client.close()
        let sent = try Self.abortedLogEntry(daemon)
        #expect(sent < size, "\(sent) bytes logged of \(size)")
    }

    /// The one access-log line of an aborted 200 (`%X` = X); its `%b`.
    static func abortedLogEntry(_ daemon: DaemonProcess) throws -> Int {
        #expect(eventually(timeout: 10) { Self.connLog(daemon).count == 1 }, "the aborted request was not logged")
        let fields = Self.connLog(daemon).first?.split(separator: " ") ?? []
        try #require(fields.count >= 3, "\(Self.connLog(daemon))")
        #expect(fields[0] == "200")
        #expect(fields[2] == "X")
        return Int(fields[1]) ?? 0
    }

    @Test func anAbortedExtensionResponseIsLogged() throws {
        let daemon = try Self.start()
        let record = daemon.root.path("logs/stream")
        let client = try daemon.connect()
        try client.send(Self.request("/scripts/bigwrite.dll?stream=\(record)"))
        try #require(client.read(timeout: 5) { $0.count > 65536 })
        client.close()
        #expect(try Self.abortedLogEntry(daemon) < 64 << 20)
        #expect(eventually(timeout: 10) { FileManager.default.fileExists(atPath: record) }, "the extension never saw the client leave")
    }

    @Test func aKeptAliveRequestIsLoggedWithPlusAndTheAddresses() throws {
        let daemon = try Self.start()
        let client = try daemon.connect()
        try client.send(Self.request("/a.txt"))
        #expect(ISAPITests.responses(client, count: 1).count == 1)
        #expect(eventually(timeout: 5) { Self.connLog(daemon).count == 1 })
        let line = Self.connLog(daemon).first ?? ""
        #expect(line.hasPrefix("200 15 + 127.0.0.1:"), "\(line)")
        #expect(line.contains(" \(daemon.port) \"GET /a.txt HTTP/1.1\""), "\(line)")
    }
}
