/// What the pipeline answers. The network shell turns it into bytes.
public struct Response: Sendable {
    public var status: Int
    public var headers: HeaderFields
    public var body: ResponseBody
    /// True for answers the server made up (errors, redirects), which `ErrorDocument`
    /// may replace; false for what a handler produced itself.
    public var isServerGenerated: Bool

    public init(status: Int, headers: HeaderFields = [:], body: ResponseBody = .empty, isServerGenerated: Bool = false) {
        self.status = status
        self.headers = headers
        self.body = body
        self.isServerGenerated = isServerGenerated
    }

    /// Bytes the body will have on the wire (without HTTP framing).
    public var bodyLength: Int64 {
        switch body {
        case .empty: return 0
        case .bytes(let bytes): return Int64(bytes.count)
        case .file(_, let segments): return segments.reduce(0) { $0 + $1.length }
        case .handOff, .proxy: return 0
        }
    }

    /// A response whose status, headers and body a blocking handler will produce.
    public static func handOff(_ handler: any BlockingHandler) -> Response {
        Response(status: 200, body: .handOff(handler))
    }

    /// A response the reverse proxy will relay from an upstream.
    public static func proxy(_ plan: ProxyPlan) -> Response {
        Response(status: 200, body: .proxy(plan))
    }
}

public enum ResponseBody: Sendable {
    case empty
    case bytes([UInt8])
    /// Parts of a file, interleaved with literal bytes for multipart/byteranges; the
    /// shell sends slices with sendfile, never through memory.
    case file(path: String, segments: [FileSegment])
    /// Head and body come from a handler that blocks (an ISAPI extension): the shell
    /// runs it on the extension thread pool with a `ResponseChannel`.
    case handOff(any BlockingHandler)
    /// Head and body come from an upstream the shell forwards the request to, on the
    /// connection's event loop (RewriteProxy, `[P]`). Boxed: the plan is large, and held
    /// inline it would make every `Response` (and every phase's result) that large, all
    /// of it zeroed and copied per phase (~35k instructions a static request).
    indirect case proxy(ProxyPlan)
}

public enum FileSegment: Sendable, Equatable {
    case bytes([UInt8])
    case slice(offset: Int64, length: Int64)

    public var length: Int64 {
        switch self {
        case .bytes(let bytes): return Int64(bytes.count)
        case .slice(_, let length): return length
        }
    }
}
