import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Deliberately bad extensions (`Tests/MisbehavingExtensions/*.c`, compiled here with only
/// the SDK header) against a running daemon: each misbehaviour is refused or outlived and
/// logged, and the server goes on serving. The one that never returns is
/// StuckExtensionTests (sleeper.c); the one that crashes (crash.c) needs the supervising
/// parent and is tested with it.
@Suite struct MisbehavingExtensionTests {
    /// A daemon serving the named samples as `/scripts/<name>.dll`.
    static func start(_ names: [String], extra: String = "", directoryExtra: String = "") throws -> DaemonProcess {
        try ISAPITests.start([], config: { ISAPITests.config($0, directoryExtra: directoryExtra, extra: extra) }) { root in
            for name in names { try ISAPITests.installMisbehaving(name, into: root) }
        }
    }

    /// One request (Connection: close) and everything the server sent until it closed.
    static func rawExchange(_ daemon: DaemonProcess, _ target: String, timeout: Double = 5) throws
        -> (raw: String, responses: [HTTPResponse], closed: Bool)
    {
        let client = try daemon.connect()
        try client.send("GET \(target) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        let closed = client.waitForClose(timeout: timeout)
        return (client.bufferText, ISAPITests.parseResponses(client.buffer, closed: closed), closed)
    }

    // MARK: - Framing the host corrects (bad_framing.c)

    static func request(_ target: String) -> String { "GET \(target) HTTP/1.1\r\nHost: localhost\r\n\r\n" }

    /// A 204 and a 304 end at their head whatever the extension writes after it, and an
    /// extension's own Date, Server, Keep-Alive and Connection fields are not sent beside
    /// the server's: three pipelined answers arrive whole and in step on one connection.
    @Test func headerOnlyStatusesAndTheServersOwnFieldsKeepTheConnectionInStep() throws {
        let daemon = try Self.start(["bad_framing"])
        let client = try daemon.connect()
        try client.send(["nocontent-body", "notmod-body", "own-fields"]
            .map { Self.request("/scripts/bad_framing.dll?\($0)") }.joined())
        let responses = ISAPITests.responses(client, count: 3)
        #expect(responses.map(\.status) == [204, 304, 200], "received \(client.bufferText.debugDescription)")
        #expect(!client.bufferText.contains("should not appear"), "\(client.bufferText.debugDescription)")
        try #require(responses.count == 3)
        for response in responses.prefix(2) {
            #expect(response.header("Content-Length") == nil && response.header("Transfer-Encoding") == nil,
                    "\(response.status): \(response.headers)")
            #expect(response.body.isEmpty)
        }
        #expect(responses[1].header("ETag") == "\"a\"")
        let fields = responses[2]
        #expect(fields.bodyText == "fine")
        #expect(fields.headerValues("Date").count == 1 && fields.header("Date")?.hasSuffix("2000 00:00:00 GMT") == false,
                "\(fields.headers)")
        #expect(fields.headerValues("Server").count == 1 && fields.header("Server") != "probe/1", "\(fields.headers)")
        #expect(fields.headerValues("Keep-Alive").isEmpty && fields.headerValues("Connection").isEmpty, "\(fields.headers)")
        // The connection serves on.
        try client.send(Self.request("/scripts/bad_framing.dll?own-fields"))
        #expect(ISAPITests.responses(client, count: 4).count == 4)
    }

    /// Bytes beyond the Content-Length the extension announced never reach the client
    /// (they would read as the start of the next answer): the answer ends at the length
    /// and the connection closes; the request pipelined behind it is not answered on it.
    @Test func bytesBeyondTheAnnouncedLengthNeverReachTheClient() throws {
        let daemon = try Self.start(["bad_framing"])
        let client = try daemon.connect()
        try client.send(Self.request("/scripts/bad_framing.dll?length-long") + Self.request("/scripts/bad_framing.dll?own-fields"))
        #expect(client.waitForClose(timeout: 5), "the connection stayed open")
        let responses = ISAPITests.parseResponses(client.buffer, closed: true)
        #expect(responses.map(\.status) == [200], "received \(client.bufferText.debugDescription)")
        #expect(responses.first?.bodyText == "abc")
        #expect(!client.bufferText.contains("DEF"), "\(client.bufferText.debugDescription)")
    }

    // MARK: - Response splitting

    /// bad_headers.c's tricks, each on one path: SEND_RESPONSE_HEADER (hdr-), _EX (ex-), the
    /// first WriteClient (write-), TRANSMIT_FILE (tf-) and SEND_URL_REDIRECT_RESP (redirect-).
    static let injections = [
        "hdr-status-crlf", "hdr-value-cr", "hdr-bad-name", "hdr-fold",
        "ex-status-crlf", "ex-status-lf", "ex-value-cr", "ex-bad-name",
        "write-value-cr", "write-bad-name",
        "tf-status-crlf", "tf-value-cr",
        "redirect-crlf", "redirect-lf",
    ]

    @Test func injectedHeadersAreRefusedWith500AndLogged() throws {
        let daemon = try Self.start(["bad_headers"])
        let path = daemon.root.path("htdocs/scripts/bad_headers.dll")
        // The control: the same extension with a correct head.
        let good = try ISAPITests.get(daemon, "/scripts/bad_headers.dll?good")
        #expect(good.status == 200 && good.bodyText == "fine", "\(good.status) \(good.bodyText)")

        for mode in Self.injections {
            let (raw, responses, closed) = try Self.rawExchange(daemon, "/scripts/bad_headers.dll?\(mode)")
            #expect(closed, "\(mode): the connection was not closed")
            #expect(!raw.contains("X-Injected"), "\(mode): the injected header reached the client: \(raw.debugDescription)")
            #expect(!raw.contains("written after the refusal"), "\(mode): the body after the refusal went out")
            #expect(responses.count == 1, "\(mode): \(raw.debugDescription)")
            #expect(responses.first?.status == 500, "\(mode): \(raw.debugDescription)")
        }
        // The extension saw FALSE with ERROR_INVALID_PARAMETER for the head and for the
        // body it wrote anyway (its lpszLogData, which the server logs), and each refusal is logged.
        let expected = Self.injections.map { "\(path): \($0) head=0/87 body=0/87" }
        let logged = eventually(timeout: 5) {
            let log = daemon.errorLog
            return expected.allSatisfy(log.contains)
                && log.components(separatedBy: "IS02005: refused a malformed response header from \(path)").count - 1
                    == Self.injections.count
        }
        #expect(logged, "error log: \(daemon.errorLog)")
        // One event, one line: nothing injected starts a line of the error log either.
        #expect(!daemon.errorLog.split(separator: "\n").contains { $0.hasPrefix("X-Injected") || $0.hasPrefix(" X-Injected") })
        #expect(try ISAPITests.get(daemon, "/scripts/bad_headers.dll?good").bodyText == "fine")
        #expect(daemon.isRunning)
    }

    // MARK: - HSE_STATUS_PENDING without HSE_REQ_DONE_WITH_SESSION

    /// One pool thread, Timeout 1: the client gets 504 at the deadline, both the connection
    /// (IS02030) and the runner that waited for DONE_WITH_SESSION (IS02006) log it, and the
    /// thread comes back for the next extension request.
    @Test func pendingWithoutDoneWithSessionIsGivenUpAndItsThreadComesBack() throws {
        let daemon = try Self.start(["pending"], extra: "Timeout 1\nThreadsPerChild 1", directoryExtra: "ISAPIFakeAsync On")
        let started = Date()
        let (raw, responses, _) = try Self.rawExchange(daemon, "/scripts/pending.dll")
        let elapsed = Date().timeIntervalSince(started)
        #expect(responses.first?.status == 504, "\(raw.debugDescription)")
        #expect(elapsed > 0.8 && elapsed < 3, "answered after \(elapsed) s")
        // Static files do not wait for the pool.
        #expect(try daemon.get("/a.txt").status == 200)
        let released = eventually(timeout: 4) { daemon.errorLog.contains("IS02006") }
        #expect(released, "error log: \(daemon.errorLog)")
        #expect(daemon.errorLog.contains("IS02030"), "error log: \(daemon.errorLog)")
        // The only pool thread is free again: the next extension request is answered (a
        // thread still waiting would leave it to the deadline's 504).
        let ok = try ISAPITests.get(daemon, "/scripts/pending.dll?ok")
        #expect(ok.status == 200 && ok.bodyText == "ok\n", "\(ok.status) \(ok.bodyText)")
    }

    /// Half an answer, then PENDING and silence: the connection closes at the deadline
    /// without the chunked body's last chunk, so the client can tell the answer is cut short.
    @Test func pendingAfterPartOfTheAnswerClosesTheConnection() throws {
        let daemon = try Self.start(["pending"], extra: "Timeout 1\nThreadsPerChild 1", directoryExtra: "ISAPIFakeAsync On")
        let started = Date()
        let (raw, _, closed) = try Self.rawExchange(daemon, "/scripts/pending.dll?head")
        let elapsed = Date().timeIntervalSince(started)
        #expect(closed && elapsed < 3, "closed \(closed) after \(elapsed) s")
        #expect(raw.hasPrefix("HTTP/1.1 200 "), "\(raw.debugDescription)")
        #expect(raw.contains("partial\n"), "\(raw.debugDescription)")
        #expect(!raw.hasSuffix("0\r\n\r\n"), "the cut-short answer was framed as complete: \(raw.debugDescription)")
        #expect(eventually(timeout: 4) { daemon.errorLog.contains("IS02006") }, "error log: \(daemon.errorLog)")
        #expect(try ISAPITests.get(daemon, "/scripts/pending.dll?ok").bodyText == "ok\n")
    }

    /// Without ISAPIFakeAsync nothing waits for a PENDING request: 500 at once, logged.
    @Test func pendingWithoutFakeAsyncIs500AtOnce() throws {
        let daemon = try Self.start(["pending"], extra: "Timeout 5")
        let started = Date()
        let response = try ISAPITests.get(daemon, "/scripts/pending.dll")
        #expect(response.status == 500)
        #expect(Date().timeIntervalSince(started) < 2)
        #expect(eventually(timeout: 2) { daemon.errorLog.contains("IS02007") }, "error log: \(daemon.errorLog)")
    }

    // MARK: - Callbacks after the end, and ConnIDs the server never gave

    @Test func callbacksAfterTheRequestEndedAreRefusedAndReachNoOtherRequest() throws {
        let daemon = try Self.start(["late_callbacks"], extra: "ISAPICacheFile htdocs/scripts/late_callbacks.dll")
        let result = daemon.root.path("logs/after-the-end")
        let response = try ISAPITests.get(daemon, "/scripts/late_callbacks.dll?detach=\(result)")
        #expect(response.status == 200 && response.bodyText == "started\n", "\(response.status) \(response.bodyText)")
        // While the left-behind thread writes "LEAK" with its stale ConnID, other requests
        // get exactly their own answers.
        var others = 0
        let deadline = Date().addingTimeInterval(15)
        while !FileManager.default.fileExists(atPath: result) && Date() < deadline {
            let plain = try ISAPITests.get(daemon, "/scripts/late_callbacks.dll?plain")
            #expect(plain.status == 200 && plain.bodyText == "plain\n", "\(plain.status) \(plain.bodyText)")
            others += 1
        }
        let text = try #require(try? String(contentsOfFile: result, encoding: .utf8), "the thread recorded nothing")
        #expect(text == "ended=1 write=0/87 read=0/87 var=0/87 ssf=0/87 leaked=0", "\(text)")
        #expect(others > 0)
        #expect(daemon.isRunning)
    }

    /// After HSE_REQ_DONE_WITH_SESSION the ConnID is dead at once (a second
    /// DONE_WITH_SESSION too), even before the pool thread has finished the request.
    @Test func callbacksAfterDoneWithSessionAreRefused() throws {
        let daemon = try Self.start(["late_callbacks"], extra: "ISAPICacheFile htdocs/scripts/late_callbacks.dll",
                                    directoryExtra: "ISAPIFakeAsync On")
        let result = daemon.root.path("logs/after-done")
        let response = try ISAPITests.get(daemon, "/scripts/late_callbacks.dll?done=\(result)")
        #expect(response.status == 200 && response.bodyText == "before done\n", "\(response.status) \(response.bodyText)")
        let recorded = eventually(timeout: 10) { FileManager.default.fileExists(atPath: result) }
        try #require(recorded, "the thread recorded nothing")
        let text = try String(contentsOfFile: result, encoding: .utf8)
        #expect(text == "done=1/0 write=0/87 read=0/87 var=0/87 ssf=0/87 done2=0/87", "\(text)")
        #expect(try ISAPITests.get(daemon, "/scripts/late_callbacks.dll?plain").bodyText == "plain\n")
    }

    @Test func madeUpConnIDsAreRefusedWith87() throws {
        let daemon = try Self.start(["late_callbacks"])
        let response = try ISAPITests.get(daemon, "/scripts/late_callbacks.dll?bogus")
        #expect(response.status == 200)
        let expected = ["null", "one", "all-bits", "plus-one", "minus-one"]
            .map { "\($0): write=0/87 read=0/87 var=0/87 ssf=0/87\n" }.joined()
        #expect(response.bodyText == expected, "\(response.bodyText)")
    }

    // MARK: - Leaks

    /// 400 requests that each leak 64 KiB (25 MiB in all): every
    /// one answered, the daemon still serving static files, and the leak real (the
    /// daemon's resident memory grew by at least most of it).
    @Test func aLeakingExtensionDoesNotStopTheServer() throws {
        let daemon = try Self.start(["leak"], extra: "ISAPICacheFile htdocs/scripts/leak.dll")
        let before = try #require(Self.residentKiB(daemon.pid))
        let count = 400
        for index in 1...count {
            let response = try daemon.get("/scripts/leak.dll")
            #expect(response.bodyText == "leaked \(index * 64) KiB\n")
        }
        let after = try #require(Self.residentKiB(daemon.pid))
        #expect(after - before >= count * 64 * 8 / 10, "RSS \(before) KiB -> \(after) KiB")
        #expect(try daemon.get("/a.txt").status == 200)
        #expect(daemon.isRunning)
    }

    /// VmRSS of a process and its children (the supervising parent and the serving child), in KiB.
    static func residentKiB(_ pid: Int32) -> Int? {
        guard let status = procFile("/proc/\(pid)/status"),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let own = Int(line.dropFirst("VmRSS:".count).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "")
        else { return nil }
        let children = (procFile("/proc/\(pid)/task/\(pid)/children") ?? "").split(separator: " ").compactMap { Int32($0) }
        return children.reduce(own) { $0 + (residentKiB($1) ?? 0) }
    }

    /// A procfs file (they report a size of 0: read to the end rather than by size).
    static func procFile(_ path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path), let data = try? handle.readToEnd() else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}
