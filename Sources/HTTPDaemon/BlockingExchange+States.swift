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

    /// How the handler asked its response to end.
    enum RequestedEnd: Equatable {
        case notYet
        /// The body is complete (a chunked one gets its last chunk).
        case complete
        /// The handler failed after its head: the client must be able to tell that the
        /// body is incomplete, so a chunked body gets no last chunk and the connection
        /// closes after what was queued (Apache's chunk filter ends the same way).
        case failed
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
