import ServerConfig

/// How the request body travels to the upstream.
public enum RequestBodyFraming: Sendable, Equatable {
    case none
    case length(Int64)
    case chunked

    /// The client's framing: chunked stays chunked, a Content-Length stays that length.
    init(_ request: IncomingRequest) {
        if request.isChunked {
            self = .chunked
        } else if let length = request.contentLength {
            self = .length(length)
        } else {
            self = .none
        }
    }

    /// Whether body bytes may follow (a Content-Length of 0 carries none).
    public var hasBody: Bool {
        switch self {
        case .none: return false
        case .length(let length): return length > 0
        case .chunked: return true
        }
    }
}

/// The request head sent upstream, as Apache's mod_proxy_http builds it: the client's
/// headers minus the hop-by-hop ones, Host naming the upstream (ProxyPreserveHost Off),
/// and the X-Forwarded-For/-Host/-Server trail.
enum ProxyRequestHead {
    /// Fields that describe one connection, never forwarded (RFC 9110 §7.6.1), plus
    /// those the proxy sets itself: Host, the body framing, and Expect (the connection
    /// answers a client's `100-continue` as the handler reads the body).
    static let dropped: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "proxy-authorization", "te", "trailer", "transfer-encoding",
        "upgrade", "host", "content-length", "expect", "x-forwarded-for", "x-forwarded-host", "x-forwarded-server",
    ]

    /// The head's header fields, Host first and the body framing last.
    /// - Parameters:
    ///   - headers: the request headers now in force (`context.headers`).
    ///   - clientAddress: the client's IP, appended to X-Forwarded-For.
    ///   - serverName: the (virtual) server's ServerName: X-Forwarded-Server, as mod_proxy sends it.
    ///   - body: the framing of the body that follows (Content-Length or chunked).
    ///   - droppedBody: the client's body is left behind (a followed redirect became a GET):
    ///     its Content-* fields are dropped too.
    static func fields(url: UpstreamURL, headers: HeaderFields, clientAddress: String, serverName: String?,
                       body: RequestBodyFraming, droppedBody: Bool) -> HeaderFields {
        var connectionTokens = Set<String>()
        for value in headers.values("Connection") {
            for token in value.split(separator: ",") { connectionTokens.insert(token.trimmingSpaces().lowercased()) }
        }
        var result: HeaderFields = ["Host": url.authority]
        for (name, value) in headers {
            let lower = name.lowercased()
            guard !dropped.contains(lower), !connectionTokens.contains(lower), isToken(name), isFieldValue(value)
            else { continue }
            if droppedBody && lower.hasPrefix("content-") { continue }
            result.add(name, value)
        }
        let clientHost = headers["Host"].flatMap { isFieldValue($0) ? $0 : nil }
        result.add("X-Forwarded-For", merged(headers.values("X-Forwarded-For"), clientAddress))
        if let clientHost {
            result.add("X-Forwarded-Host", merged(headers.values("X-Forwarded-Host"), clientHost))
        }
        // mod_proxy sends the server's own name (r->server->server_hostname); without a
        // ServerName, the name the client asked for stands in for the machine's.
        if let name = serverName ?? clientHost.flatMap(ServerConfiguration.hostName(fromHostHeader:)) {
            result.add("X-Forwarded-Server", merged(headers.values("X-Forwarded-Server"), name))
        }
        switch body {
        case .none: break
        case .length(let length): result.add("Content-Length", String(length))
        case .chunked: result.add("Transfer-Encoding", "chunked")
        }
        return result
    }

    /// Earlier proxies' values, then ours, comma-separated (Apache's `apr_table_mergen`).
    private static func merged(_ existing: [String], _ value: String) -> String {
        let earlier = existing.filter { isFieldValue($0) && !$0.trimmingSpaces().isEmpty }
        return (earlier + [value]).joined(separator: ", ")
    }

    /// RFC 9110 token characters.
    static func isToken<S: StringProtocol>(_ text: S) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"):
                return true
            default:
                return "!#$%&'*+-.^_`|~".utf8.contains(byte)
            }
        }
    }

    /// No CR, LF or NUL: nothing that could end the line and smuggle a field in.
    static func isFieldValue<S: StringProtocol>(_ text: S) -> Bool {
        !text.utf8.contains { $0 == 0x0D || $0 == 0x0A || $0 == 0 }
    }
}
