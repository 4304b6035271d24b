@testable import HTTPDaemon
import NIOCore
import NIOEmbedded
import NIOHTTP1
import RequestPipeline
import Testing

/// The two ways a head is written give the same bytes: `encode` (the event loop's own
/// responses) and `head` through `HTTPResponseHeadEncoder` (blocking handlers).
@Suite struct ResponseHeadBytesTests {
    static func throughEncoder(_ head: HTTPResponseHead) throws -> [UInt8] {
        let channel = EmbeddedChannel(handler: HTTPResponseHeadEncoder())
        try channel.writeOutbound(HTTPServerResponsePart.head(head))
        var bytes: [UInt8] = []
        while let data = try channel.readOutbound(as: IOData.self) {
            if case .byteBuffer(let buffer) = data { bytes += buffer.readableBytesView }
        }
        _ = try channel.finish()
        return bytes
    }

    struct Case: Sendable, CustomStringConvertible {
        var status: Int
        var reason: String? = nil
        var headers: [(String, String)] = []
        var contentLength: Int64? = nil
        var keepAlive = true
        var remaining: Int? = nil
        var http10 = false
        var description: String { "\(status) keepAlive=\(keepAlive) http10=\(http10)" }
    }

    static let cases = [
        Case(status: 200, headers: [("Content-Type", "text/plain"), ("ETag", "\"1-2\"")], contentLength: 13, remaining: 99),
        Case(status: 404, contentLength: 210, keepAlive: false),
        Case(status: 302, reason: "Found It", headers: [("Location", "http://x/é")], contentLength: 0, http10: true),
        Case(status: 304, headers: [("ETag", "\"a\"")], remaining: 0),
        Case(status: 599, contentLength: 0, keepAlive: false, http10: true),
    ]

    @Test(arguments: cases)
    func encodeWritesWhatTheEncoderWrites(_ test: Case) throws {
        var headers = HeaderFields()
        for (name, value) in test.headers { headers.add(name, value) }
        let (status, reason, contentLength, keepAlive) = (test.status, test.reason, test.contentLength, test.keepAlive)
        let harness = try ConnectionHarness()
        let context = ResponseHeadContext(daemon: harness.daemon, serverHeader: "isapid/test", keepAliveTimeout: 5,
                                          remainingRequests: test.remaining, isHTTP10: test.http10)
        for _ in 0..<3 {  // the Date may change between the two: try again
            var buffer = ByteBuffer()
            context.encode(status: status, reason: reason, headers: headers, contentLength: contentLength,
                           keepAlive: keepAlive, into: &buffer)
            let expected = try Self.throughEncoder(context.head(status: status, reason: reason, headers: headers,
                                                                contentLength: contentLength, keepAlive: keepAlive))
            if Array(buffer.readableBytesView) == expected { return }
        }
        Issue.record("encode() and the encoder disagree")
    }
}
