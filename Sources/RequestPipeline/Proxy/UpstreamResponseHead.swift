/// How an upstream response body is delimited.
public enum ResponseBodyFraming: Sendable, Equatable {
    /// HEAD, 1xx, 204, 304: no body whatever the headers say.
    case none
    case length(Int64)
    case chunked
    /// No length and not chunked: the body ends when the upstream closes.
    case untilClose
}

/// An upstream's status line and header fields (the shell's HTTP decoder parsed them).
public struct UpstreamResponseHead: Sendable {
    public var versionMinor: Int
    public var status: Int
    public var reason: String?
    public var headers: HeaderFields

    /// Fields the client never sees: hop-by-hop ones (RFC 9110 §7.6.1), and Date and
    /// Server, which the connection sets on every response it sends.
    static let dropped: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "te", "trailer", "transfer-encoding",
        "upgrade", "date", "server",
    ]

    public init(versionMinor: Int, status: Int, reason: String?, headers: HeaderFields) {
        self.versionMinor = versionMinor
        self.status = status
        self.reason = reason
        self.headers = headers
    }

    /// The body's framing for a response to `method` (RFC 9112 §6.3); nil when the
    /// Content-Length is malformed or values disagree.
    public func bodyFraming(method: String) -> ResponseBodyFraming? {
        if method == "HEAD" || status < 200 || status == 204 || status == 304 { return ResponseBodyFraming.none }
        let codings = headers.values("Transfer-Encoding").flatMap { $0.split(separator: ",") }
            .map { $0.trimmingSpaces().lowercased() }.filter { !$0.isEmpty }
        if !codings.isEmpty { return codings.last == "chunked" ? .chunked : .untilClose }
        let lengths = headers.values("Content-Length")
            .flatMap { $0.split(separator: ",", omittingEmptySubsequences: false) }
            .map { $0.trimmingSpaces() }
        guard let first = lengths.first else { return .untilClose }
        guard lengths.allSatisfy({ $0 == first }), !first.isEmpty, first.utf8.count <= 18,
              first.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let length = Int64(first) else { return nil }
        return .length(length)
    }

    /// The header fields the client gets: hop-by-hop fields, and those the Connection
    /// field lists, dropped; the body framing dropped when the connection re-frames a
    /// decoded body; Location and Content-Location passed through `mapLocation`.
    func clientHeaders(framing: ResponseBodyFraming, mapLocation: (String) -> String) -> HeaderFields {
        var connectionTokens = Set<String>()
        for value in headers.values("Connection") {
            for token in value.split(separator: ",") { connectionTokens.insert(token.trimmingSpaces().lowercased()) }
        }
        var result = HeaderFields()
        var lengthDone = false
        for (name, value) in headers {
            let lower = name.lowercased()
            if Self.dropped.contains(lower) || connectionTokens.contains(lower) { continue }
            if lower == "content-length" {
                // Once, checked; none for a decoded chunked body, nor on a 204.
                if !lengthDone, let length = clientContentLength(framing: framing, value: value) {
                    result.add(name, length)
                }
                lengthDone = true
                continue
            }
            if lower == "location" || lower == "content-location" {
                result.add(name, mapLocation(value))
            } else {
                result.add(name, value)
            }
        }
        return result
    }

    /// The Content-Length the client sees: the framed length, or for a body-less answer
    /// (HEAD, 304) the upstream's when it is a plain number.
    private func clientContentLength(framing: ResponseBodyFraming, value: String) -> String? {
        switch framing {
        case .length(let length): return String(length)
        case .chunked, .untilClose: return nil
        case .none:
            guard status >= 200, status != 204 else { return nil }
            let first = value.split(separator: ",").first.map { String($0.trimmingSpaces()) } ?? ""
            return !first.isEmpty && first.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) ? first : nil
        }
    }
}
