import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import HTTPDaemon
import ServerConfig

/// Helpers for the decoder tests.

/// A decoded request: its head, its body bytes joined, and whether `.end` was seen.
struct DecodedRequest {
    var head: HTTPRequestHead
    var body = ""
    var bodyParts = 0
    var ended = false
}

/// Feeds `chunks` to a decoder one write at a time and returns the parts read so far, plus
/// the decoder's error if one was thrown.
final class DecoderHarness {
    let channel: EmbeddedChannel

    init(limits: HTTPRequestLimits = HTTPRequestLimits()) {
        channel = EmbeddedChannel(handler: ByteToMessageHandler(HTTPRequestDecoder(limits: limits)))
    }

    /// Writes the bytes; returns the decoder's error, if any.
    @discardableResult
    func write(_ bytes: String) -> HTTPRequestError? {
        Self.requestError { try channel.writeInbound(ByteBuffer(string: bytes)) }
    }

    /// The decoder's error that `body` throws, if any; any other error is a test failure.
    private static func requestError(_ body: () throws -> Void) -> HTTPRequestError? {
        do {
            try body()
            return nil
        } catch let error as HTTPRequestError {
            return error
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    func readParts() throws -> [HTTPServerRequestPart] {
        var parts: [HTTPServerRequestPart] = []
        while let part = try channel.readInbound(as: HTTPServerRequestPart.self) {
            parts.append(part)
        }
        return parts
    }

    /// Closes the input; returns the decoder's error, if any.
    func finish() -> HTTPRequestError? {
        Self.requestError { _ = try channel.finish(acceptAlreadyClosed: true) }
    }
}

func group(_ parts: [HTTPServerRequestPart]) -> [DecodedRequest] {
    var requests: [DecodedRequest] = []
    for part in parts {
        switch part {
        case .head(let head):
            requests.append(DecodedRequest(head: head))
        case .body(var buffer):
            requests[requests.count - 1].body += buffer.readString(length: buffer.readableBytes)!
            requests[requests.count - 1].bodyParts += 1
        case .end(let trailers):
            #expect(trailers == nil)
            requests[requests.count - 1].ended = true
        }
    }
    return requests
}

/// Decodes `chunks` written one after another; fails the test on an error.
func decode(_ chunks: [String], limits: HTTPRequestLimits = HTTPRequestLimits()) throws -> [DecodedRequest] {
    let harness = DecoderHarness(limits: limits)
    for chunk in chunks {
        if let error = harness.write(chunk) {
            Issue.record("unexpected \(error)")
        }
    }
    let requests = group(try harness.readParts())
    #expect(harness.finish() == nil)
    return requests
}

func decode(_ raw: String, limits: HTTPRequestLimits = HTTPRequestLimits()) throws -> [DecodedRequest] {
    try decode([raw], limits: limits)
}

/// The status the decoder rejects `raw` with (all of it written at once), or nil.
func rejection(_ raw: String, limits: HTTPRequestLimits = HTTPRequestLimits()) -> Int? {
    DecoderHarness(limits: limits).write(raw)?.status
}

func headers(_ head: HTTPRequestHead) -> [String] {
    head.headers.map { "\($0.name)=\($0.value)" }
}

extension HTTPRequestLimits {
    /// The default limits with `HttpProtocolOptions Unsafe`.
    static var unsafe: HTTPRequestLimits {
        var limits = HTTPRequestLimits()
        limits.protocolOptions.conformance = .unsafe
        return limits
    }
}
