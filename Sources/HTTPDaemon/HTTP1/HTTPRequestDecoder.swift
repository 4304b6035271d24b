import NIOCore
import NIOHTTP1

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A strict HTTP/1.1 request decoder (RFC 9112 with Apache 2.4's strict defaults and
/// limits). It emits NIOHTTP1's `HTTPServerRequestPart`s: the head once all of it is
/// buffered and valid, body bytes as they arrive, then `.end(nil)`; pipelined requests
/// follow. Anything malformed throws an `HTTPRequestError` carrying the status to answer.
///
/// The head is consumed line by line, so at most one incomplete line (bounded by the
/// limits) is ever buffered. A CR inside a line fails that line's syntax once its LF arrives. A bare LF ending a line
/// (request line, field, chunk-size line, chunk data, trailer) is 400 under
/// `HttpProtocolOptions Strict`, as in Apache 2.4 (a front end that splits lines only
/// at CRLF would otherwise see other requests than isapid: request smuggling), and
/// accepted under `Unsafe`.
final class HTTPRequestDecoder: ByteToMessageDecoder {
    typealias InboundOut = HTTPServerRequestPart

    private enum State {
        case requestLine
        case headerFields
        case body(remaining: Int64)
        case chunkSize
        case chunkData(remaining: Int64)
        case chunkDataEnd
        case trailerFields
    }

    /// Empty lines tolerated before a request line (Apache's DEFAULT_LIMIT_BLANK_LINES).
    static let maxLeadingEmptyLines = 10

    /// Which line ends are accepted.
    private enum LineEnds {
        /// CRLF only (`HttpProtocolOptions Strict`).
        case crlf
        /// CRLF or a bare LF (`Unsafe`).
        case crlfOrLF
    }

    private let limits: HTTPRequestLimits
    private let lineEnds: LineEnds
    private var state: State = .requestLine
    /// How far (from the reader index) the current incomplete line has been searched.
    private var scanned = 0
    private var emptyLines = 0
    /// Header (or trailer) fields read so far in the current section.
    private var fieldCount = 0
    private var head = PendingRequestHead()

    init(limits: HTTPRequestLimits) {
        self.limits = limits
        lineEnds = limits.protocolOptions.conformance == .strict ? .crlf : .crlfOrLF
    }

    // MARK: ByteToMessageDecoder

    func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        switch state {
        case .requestLine, .headerFields:
            do {
                return try decodeHead(context: context, buffer: &buffer)
            } catch let error as HTTPRequestError {
                throw withRequestLine(error)
            }

        case .body(let remaining):
            guard buffer.readableBytes > 0 else { return .needMoreData }
            let count = Int(min(Int64(buffer.readableBytes), remaining))
            let data = buffer.readSlice(length: count)!
            if remaining == Int64(count) {
                state = .requestLine
                context.fireChannelRead(wrapInboundOut(.body(data)))
                context.fireChannelRead(wrapInboundOut(.end(nil)))
            } else {
                state = .body(remaining: remaining - Int64(count))
                context.fireChannelRead(wrapInboundOut(.body(data)))
            }
            return .continue

        case .chunkSize:
            guard let line = try findLine(
                in: buffer, limit: chunkLineLimit, status: 400, reason: "chunk-size line too long")
            else { return .needMoreData }
            let size = try buffer.withUnsafeReadableBytes { bytes in
                try Self.parseChunkSizeLine(UnsafeRawBufferPointer(rebasing: bytes[0..<line.content]))
            }
            consumeLine(&buffer, line.total)
            if size == 0 {
                fieldCount = 0
                state = .trailerFields
            } else {
                state = .chunkData(remaining: size)
            }
            return .continue

        case .chunkData(let remaining):
            guard buffer.readableBytes > 0 else { return .needMoreData }
            let count = Int(min(Int64(buffer.readableBytes), remaining))
            let data = buffer.readSlice(length: count)!
            state = remaining == Int64(count) ? .chunkDataEnd : .chunkData(remaining: remaining - Int64(count))
            context.fireChannelRead(wrapInboundOut(.body(data)))
            return .continue

        case .chunkDataEnd:
            guard let first = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) else { return .needMoreData }
            if first == Byte.lf {
                guard lineEnds == .crlfOrLF else { throw Self.bareLF }
                buffer.moveReaderIndex(forwardBy: 1)
            } else if first == Byte.cr {
                guard let second = buffer.getInteger(at: buffer.readerIndex + 1, as: UInt8.self) else {
                    return .needMoreData
                }
                guard second == Byte.lf else {
                    throw HTTPRequestError(status: 400, reason: "chunk data not followed by CRLF")
                }
                buffer.moveReaderIndex(forwardBy: 2)
            } else {
                throw HTTPRequestError(status: 400, reason: "chunk data not followed by CRLF")
            }
            state = .chunkSize
            return .continue

        case .trailerFields:
            guard let line = try findLine(
                in: buffer, limit: limits.maxHeaderFieldSize, status: 431, reason: "trailer field too long")
            else { return .needMoreData }
            if line.content == 0 {
                consumeLine(&buffer, line.total)
                state = .requestLine
                context.fireChannelRead(wrapInboundOut(.end(nil)))
                return .continue
            }
            fieldCount += 1
            guard fieldCount <= limits.maxHeaderFields else {
                throw HTTPRequestError(status: 431, reason: "too many trailer fields")
            }
            _ = try buffer.withUnsafeReadableBytes { bytes in
                try PendingRequestHead.splitField(UnsafeRawBufferPointer(rebasing: bytes[0..<line.content]))
            }
            consumeLine(&buffer, line.total)
            return .continue
        }
    }

    func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        if try decode(context: context, buffer: &buffer) == .continue { return .continue }
        guard seenEOF else { return .needMoreData }
        // No complete request line yet: nothing to answer (Apache closes silently too).
        if case .requestLine = state { return .needMoreData }
        throw withRequestLine(HTTPRequestError(status: 400, reason: "connection closed with an incomplete request"))
    }

    /// `error` with the request line read before it, when the head failed after it.
    private func withRequestLine(_ error: HTTPRequestError) -> HTTPRequestError {
        guard case .headerFields = state else { return error }
        var error = error
        error.requestLine = RejectedRequestLine(
            method: head.method.rawValue, target: head.uri, versionMinor: head.version.minor)
        return error
    }

    // MARK: Head

    private func decodeHead(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        // Work on a local copy: cheaper than accessing the stored property field by field.
        var head = PendingRequestHead()
        swap(&head, &self.head)
        defer { swap(&head, &self.head) }
        while true {
            if case .requestLine = state {
                guard let line = try findLine(
                    in: buffer, limit: limits.maxRequestLine, status: 414, reason: "request line too long")
                else { return .needMoreData }
                if line.content == 0 {
                    emptyLines += 1
                    guard emptyLines <= Self.maxLeadingEmptyLines else {
                        throw HTTPRequestError(status: 400, reason: "too many empty lines before the request line")
                    }
                    consumeLine(&buffer, line.total)
                    continue
                }
                let options = limits.protocolOptions
                try buffer.withUnsafeReadableBytes { bytes in
                    try head.parseRequestLine(UnsafeRawBufferPointer(rebasing: bytes[0..<line.content]), options: options)
                }
                consumeLine(&buffer, line.total)
                emptyLines = 0
                fieldCount = 0
                if case .http09 = head.requestLineVersion {
                    // No header section follows an HTTP/0.9 request line.
                    try finishHead(&head, context: context)
                    return .continue
                }
                state = .headerFields
            }

            guard let line = try findLine(
                in: buffer, limit: limits.maxHeaderFieldSize, status: 431, reason: "header field too long")
            else { return .needMoreData }
            if line.content == 0 {
                consumeLine(&buffer, line.total)
                try finishHead(&head, context: context)
                return .continue
            }
            fieldCount += 1
            guard fieldCount <= limits.maxHeaderFields else {
                throw HTTPRequestError(status: 431, reason: "too many header fields")
            }
            try buffer.withUnsafeReadableBytes { bytes in
                try head.addField(UnsafeRawBufferPointer(rebasing: bytes[0..<line.content]))
            }
            consumeLine(&buffer, line.total)
        }
    }

    /// Validates the completed head, emits it and chooses how to read the body.
    private func finishHead(_ head: inout PendingRequestHead, context: ChannelHandlerContext) throws {
        if head.hostCount > 1 {
            throw HTTPRequestError(status: 400, reason: "more than one Host header")
        }
        if head.hostCount == 0 && head.version.minor >= 1 {
            throw HTTPRequestError(status: 400, reason: "HTTP/1.1 request without Host")
        }
        if head.hasTransferEncoding {
            if head.version.minor == 0 {
                throw HTTPRequestError(status: 400, reason: "Transfer-Encoding in an HTTP/1.0 request")
            }
            if head.contentLength != nil {
                throw HTTPRequestError(status: 400, reason: "both Transfer-Encoding and Content-Length")
            }
            guard head.chunkedCount == 1 && head.lastCodingIsChunked else {
                throw HTTPRequestError(status: 400, reason: "chunked is not the final transfer coding")
            }
            if head.hasOtherCoding {
                throw HTTPRequestError(status: 501, reason: "unsupported transfer coding")
            }
        }

        if let host = head.absoluteFormHost {
            head.replaceHost(with: host)
        }

        var pending = PendingRequestHead()
        swap(&pending, &head)
        // An HTTP/0.9 line was read as HTTP/1.0; it goes on as 0.9, answered without a head.
        let version = pending.requestLineVersion == .http09 ? HTTPVersion(major: 0, minor: 9) : pending.version
        let requestHead = HTTPRequestHead(
            version: version, method: pending.method, uri: pending.uri, headers: HTTPHeaders(pending.fields))
        if pending.hasTransferEncoding {
            state = .chunkSize
            context.fireChannelRead(wrapInboundOut(.head(requestHead)))
        } else if let length = pending.contentLength, length > 0 {
            state = .body(remaining: length)
            context.fireChannelRead(wrapInboundOut(.head(requestHead)))
        } else {
            state = .requestLine
            context.fireChannelRead(wrapInboundOut(.head(requestHead)))
            context.fireChannelRead(wrapInboundOut(.end(nil)))
        }
    }

    // MARK: Lines

    /// Bound on a chunk-size line with its extensions (which are ignored).
    private var chunkLineLimit: Int { limits.maxHeaderFieldSize }

    private static let bareLF = HTTPRequestError(
        status: 400, reason: "line ended by a bare LF (HttpProtocolOptions Strict requires CRLF)")

    private func consumeLine(_ buffer: inout ByteBuffer, _ total: Int) {
        buffer.moveReaderIndex(forwardBy: total)
        scanned = 0
    }

    /// Finds the line starting at the reader index: the length of its content (without
    /// CRLF or LF) and of the whole line, or nil if it is not complete yet. Throws when the
    /// content is (or, while incomplete, already is) longer than `limit`, or (Strict) on a
    /// bare LF.
    @inline(__always)
    private func findLine(
        in buffer: ByteBuffer, limit: Int, status: Int, reason: String
    ) throws -> (content: Int, total: Int)? {
        let start = scanned
        // >= 0: index of LF; -1: no LF. A CR inside a line is no line end: as Apache, the
        // line is read to its LF, and the CR then fails the line's own syntax (request
        // line, field, chunk size: 400); a connection that ends first is only closed.
        let (found, count, endsInCR) = buffer.withUnsafeReadableBytes { bytes -> (Int, Int, Bool) in
            let count = bytes.count
            guard start < count, let base = bytes.baseAddress else { return (-1, count, false) }
            if let hit = memchr(base + start, Int32(Byte.lf), count - start) {
                let index = base.distance(to: UnsafeRawPointer(hit))
                return (index, count, index > 0 && bytes[index - 1] == Byte.cr)
            }
            return (-1, count, bytes[count - 1] == Byte.cr)
        }
        if found >= 0 {
            if !endsInCR && lineEnds == .crlf { throw Self.bareLF }
            let content = endsInCR ? found - 1 : found
            guard content <= limit else { throw HTTPRequestError(status: status, reason: reason) }
            return (content, found + 1)
        }
        guard count - (endsInCR ? 1 : 0) <= limit else { throw HTTPRequestError(status: status, reason: reason) }
        scanned = Swift.max(count - 1, 0)
        return nil
    }
}
