/// Why forwarding a request failed: what the client is told and what the error log says.
///
/// Message ids (IS030xx):
/// - IS03001 the target is not an `http://` URL isapid can forward to
/// - IS03002 the upstream's name does not resolve
/// - IS03003 the connection to the upstream was refused or failed
/// - IS03004 connecting to the upstream timed out
/// - IS03005 sending to or reading from the upstream timed out
/// - IS03006 the upstream closed or reset the connection
/// - IS03007 the upstream's response is malformed
/// - IS03008 the upstream's response head is larger than 64 KiB
/// - IS03009 the client's request body could not be read
/// - IS03010 the response was cut short after its head was sent to the client
struct ProxyFailure: Error, Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        /// The upstream closed or reset the connection: a reused idle connection may just
        /// have been stale.
        case closed
        /// Connect, send or receive took longer than allowed: 504.
        case timeout
        /// Anything else that is the upstream's (or the target's) fault: 502.
        case badGateway
        /// The client's request body failed: 400.
        case client
    }

    var kind: Kind
    var id: String
    var message: String

    /// The status the client gets when no head was sent yet.
    var status: Int {
        switch kind {
        case .timeout: return 504
        case .client: return 400
        case .closed, .badGateway: return 502
        }
    }

    static func badTarget(_ url: String) -> ProxyFailure {
        ProxyFailure(kind: .badGateway, id: "IS03001",
                     message: "proxy target is not an http:// URL isapid can forward to: \(url)")
    }

    static func malformed(_ what: String, upstream: String) -> ProxyFailure {
        ProxyFailure(kind: .badGateway, id: "IS03007", message: "malformed response from upstream \(upstream): \(what)")
    }

    static func timedOut(_ what: String, upstream: String) -> ProxyFailure {
        ProxyFailure(kind: .timeout, id: "IS03005", message: "timed out \(what) upstream \(upstream)")
    }

    static func closed(_ what: String, upstream: String) -> ProxyFailure {
        ProxyFailure(kind: .closed, id: "IS03006", message: "upstream \(upstream) \(what)")
    }
}
