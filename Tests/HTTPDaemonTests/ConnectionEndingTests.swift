import Foundation
import NIOCore
import NIOEmbedded
import RequestPipeline
import Testing

@testable import HTTPDaemon

private let host = "Host: www.example.test\r\n"

private func get(_ path: String, _ extra: String = "") -> String {
    "GET \(path) HTTP/1.1\r\n\(host)\(extra)\r\n"
}

/// How a connection ends: the client's end of input (a half-close) is not an abort, a
/// malformed request is answered in its turn, and every request reaches the access log
/// exactly once, with `%X` telling how its answer ended and `%b` what the socket took.
@Suite struct ConnectionEndingTests {
    static let logFormat = #"CustomLog logs/access_log "%>s %b %X \"%r\"""# + "\n"

    static func accessLog(_ connection: ConnectionHarness) -> [String] {
        connection.logFiles.flushAll()
        let text = (try? String(contentsOfFile: connection.root + "/logs/access_log", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map(String.init)
    }

    static func endInput(_ connection: ConnectionHarness) {
        connection.channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        connection.channel.embeddedEventLoop.run()
    }

    @Test func endOfInputOnAnIdleConnectionCloses() throws {
        let connection = try ConnectionHarness()
        Self.endInput(connection)
        #expect(!connection.isOpen)
    }

    @Test func endOfInputAfterARequestStillGetsTheAnswer() throws {
        let connection = try ConnectionHarness(Self.logFormat)
        connection.stallSocket()
        try connection.send(get("/small.txt"))
        Self.endInput(connection)
        #expect(connection.isOpen, "closed before the answer was written")
        connection.gate.release()
        connection.channel.embeddedEventLoop.run()
        let response = try connection.readResponse()
        #expect(response.statusLine == "HTTP/1.1 200 OK")
        #expect(!connection.isOpen)
        #expect(Self.accessLog(connection) == [#"200 13 + "GET /small.txt HTTP/1.1""#])
    }

    /// Pipelined requests before the end of input: all answered; the last head, written
    /// once the end is known, says `Connection: close`.
    @Test func pipelinedRequestsBeforeTheEndOfInputAreAllAnswered() throws {
        let connection = try ConnectionHarness(Self.logFormat)
        connection.stallSocket()
        try connection.send(get("/small.txt") + get("/index.html"))
        Self.endInput(connection)
        connection.gate.release()
        connection.channel.embeddedEventLoop.run()
        connection.gate.release()
        connection.channel.embeddedEventLoop.run()
        let first = try connection.readResponse()
        let second = try connection.readResponse()
        #expect(first.header("Connection") == nil)
        #expect(second.statusLine == "HTTP/1.1 200 OK")
        #expect(second.header("Connection") == "close")
        #expect(!connection.isOpen)
        #expect(Self.accessLog(connection).map { $0.split(separator: " ")[2] } == ["+", "-"])
    }

    /// A half-sent head at the end of input is a bad request, answered and logged.
    @Test func aHalfSentHeadAtTheEndOfInputIsAnswered400() throws {
        let connection = try ConnectionHarness(Self.logFormat)
        try connection.send("GET /small.txt HTTP/1.1\r\nHo")
        Self.endInput(connection)
        let response = try connection.readResponse()
        #expect(response.statusLine == "HTTP/1.1 400 Bad Request")
        #expect(!connection.isOpen)
        #expect(Self.accessLog(connection).first?.hasPrefix("400 ") == true)
    }

    /// A bad chunked body for a static target: 400 at once, logged with its request line.
    @Test func aMalformedBodyIsAnsweredAtOnceAndLoggedWithItsRequest() throws {
        let connection = try ConnectionHarness(Self.logFormat)
        try connection.send("GET /small.txt HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n3\r\nfoo\r\n\r\n")
        let response = try connection.readResponse()
        #expect(response.statusLine == "HTTP/1.1 400 Bad Request")
        #expect(response.header("Connection") == "close")
        #expect(!connection.isOpen)
        #expect(Self.accessLog(connection).count == 1)
        #expect(Self.accessLog(connection).first?.hasSuffix(#"- "GET /small.txt HTTP/1.1""#) == true)
    }

    /// The connection ends while the answer is being written: logged once, as aborted,
    /// with only the bytes the socket took.
    @Test func anAnswerCutShortIsLoggedAsAborted() throws {
        let connection = try ConnectionHarness(Self.logFormat)
        connection.stallSocket()
        try connection.send(get("/small.txt"))
        #expect(Self.accessLog(connection).isEmpty)
        connection.channel.close(promise: nil)
        connection.channel.embeddedEventLoop.run()
        #expect(Self.accessLog(connection) == [#"200 - X "GET /small.txt HTTP/1.1""#])
        connection.gate.release()
        connection.channel.embeddedEventLoop.run()
        #expect(Self.accessLog(connection).count == 1, "logged twice")
    }

    /// A write that times out: the connection closes and the request is logged as aborted.
    @Test func aStalledWriteIsLoggedAsAbortedWhenItTimesOut() throws {
        let connection = try ConnectionHarness("Timeout 10\n" + Self.logFormat)
        connection.stallSocket()
        try connection.send(get("/small.txt"))
        connection.advance(seconds: 11)
        #expect(!connection.isOpen)
        #expect(Self.accessLog(connection) == [#"200 - X "GET /small.txt HTTP/1.1""#])
    }

    /// A request whose body never came in full is logged when the connection ends.
    @Test func aRequestWhoseBodyNeverCameIsLogged() throws {
        let connection = try ConnectionHarness(Self.logFormat)
        try connection.send("GET /small.txt HTTP/1.1\r\n\(host)Content-Length: 10\r\n\r\nabc")
        connection.channel.close(promise: nil)
        connection.channel.embeddedEventLoop.run()
        #expect(Self.accessLog(connection) == [#"200 - X "GET /small.txt HTTP/1.1""#])
    }

    /// Large files go out in slices, so that an aborted download shows how far it got.
    @Test func largeFileRegionsAreSliced() throws {
        let handle = NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: dup(1))
        defer { try? handle.close() }
        let size = HTTPConnectionHandler.sliceSize
        let parts: [IOData] = [
            .byteBuffer(ByteBuffer(string: "x")),
            .fileRegion(FileRegion(fileHandle: handle, readerIndex: 10, endIndex: 10 + 2 * size + 5)),
        ]
        let sliced = HTTPConnectionHandler.slices(parts, size: HTTPConnectionHandler.sliceSize)
        #expect(sliced.map(\.readableBytes) == [1, size, size, 5])
        #expect(HTTPConnectionHandler.slices([.byteBuffer(ByteBuffer(string: "y"))], size: HTTPConnectionHandler.sliceSize).count == 1)
    }
}
