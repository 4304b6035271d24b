import NIOCore
import NIOSSL

/// How the proxy talks to upstreams: mod_proxy's timeouts, the keep-alive pool's bounds,
/// and whom an https upstream must prove it is.
struct UpstreamSettings: Sendable {
    /// `ProxyTimeout`: how long to wait for upstream data (the response head, or the next
    /// body bytes while the client is taking them) before answering 504. Apache's default
    /// is `Timeout`, 60 s.
    var readTimeout: Double = 60
    /// `connectiontimeout`: how long resolving and connecting may take (then 504).
    var connectTimeout: Double = 10
    /// Idle keep-alive connections kept per upstream, per event loop.
    var maxIdlePerUpstream: Int = 16
    /// An idle connection unused this long is closed (Apache's `ttl`; well below the
    /// keep-alive timeout common servers use, so that the upstream rarely closes first).
    var idleTimeout: Double = 30
    /// `SSLProxyCACertificateFile`: PEM file of the CAs https upstreams are checked
    /// against; nil: the system's trust roots.
    var caCertificateFile: String?

    /// The TLS client context for https upstreams, built once.
    func makeTLSContext() throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .fullVerification
        if let caCertificateFile {
            configuration.trustRoots = .file(caCertificateFile)
        }
        return try NIOSSLContext(configuration: configuration)
    }
}

extension TimeAmount {
    /// Seconds as a TimeAmount (rounded to microseconds).
    static func fromSeconds(_ value: Double) -> TimeAmount {
        .microseconds(Int64(max(0, value) * 1_000_000))
    }
}
