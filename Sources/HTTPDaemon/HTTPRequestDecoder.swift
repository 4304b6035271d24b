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
/// limits) is ever buffered. Bare LF is accepted as a line end; a CR not followed by LF
/// is rejected.
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

    private let limits: HTTPRequestLimits
    private var state: State = .requestLine
    /// How far (from the reader index) the current incomplete line has been searched.
    private var scanned = 0
    private var emptyLines = 0
    /// Header (or trailer) fields read so far in the current section.
    private var fieldCount = 0
    private var head = PendingRequestHead()

    init(limits: HTTPRequestLimits) {
        self.limits = limits
    }

    // MARK: ByteToMessageDecoder

    func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        switch state {
        case .requestLine, .headerFields:
            return try decodeHead(context: context, buffer: &buffer)

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
        if case .requestLine = state, buffer.readableBytes == 0 { return .needMoreData }
        throw HTTPRequestError(status: 400, reason: "connection closed with an incomplete request")
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
                try buffer.withUnsafeReadableBytes { bytes in
                    try head.parseRequestLine(UnsafeRawBufferPointer(rebasing: bytes[0..<line.content]))
                }
                consumeLine(&buffer, line.total)
                emptyLines = 0
                fieldCount = 0
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

        var pending = PendingRequestHead()
        swap(&pending, &head)
        let requestHead = HTTPRequestHead(
            version: pending.version, method: pending.method, uri: pending.uri, headers: HTTPHeaders(pending.fields))
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

    private func consumeLine(_ buffer: inout ByteBuffer, _ total: Int) {
        buffer.moveReaderIndex(forwardBy: total)
        scanned = 0
    }

    /// Finds the line starting at the reader index: the length of its content (without
    /// CRLF or LF) and of the whole line, or nil if it is not complete yet. Throws when the
    /// content is (or, while incomplete, already is) longer than `limit`, or on a bare CR.
    @inline(__always)
    private func findLine(
        in buffer: ByteBuffer, limit: Int, status: Int, reason: String
    ) throws -> (content: Int, total: Int)? {
        let start = scanned
        // >= 0: index of LF; -1: no LF; -2: a CR not followed by LF.
        let (found, count, endsInCR) = buffer.withUnsafeReadableBytes { bytes -> (Int, Int, Bool) in
            let count = bytes.count
            guard start < count, let base = bytes.baseAddress else { return (-1, count, false) }
            if let hit = memchr(base + start, Int32(Byte.lf), count - start) {
                let index = base.distance(to: UnsafeRawPointer(hit))
                return (index, count, index > 0 && bytes[index - 1] == Byte.cr)
            }
            if count - 1 > start, memchr(base + start, Int32(Byte.cr), count - 1 - start) != nil {
                return (-2, count, false)
            }
            return (-1, count, bytes[count - 1] == Byte.cr)
        }
        if found >= 0 {
            let content = endsInCR ? found - 1 : found
            guard content <= limit else { throw HTTPRequestError(status: status, reason: reason) }
            return (content, found + 1)
        }
        if found == -2 { throw HTTPRequestError(status: 400, reason: "CR not followed by LF") }
        guard count - (endsInCR ? 1 : 0) <= limit else { throw HTTPRequestError(status: status, reason: reason) }
        scanned = Swift.max(count - 1, 0)
        return nil
    }

    // MARK: Chunked body

    /// `chunk-size [ chunk-ext ]`: returns the size; extensions are validated and ignored.
    private static func parseChunkSizeLine(_ line: UnsafeRawBufferPointer) throws -> Int64 {
        let count = line.count
        var index = 0
        var size: UInt64 = 0
        while index < count, let digit = Byte.hexValue(line[index]) {
            guard index < 16 else { throw HTTPRequestError(status: 400, reason: "chunk size too large") }
            size = size << 4 | UInt64(digit)
            index += 1
        }
        guard index > 0 else { throw HTTPRequestError(status: 400, reason: "invalid chunk size") }
        guard size <= UInt64(Int64.max) else { throw HTTPRequestError(status: 400, reason: "chunk size too large") }

        // chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] )
        let invalid = HTTPRequestError(status: 400, reason: "invalid chunk extension")
        while true {
            while index < count && Byte.isWhitespace(line[index]) { index += 1 }
            if index == count { break }
            guard line[index] == Byte.semicolon else { throw invalid }
            index += 1
            while index < count && Byte.isWhitespace(line[index]) { index += 1 }
            let nameStart = index
            while index < count && Byte.isTchar(line[index]) { index += 1 }
            guard index > nameStart else { throw invalid }
            var afterName = index
            while afterName < count && Byte.isWhitespace(line[afterName]) { afterName += 1 }
            guard afterName < count && line[afterName] == Byte.equals else { continue }
            index = afterName + 1
            while index < count && Byte.isWhitespace(line[index]) { index += 1 }
            guard index < count else { throw invalid }
            if line[index] == Byte.quote {
                index += 1
                while true {
                    guard index < count else { throw invalid }
                    let byte = line[index]
                    if byte == Byte.quote {
                        index += 1
                        break
                    }
                    if byte == Byte.backslash {
                        index += 1
                        guard index < count else { throw invalid }
                    }
                    let character = line[index]
                    guard character >= Byte.space || character == Byte.tab, character != Byte.del else {
                        throw invalid
                    }
                    index += 1
                }
            } else {
                let valueStart = index
                while index < count && Byte.isTchar(line[index]) { index += 1 }
                guard index > valueStart else { throw invalid }
            }
        }
        return Int64(size)
    }
}

// MARK: - Pending head

/// What has been learnt so far about the head being decoded.
private struct PendingRequestHead {
    var method: HTTPMethod = .GET
    var uri = ""
    var version: HTTPVersion = .http1_1
    /// The header fields as sent (HTTPHeaders is built once, at the end of the head).
    var fields: [(String, String)] = []
    var hostCount = 0
    var contentLength: Int64?
    var hasTransferEncoding = false
    var chunkedCount = 0
    var lastCodingIsChunked = false
    var hasOtherCoding = false
}

extension PendingRequestHead {
    // MARK: Request line

    /// Parses `method SP request-target SP HTTP-version`.
    mutating func parseRequestLine(_ line: UnsafeRawBufferPointer) throws {
        let count = line.count
        var index = 0
        while index < count && line[index] != Byte.space {
            guard Byte.isTchar(line[index]) else {
                throw HTTPRequestError(status: 400, reason: "invalid request line")
            }
            index += 1
        }
        guard index > 0, index < count else { throw HTTPRequestError(status: 400, reason: "invalid request line") }
        let methodEnd = index
        index += 1
        let targetStart = index
        while index < count && line[index] != Byte.space {
            let byte = line[index]
            guard byte > Byte.space && byte != Byte.del else {
                throw HTTPRequestError(status: 400, reason: "invalid character in request target")
            }
            index += 1
        }
        guard index > targetStart else { throw HTTPRequestError(status: 400, reason: "empty request target") }
        guard index < count else { throw HTTPRequestError(status: 400, reason: "request line without HTTP version") }
        let targetEnd = index
        index += 1

        // HTTP-version = "HTTP/" DIGIT "." DIGIT
        guard count - index == 8,
            line[index] == UInt8(ascii: "H"), line[index + 1] == UInt8(ascii: "T"),
            line[index + 2] == UInt8(ascii: "T"), line[index + 3] == UInt8(ascii: "P"),
            line[index + 4] == UInt8(ascii: "/"), line[index + 6] == UInt8(ascii: "."),
            Byte.isDigit(line[index + 5]), Byte.isDigit(line[index + 7])
        else { throw HTTPRequestError(status: 400, reason: "malformed HTTP version") }
        let major = line[index + 5] &- Byte.zero
        let minor = line[index + 7] &- Byte.zero
        guard major == 1 else { throw HTTPRequestError(status: 505, reason: "unsupported HTTP version") }
        // HTTP/1.x with x > 1 is answered as HTTP/1.1 (RFC 9110 §6.2; as Apache does).
        version = minor == 0 ? .http1_0 : .http1_1

        let method = UnsafeRawBufferPointer(rebasing: line[0..<methodEnd])
        self.method = Self.method(method)
        uri = String(decoding: UnsafeRawBufferPointer(rebasing: line[targetStart..<targetEnd]), as: UTF8.self)
    }

    private static func method(_ bytes: UnsafeRawBufferPointer) -> HTTPMethod {
        switch bytes.count {
        case 3 where bytes[0] == UInt8(ascii: "G") && bytes[1] == UInt8(ascii: "E") && bytes[2] == UInt8(ascii: "T"):
            return .GET
        case 4 where bytes[1] == UInt8(ascii: "O") && bytes[2] == UInt8(ascii: "S") && bytes[3] == UInt8(ascii: "T")
            && bytes[0] == UInt8(ascii: "P"):
            return .POST
        case 4 where bytes[1] == UInt8(ascii: "E") && bytes[2] == UInt8(ascii: "A") && bytes[3] == UInt8(ascii: "D")
            && bytes[0] == UInt8(ascii: "H"):
            return .HEAD
        default:
            return HTTPMethod(rawValue: String(decoding: bytes, as: UTF8.self))
        }
    }

    // MARK: Fields

    /// Validates a field line, `name ":" OWS value OWS`; returns where the name ends and
    /// where the value (without OWS) is.
    static func splitField(_ line: UnsafeRawBufferPointer) throws -> (nameEnd: Int, value: Range<Int>) {
        let count = line.count
        if line[0] == Byte.space || line[0] == Byte.tab {
            throw HTTPRequestError(status: 400, reason: "obsolete line folding or leading whitespace in field line")
        }
        var index = 0
        while index < count && line[index] != Byte.colon {
            guard Byte.isTchar(line[index]) else { throw HTTPRequestError(status: 400, reason: "invalid field name") }
            index += 1
        }
        guard index < count else { throw HTTPRequestError(status: 400, reason: "field line without colon") }
        guard index > 0 else { throw HTTPRequestError(status: 400, reason: "empty field name") }
        let nameEnd = index
        var valueStart = nameEnd + 1
        var valueEnd = count
        while valueStart < valueEnd && Byte.isWhitespace(line[valueStart]) { valueStart += 1 }
        while valueEnd > valueStart && Byte.isWhitespace(line[valueEnd - 1]) { valueEnd -= 1 }
        // Branch-free so that it vectorizes: field values are most of a head's bytes.
        var invalid: UInt8 = 0
        for byte in UnsafeRawBufferPointer(rebasing: line[valueStart..<valueEnd]) {
            let control: UInt8 = byte < Byte.space ? 1 : 0
            let tab: UInt8 = byte == Byte.tab ? 1 : 0
            let del: UInt8 = byte == Byte.del ? 1 : 0
            invalid |= (control & ~tab) | del
        }
        if invalid != 0 { throw HTTPRequestError(status: 400, reason: "invalid character in field value") }
        return (nameEnd, valueStart..<valueEnd)
    }

    /// Adds a header field line, checking the fields that frame the request.
    mutating func addField(_ line: UnsafeRawBufferPointer) throws {
        let (nameEnd, valueRange) = try Self.splitField(line)
        let name = UnsafeRawBufferPointer(rebasing: line[0..<nameEnd])
        let value = UnsafeRawBufferPointer(rebasing: line[valueRange])
        switch nameEnd {
        case 4 where Byte.equalsLowercased(name, "host"):
            try checkHost(value)
        case 14 where Byte.equalsLowercased(name, "content-length"):
            try parseContentLength(value)
        case 17 where Byte.equalsLowercased(name, "transfer-encoding"):
            try parseTransferEncoding(value)
        default:
            break
        }
        if fields.isEmpty { fields.reserveCapacity(16) }
        fields.append((String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self)))
    }

    private mutating func checkHost(_ value: UnsafeRawBufferPointer) throws {
        hostCount += 1
        guard hostCount == 1 else { throw HTTPRequestError(status: 400, reason: "more than one Host header") }
        for byte in value where !Byte.isHostChar(byte) {
            throw HTTPRequestError(status: 400, reason: "invalid Host header")
        }
    }

    private mutating func parseContentLength(_ value: UnsafeRawBufferPointer) throws {
        guard contentLength == nil else {
            throw HTTPRequestError(status: 400, reason: "more than one Content-Length header")
        }
        guard !value.isEmpty else { throw HTTPRequestError(status: 400, reason: "invalid Content-Length") }
        var length: Int64 = 0
        for byte in value {
            guard Byte.isDigit(byte) else { throw HTTPRequestError(status: 400, reason: "invalid Content-Length") }
            let (times10, overflow1) = length.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(Int64(byte &- Byte.zero))
            guard !overflow1 && !overflow2 else {
                throw HTTPRequestError(status: 400, reason: "Content-Length too large")
            }
            length = sum
        }
        contentLength = length
    }

    /// Folds one Transfer-Encoding field (a comma list of codings) into the pending head.
    private mutating func parseTransferEncoding(_ value: UnsafeRawBufferPointer) throws {
        hasTransferEncoding = true
        let count = value.count
        var index = 0
        while index <= count {
            var end = index
            while end < count && value[end] != Byte.comma { end += 1 }
            var start = index
            var stop = end
            index = end + 1
            while start < stop && Byte.isWhitespace(value[start]) { start += 1 }
            while stop > start && Byte.isWhitespace(value[stop - 1]) { stop -= 1 }
            if start == stop { continue }  // empty list element

            var tokenEnd = start
            while tokenEnd < stop && Byte.isTchar(value[tokenEnd]) { tokenEnd += 1 }
            var rest = tokenEnd
            while rest < stop && Byte.isWhitespace(value[rest]) { rest += 1 }
            guard tokenEnd > start, rest == stop || value[rest] == Byte.semicolon else {
                throw HTTPRequestError(status: 400, reason: "malformed Transfer-Encoding")
            }
            let token = UnsafeRawBufferPointer(rebasing: value[start..<tokenEnd])
            if token.count == 7 && Byte.equalsLowercased(token, "chunked") {
                guard rest == stop else {
                    throw HTTPRequestError(status: 400, reason: "malformed Transfer-Encoding")
                }
                chunkedCount += 1
                lastCodingIsChunked = true
            } else {
                hasOtherCoding = true
                lastCodingIsChunked = false
            }
        }
    }
}

/// Byte constants and classes for the decoder.
private enum Byte {
    static let tab: UInt8 = 0x09
    static let lf: UInt8 = 0x0A
    static let cr: UInt8 = 0x0D
    static let space: UInt8 = 0x20
    static let quote: UInt8 = 0x22
    static let comma: UInt8 = 0x2C
    static let zero: UInt8 = 0x30
    static let colon: UInt8 = 0x3A
    static let semicolon: UInt8 = 0x3B
    static let equals: UInt8 = 0x3D
    static let backslash: UInt8 = 0x5C
    static let del: UInt8 = 0x7F

    /// Case-insensitive comparison of a token with a lowercase literal of the same length.
    /// (`| 0x20` only folds letters here: other tchar bytes equal to a literal's `-` or
    /// letters after folding are not tchar.)
    @inline(__always)
    static func equalsLowercased(_ bytes: UnsafeRawBufferPointer, _ literal: StaticString) -> Bool {
        let expected = literal.utf8Start
        for index in 0..<bytes.count where bytes[index] | 0x20 != expected[index] {
            return false
        }
        return true
    }

    @inline(__always)
    static func isWhitespace(_ byte: UInt8) -> Bool { byte == space || byte == tab }

    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool { byte &- zero < 10 }

    /// tchar: `!#$%&'*+-.^_`|~`, DIGIT, ALPHA.
    @inline(__always)
    static func isTchar(_ byte: UInt8) -> Bool {
        inSet(byte, low: 0x03FF_6CFA_0000_0000, high: 0x57FF_FFFF_C7FF_FFFE)
    }

    /// Characters of `uri-host [ ":" port ]`: unreserved, sub-delims, `%`, `:`, `[`, `]`.
    @inline(__always)
    static func isHostChar(_ byte: UInt8) -> Bool {
        inSet(byte, low: 0x2FFF_7FF2_0000_0000, high: 0x47FF_FFFE_AFFF_FFFE)
    }

    @inline(__always)
    private static func inSet(_ byte: UInt8, low: UInt64, high: UInt64) -> Bool {
        guard byte < 128 else { return false }
        let mask = byte < 64 ? low : high
        return mask & (1 << UInt64(byte & 63)) != 0
    }

    @inline(__always)
    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: return byte &- 0x30
        case 0x41...0x46: return byte &- 0x41 &+ 10
        case 0x61...0x66: return byte &- 0x61 &+ 10
        default: return nil
        }
    }
}
