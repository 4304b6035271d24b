import NIOHTTP1
import RequestPipeline

/// What every response head carries besides the response's own headers: Date, Server,
/// Content-Length and the keep-alive headers. Immutable, so a pool thread can build a
/// head for a blocking handler as well as the event loop can.
struct ResponseHeadContext: Sendable {
    let daemon: DaemonContext
    let serverHeader: String
    let keepAliveTimeout: Int
    /// Requests left on this connection under MaxKeepAliveRequests; nil for unlimited.
    let remainingRequests: Int?
    let isHTTP10: Bool

    func head(status: Int, reason: String?, headers: HeaderFields, contentLength: Int64?, keepAlive: Bool) -> HTTPResponseHead {
        var fields = HTTPHeaders()
        fields.reserveCapacity(headers.count + 5)
        fields.add(name: "Date", value: daemon.dateHeader())
        fields.add(name: "Server", value: serverHeader)
        for (name, value) in headers { fields.add(name: name, value: value) }
        if let contentLength { fields.add(name: "Content-Length", value: String(contentLength)) }
        if keepAlive {
            if let remainingRequests {
                fields.add(name: "Keep-Alive", value: "timeout=\(keepAliveTimeout), max=\(remainingRequests)")
            } else {
                fields.add(name: "Keep-Alive", value: "timeout=\(keepAliveTimeout)")
            }
            if isHTTP10 { fields.add(name: "Connection", value: "Keep-Alive") }
        } else {
            fields.add(name: "Connection", value: "close")
        }
        // `.custom`: `init(statusCode:reasonPhrase:)` drops the phrase for codes NIO knows (413).
        let line = HTTPResponseStatus.custom(code: UInt(status), reasonPhrase: reason ?? StatusText.reason(status))
        return HTTPResponseHead(version: .http1_1, status: line, headers: fields)
    }
}
