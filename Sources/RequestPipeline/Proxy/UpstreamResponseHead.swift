/// How an upstream response body is delimited.
enum ResponseBodyFraming: Sendable, Equatable {
    /// HEAD, 1xx, 204, 304: no body whatever the headers say.
    case none
    case length(Int64)
    case chunked
    /// No length and not chunked: the body ends when the upstream closes.
    case untilClose
}

/// An upstream's status line and header fields.
struct UpstreamResponseHead: Sendable {
    var versionMinor: Int
    var status: Int
    var reason: String?
    var headers: HeaderFields

    /// Fields the client never sees: hop-by-hop ones (RFC 9110 §7.6.1), and Date and
    /// Server, which the connection sets on every response it sends.
    static let dropped: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "te", "trailer", "transfer-encoding",
        "upgrade", "date", "server",
    ]

    /// Parses a head as `UpstreamConnection.readHead` returns it; nil when it is not HTTP/1.x.
    static func parse(_ bytes: [UInt8]) -> UpstreamResponseHead? {
        var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map { line in
            line.last == 0x0D ? line.dropLast() : line
        }
        while lines.last?.isEmpty == true { lines.removeLast() }
        guard let statusLine = lines.first, var head = parseStatusLine(statusLine) else { return nil }
        var entries: [(name: String, value: String)] = []
        for line in lines.dropFirst() {
            guard !line.contains(0x0D), !line.contains(0) else { return nil }
            // obs-fold (a line continuing the previous field) is refused: 502 (RFC 9112 §5.2
            // lets a proxy choose that over unfolding).
            if let first = line.first, first == 0x20 || first == 0x09 { return nil }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return nil }
            let name = String(decoding: line[..<colon], as: UTF8.self)
            guard ProxyRequestHead.isToken(name) else { return nil }
            let value = String(decoding: line[(colon + 1)...], as: UTF8.self).trimmingSpaces()
            entries.append((name: name, value: String(value)))
        }
        head.headers = HeaderFields(entries)
        return head
    }

    /// Whether a header line of the head begins with whitespace (obs-fold).
    static func hasObsFold(_ bytes: [UInt8]) -> Bool {
        bytes.split(separator: 0x0A, omittingEmptySubsequences: false).dropFirst().contains { line in
            line.first == 0x20 || line.first == 0x09
        }
    }

    private static func parseStatusLine(_ line: ArraySlice<UInt8>) -> UpstreamResponseHead? {
        let prefix = Array("HTTP/1.".utf8)
        guard line.count >= 12, line.prefix(7).elementsEqual(prefix) else { return nil }
        let bytes = Array(line)
        guard bytes[7] >= 48 && bytes[7] <= 57, bytes[8] == 0x20 else { return nil }
        let digits = bytes[9..<12]
        guard digits.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        let status = digits.reduce(0) { $0 * 10 + Int($1 - 48) }
        guard (100...599).contains(status), bytes.count == 12 || bytes[12] == 0x20 else { return nil }
        let reasonBytes = bytes.dropFirst(13)
        let printable = reasonBytes.allSatisfy { $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }
        let reason = reasonBytes.isEmpty || !printable ? nil : String(decoding: reasonBytes, as: UTF8.self)
        return UpstreamResponseHead(versionMinor: Int(bytes[7] - 48), status: status, reason: reason, headers: [:])
    }

    /// Whether the upstream keeps the connection open after this response.
    var keepsConnection: Bool {
        versionMinor >= 1 && !headers.listContains("Connection", token: "close")
    }

    /// The body's framing for a response to `method` (RFC 9112 §6.3); nil when the
    /// Content-Length is malformed or values disagree.
    func bodyFraming(method: String) -> ResponseBodyFraming? {
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
