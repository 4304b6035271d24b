import NIOHTTP1
import RequestPipeline
import ServerConfig

/// What has been learnt so far about the head being decoded.
struct PendingRequestHead {
    var method: HTTPMethod = .GET
    var uri = ""
    var version: HTTPVersion = .http1_1
    /// The header fields as sent (HTTPHeaders is built once, at the end of the head).
    var fields: [(String, String)] = []
    var hostCount = 0
    /// Where the Host field is in `fields`.
    var hostFieldIndex: Int?
    /// `host[:port]` of a valid absolute-form target: it replaces the Host field, as
    /// Apache replaces it (RFC 9112 §3.2.2: the target's authority wins).
    var absoluteFormHost: String?
    var requestLineVersion: RequestLineVersion = .http1
    var contentLength: Int64?
    var hasTransferEncoding = false
    var chunkedCount = 0
    var lastCodingIsChunked = false
    var hasOtherCoding = false
}

/// Whether the request line named a version.
enum RequestLineVersion {
    /// `method SP request-target SP HTTP/1.x`.
    case http1
    /// `GET SP request-target` (HTTP/0.9, under `HttpProtocolOptions Allow0.9`): no header
    /// section follows. Read with HTTP/1.0's rules and handed on as version 0.9, whose
    /// answer is its body alone (Apache's `assbackwards`), then the connection closes.
    case http09
}

extension PendingRequestHead {
    // MARK: Request line

    /// Parses `method SP request-target SP HTTP-version` (or HTTP/0.9's
    /// `GET SP request-target`), applying `HttpProtocolOptions`.
    mutating func parseRequestLine(_ line: UnsafeRawBufferPointer, options: HTTPProtocolOptions) throws {
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
        var hasFragment = false
        while index < count && line[index] != Byte.space {
            let byte = line[index]
            guard byte > Byte.space && byte != Byte.del else {
                throw HTTPRequestError(status: 400, reason: "invalid character in request target")
            }
            hasFragment = hasFragment || byte == UInt8(ascii: "#")
            index += 1
        }
        guard index > targetStart else { throw HTTPRequestError(status: 400, reason: "empty request target") }
        // A request-target has no fragment (RFC 9112 §3.2); Apache's Strict answers 400.
        if hasFragment && options.conformance == .strict {
            throw HTTPRequestError(status: 400, reason: "fragment in request target (HttpProtocolOptions Strict)")
        }
        let targetEnd = index
        let method = UnsafeRawBufferPointer(rebasing: line[0..<methodEnd])
        let target = UnsafeRawBufferPointer(rebasing: line[targetStart..<targetEnd])
        if target[0] != Byte.slash {
            try readAbsoluteForm(target, conformance: options.conformance)
        }
        guard index < count else {
            try acceptHTTP09(method: method, options: options)
            self.method = .GET
            uri = String(decoding: target, as: UTF8.self)
            return
        }
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
        // HTTP/0.x written out is no HTTP/0.9 request (that has no version): 400, as in Apache.
        guard major >= 1 else { throw HTTPRequestError(status: 400, reason: "HTTP/0.x version in a request line") }
        // HTTP/1.2 and HTTP/2.0 sent in HTTP/1 framing are answered as HTTP/1.1, the highest
        // version this server speaks (RFC 9110 §6.2), as Apache answers them; a major
        // version that does not exist (3 and up in this framing) is refused (RFC 9110 §15.6.6).
        guard major <= 2 else { throw HTTPRequestError(status: 505, reason: "unsupported HTTP version") }
        version = major == 1 && minor == 0 ? .http1_0 : .http1_1

        self.method = Self.method(method)
        if options.methods == .registered && !Self.isRegistered(self.method) {
            throw HTTPRequestError(
                status: 501, reason: "method not registered (HttpProtocolOptions RegisteredMethods)")
        }
        uri = String(decoding: target, as: UTF8.self)
    }

    /// A request line without a version: HTTP/0.9, served (as HTTP/1.0) only under
    /// `Allow0.9` and only for GET, as Apache does.
    private mutating func acceptHTTP09(method: UnsafeRawBufferPointer, options: HTTPProtocolOptions) throws {
        guard options.http09 == .allow else {
            throw HTTPRequestError(status: 400, reason: "HTTP/0.9 request (HttpProtocolOptions Require1.0)")
        }
        guard method.count == 3, method[0] == UInt8(ascii: "G"), method[1] == UInt8(ascii: "E"),
              method[2] == UInt8(ascii: "T")
        else { throw HTTPRequestError(status: 400, reason: "HTTP/0.9 request with a method other than GET") }
        version = .http1_0
        requestLineVersion = .http09
    }

    /// What `RegisteredMethods` lets through.
    private static func isRegistered(_ method: HTTPMethod) -> Bool {
        switch method {
        case .GET, .POST, .HEAD: return true
        default: return RegisteredMethods.contains(method.rawValue)
        }
    }

    /// An absolute-form target (`http://host:port/path`): under Strict a malformed host,
    /// userinfo or a scheme other than http(s) is 400; a valid host replaces Host.
    private mutating func readAbsoluteForm(_ target: UnsafeRawBufferPointer, conformance: HTTPProtocolOptions.Conformance) throws {
        switch AbsoluteFormTarget.read(target) {
        case .notAbsoluteForm:
            break
        case .host(let host):
            absoluteFormHost = host
        case .malformed(let reason):
            if conformance == .strict { throw HTTPRequestError(status: 400, reason: reason) }
        }
    }

    /// Puts the absolute-form authority in the Host field (adding one to an HTTP/1.0
    /// request that had none), so that the virtual host, SERVER_NAME, SERVER_PORT and
    /// self-referential redirects all follow the target.
    mutating func replaceHost(with host: String) {
        if let index = hostFieldIndex {
            fields[index].1 = host
        } else {
            fields.append(("Host", host))
        }
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
            hostFieldIndex = fields.count
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
        // uri-host [ ":" port ] with port = *DIGIT (RFC 9112 §3.2, RFC 3986 §3.2.3).
        let hostEnd = value.first == UInt8(ascii: "[") ? (value.firstIndex(of: UInt8(ascii: "]")) ?? value.endIndex) : value.startIndex
        if let colon = value[hostEnd...].firstIndex(of: UInt8(ascii: ":")),
           !value[(colon + 1)...].allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) {
            throw HTTPRequestError(status: 400, reason: "invalid port in Host header")
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
