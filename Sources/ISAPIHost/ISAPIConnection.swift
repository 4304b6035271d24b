/// What the host needs from the server for one request. The request pipeline adapts
/// its connection to this; tests use fakes. Every method may block the calling (pool)
/// thread.
public protocol ISAPIConnection: AnyObject, Sendable {
    /// Reads request-body bytes: the count, 0 at the end, nil when the client failed.
    func readBody(into buffer: UnsafeMutableRawBufferPointer) -> Int?
    /// Sends the status line and headers; false when already sent or the client is gone.
    /// The headers are consumed: the connection adds its own fields to them without a copy.
    func sendHead(status: Int, reason: String?, headers: consuming [(name: String, value: String)]) -> Bool
    /// Sends body bytes (copied); false when the client is gone.
    func sendBody(_ bytes: UnsafeRawBufferPointer) -> Bool
    /// Sends body bytes (copied) without waiting while too much is unsent: the flush
    /// timer's hand-over of held writes, which serves every session and must not block.
    /// False when the client is gone.
    func sendBodyWithoutWaiting(_ bytes: UnsafeRawBufferPointer) -> Bool
    /// Sends the extension's last body bytes (copied, at most `SessionOutput.capacity`),
    /// which `finish` follows at once: the connection may write them with the end, in
    /// one write, and does not wait for room. False when the client is gone.
    func sendBodyBeforeEnd(_ bytes: UnsafeRawBufferPointer) -> Bool
    /// Ends the response.
    func finish(closeConnection: Bool)
    /// Nothing was sent: answer with the server's page (or ErrorDocument) for a status.
    func respond(status: Int)
    /// HSE_REQ_SEND_URL_REDIRECT_RESP: a 302 to `url`.
    func redirect(to url: String)
    /// HSE_REQ_SEND_URL: serve another local URL instead (terminal).
    func internalRedirect(to url: String)
    /// MAP_URL_TO_PATH: the file a local URL maps to (nil when none).
    func mapURLToPath(_ url: String) -> (path: String, isDirectory: Bool)?
    /// HSE_APPEND_LOG_PARAMETER: the `isapi-parameter` note (`%{isapi-parameter}n`),
    /// also appended to the logged query string (`%q`) when `toQuery`.
    func appendLogParameter(_ text: String, toQuery: Bool)
    var headSent: Bool { get }
    var isConnected: Bool { get }
    /// Whether the connection is expected to stay open after this response.
    var keepsConnection: Bool { get }
}

extension ISAPIConnection {
    /// A connection that writes as it goes needs nothing else.
    public func sendBodyBeforeEnd(_ bytes: UnsafeRawBufferPointer) -> Bool { sendBody(bytes) }
}
