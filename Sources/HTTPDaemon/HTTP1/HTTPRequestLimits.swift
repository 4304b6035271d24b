import ServerConfig

/// Limits on the request head, with Apache's defaults: `LimitRequestLine`,
/// `LimitRequestFields` and `LimitRequestFieldSize`. Lengths exclude the line's CRLF.
/// Also how strictly the head is read: the main server's `HttpProtocolOptions`.
struct HTTPRequestLimits: Sendable {
    /// Longest request line (method, target and version); longer → 414.
    var maxRequestLine: Int = 8190
    /// Most header fields in a request (and, separately, trailer fields); more → 431.
    var maxHeaderFields: Int = 100
    /// Longest header or trailer field line; longer → 431.
    var maxHeaderFieldSize: Int = 8190
    /// `HttpProtocolOptions` (default `Strict LenientMethods Allow0.9`).
    var protocolOptions = HTTPProtocolOptions()
}
