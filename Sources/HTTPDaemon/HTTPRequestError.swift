/// A request the decoder rejected: the status the server answers with before it closes
/// the connection (400, 414, 431, 501 or 505) and a short reason for the error log.
struct HTTPRequestError: Error, Sendable, Equatable, CustomStringConvertible {
    let status: Int
    let reason: String

    var description: String { "\(status) \(reason)" }
}
