import NIOCore

/// The named states of a `BlockingExchange`: where its response head is, how the handler
/// asked the response to end, and how it ended.
extension BlockingExchange {
    /// Where the response head is.
    enum Head {
        /// The handler has not sent one.
        case none
        /// Encoded (on the pool thread, with the keep-alive it announces) and held back
        /// until the first body bytes or the end, as Apache holds it back.
        case held(ByteBuffer, keepAlive: Bool)
        /// Handed to the connection, or the response went the normal way (`respond`).
        case gone
    }

    /// What becomes of the handler's body bytes, decided by its head.
    enum BodyRule: Equatable {
        /// Sent as they come: chunked, or delimited by the close.
        case sent
        /// Sent up to the Content-Length the head announced; bytes beyond it are dropped
        /// (they would reach the client as the start of the next response), and the
        /// exchange ends broken, as it does when fewer arrive.
        case upTo(Int64)
        /// Dropped, and the call still succeeds: a HEAD request, or a status that has
        /// no body (204, 304), as Apache's header filter drops it.
        case dropped
    }

    /// How far the handler is in ending its response.
    enum RequestedEnd: Equatable {
        case notYet
        /// The handler ended it (a chunked body gets its last chunk when the rest is out).
        case complete
    }

    /// How a response that the handler streamed ended.
    enum Ending: Equatable {
        /// Completely written; the connection goes on (`keepAlive`) or closes, as the head said.
        case written(keepAlive: Bool)
        /// Not completely written: a write failed, or the body did not match the
        /// Content-Length the head announced. The connection must close.
        case broken
    }

    /// What the connection does when the handler has been silent past its deadline.
    enum Expiry { case alreadyEnding, answerNow, closeNow }
}
