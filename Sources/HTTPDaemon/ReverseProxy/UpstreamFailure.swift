/// Why talking to an upstream failed: what the client is told and what the error log says.
///
/// Message ids (IS022xx):
/// - IS02200 the target is not an `http://` or `https://` URL isapid can forward to
/// - IS02201 the upstream's name does not resolve
/// - IS02202 the connection to the upstream was refused or failed
/// - IS02203 connecting to the upstream took longer than the connect timeout
/// - IS02204 no data from the upstream within ProxyTimeout
/// - IS02205 the upstream closed or reset the connection
/// - IS02206 the upstream's response is malformed (obs-fold, bad framing, bad syntax)
/// - IS02207 the TLS handshake with an https upstream failed
/// - IS02208 the upstream's response head is larger than allowed
struct UpstreamFailure: Error, Sendable, Equatable, CustomStringConvertible {
    enum Kind: Sendable, Equatable {
        /// The upstream closed or reset: a reused idle connection may just have been stale.
        case closed
        /// Connect or wait for data took longer than allowed: 504.
        case timeout
        /// Anything else that is the upstream's (or the target's) fault: 502.
        case badGateway
    }

    var kind: Kind
    var id: String
    var message: String

    var description: String { "\(id) \(message)" }

    /// The status the client gets when no head was sent yet (mod_proxy's choices).
    var status: Int { kind == .timeout ? 504 : 502 }

    static func malformed(_ what: String, upstream: UpstreamEndpoint) -> UpstreamFailure {
        UpstreamFailure(kind: .badGateway, id: "IS02206", message: "malformed response from upstream \(upstream): \(what)")
    }

    static func closed(_ what: String, upstream: UpstreamEndpoint) -> UpstreamFailure {
        UpstreamFailure(kind: .closed, id: "IS02205", message: "upstream \(upstream) \(what)")
    }

    static func readTimeout(_ seconds: Double, upstream: UpstreamEndpoint) -> UpstreamFailure {
        UpstreamFailure(kind: .timeout, id: "IS02204",
                        message: "no data from upstream \(upstream) within ProxyTimeout \(seconds.formattedSeconds)s")
    }
}

extension Double {
    /// `30` for whole seconds, `0.25` otherwise.
    var formattedSeconds: String {
        self == rounded() && abs(self) < 1e15 ? String(Int(self)) : String(self)
    }
}
