/// A request the decoder rejected: the status the server answers with before it closes
/// the connection (400, 414, 431, 501 or 505) and a short reason for the error log.
struct HTTPRequestError: Error, Sendable, Equatable, CustomStringConvertible {
    let status: Int
    let reason: String
    /// The request line, when it was read and valid before the head failed: the answer
    /// to a HEAD has no body, and the access log shows the line (`%r`), as Apache's do.
    var requestLine: RejectedRequestLine?

    init(status: Int, reason: String) {
        self.status = status
        self.reason = reason
    }

    var description: String { "\(status) \(reason)" }
}

/// A valid request line whose head was then rejected.
struct RejectedRequestLine: Sendable, Equatable {
    let method: String
    let target: String
    let versionMinor: Int
}
