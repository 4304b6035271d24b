/// A handler that must block while it answers (an ISAPI extension): it runs on the
/// extension thread pool, never on an event loop, and streams through a `ResponseChannel`.
public protocol BlockingHandler: Sendable {
    /// Answers the request. Called on a pool thread; must end with `channel.finish`
    /// or `channel.respond` (the shell finishes a channel left open with a 500). The
    /// context is shared, not copied, by everything that keeps it during the call.
    func run(_ context: Shared<RequestContext>, channel: any ResponseChannel, pipeline: Pipeline)
}

/// The connection as a blocking handler sees it. Every method may block the calling
/// (pool) thread; none may be called on an event loop.
public protocol ResponseChannel: AnyObject, Sendable {
    /// Reads request-body bytes into `buffer`, waiting until at least one byte, the end
    /// of the body, or a failure: the count read, 0 at the end, nil when the client failed.
    func readBody(into buffer: UnsafeMutableRawBufferPointer) -> Int?
    /// Sends the status line and headers. Without Content-Length or Transfer-Encoding the
    /// body is chunked (HTTP/1.1) or ends with the connection (HTTP/1.0). False when the
    /// head was already sent or the client is gone.
    /// The headers are consumed: the channel adds its framing fields to them without a copy.
    func sendHead(status: Int, reason: String?, headers: consuming HeaderFields) -> Bool
    /// Copies and sends body bytes; blocks only while too much is unsent. False when the
    /// client is gone or no head was sent.
    func sendBody(_ bytes: UnsafeRawBufferPointer) -> Bool
    /// `sendBody` without the wait for room (a timer's flush, which must never block).
    func sendBodyWithoutWaiting(_ bytes: UnsafeRawBufferPointer) -> Bool
    /// The last body bytes (a few kilobytes at most), which `finish` follows at once: they
    /// may wait for the end and leave with it, in one write; no wait for room.
    func sendBodyBeforeEnd(_ bytes: UnsafeRawBufferPointer) -> Bool
    /// A complete answer (an error page, a redirect) when no head was sent yet.
    func respond(_ response: Response) -> Bool
    /// Ends the response; `closeConnection` ends the connection after it.
    func finish(closeConnection: Bool)
    /// Whether the head was sent (headers can no longer change).
    var headSent: Bool { get }
    /// False once the client has gone away.
    var isConnected: Bool { get }
    /// Whether the connection is to stay open after this response, as things stand.
    var keepsConnection: Bool { get }
    /// Sets a request note for the access log (`%{name}n`); with `appendToQuery`, the
    /// text is also appended to the query string the log shows (`%q`).
    func annotateLog(note name: String, value: String, appendToQuery: Bool)
}

extension ResponseChannel {
    /// A channel whose `sendBody` never waits for room needs nothing else.
    public func sendBodyWithoutWaiting(_ bytes: UnsafeRawBufferPointer) -> Bool { sendBody(bytes) }
    /// A channel that writes as it goes needs nothing else.
    public func sendBodyBeforeEnd(_ bytes: UnsafeRawBufferPointer) -> Bool { sendBody(bytes) }
}

/// A response channel that wraps another and changes only part of what passes through
/// (the head's status, its headers): everything it does not implement itself goes to
/// `base` unchanged.
protocol ForwardingResponseChannel: ResponseChannel {
    var base: any ResponseChannel { get }
}

extension ForwardingResponseChannel {
    func readBody(into buffer: UnsafeMutableRawBufferPointer) -> Int? { base.readBody(into: buffer) }
    func sendHead(status: Int, reason: String?, headers: consuming HeaderFields) -> Bool {
        base.sendHead(status: status, reason: reason, headers: headers)
    }
    func sendBody(_ bytes: UnsafeRawBufferPointer) -> Bool { base.sendBody(bytes) }
    func sendBodyWithoutWaiting(_ bytes: UnsafeRawBufferPointer) -> Bool { base.sendBodyWithoutWaiting(bytes) }
    func sendBodyBeforeEnd(_ bytes: UnsafeRawBufferPointer) -> Bool { base.sendBodyBeforeEnd(bytes) }
    func respond(_ response: Response) -> Bool { base.respond(response) }
    func finish(closeConnection: Bool) { base.finish(closeConnection: closeConnection) }
    var headSent: Bool { base.headSent }
    var isConnected: Bool { base.isConnected }
    var keepsConnection: Bool { base.keepsConnection }
    func annotateLog(note name: String, value: String, appendToQuery: Bool) {
        base.annotateLog(note: name, value: value, appendToQuery: appendToQuery)
    }
}
