import NIOCore
import RequestPipeline

/// What a `BlockingExchange` asks of its connection: the head's bytes (on the pool
/// thread) and, on the event loop, the writes and the ends. One object the connection
/// makes per exchange, where five closures each allocated a context of their own.
protocol BlockingExchangeConnection: AnyObject, Sendable {
    /// The response head as bytes (pool side).
    func makeHead(status: Int, reason: String?, headers: HeaderFields, keepAlive: Bool) -> ByteBuffer
    /// Event-loop side: writes `parts` (`bodyBytes` of them response body, for the access
    /// log) with one flush, calling back when all are written.
    func writeParts(_ parts: [IOData], bodyBytes: Int, completion: @escaping @Sendable (Bool) -> Void)
    /// Event-loop side: the body buffer has room again.
    func resumeReading()
    /// Event-loop side: the response ended (written or failed).
    func completed(_ ending: BlockingExchange.Ending)
    /// Event-loop side: write a complete response the normal way.
    func respondNormally(_ response: Response)
}
