import NIOCore
import NIOSSL
import ServerConfig

/// How the proxy talks to upstreams: mod_proxy's timeouts, the keep-alive pool's bounds,
/// and whom an https upstream must prove it is. Built once per configuration generation.
struct UpstreamSettings: Sendable {
    /// `ProxyTimeout`: how long to wait for upstream data (the response head, or the next
    /// body bytes while the client is taking them) before answering 504. Apache's default
    /// is `Timeout`.
    var readTimeout: Double = 60
    /// How long resolving and connecting may take (then 504). Apache's worker parameter
    /// `connectiontimeout` defaults to the worker's timeout, which is ProxyTimeout.
    var connectTimeout: Double = 60
    /// `ProxySet` parameters by upstream: a `connectiontimeout` or `timeout` of its own.
    var perUpstream: [UpstreamEndpoint: (connect: Double?, read: Double?)] = [:]
    /// Idle keep-alive connections kept per upstream, per event loop.
    var maxIdlePerUpstream: Int = 16
    /// An idle connection unused this long is closed (Apache's `ttl`; well below the
    /// keep-alive timeout common servers use, so that the upstream rarely closes first).
    var idleTimeout: Double = 30
    /// `SSLProxyCACertificateFile`: PEM file of the CAs https upstreams are checked
    /// against; nil: the system's trust roots.
    var caCertificateFile: String?
    /// `SSLProxyVerify`: whether the upstream's certificate is checked at all.
    var verifiesCertificate = true
    /// `SSLProxyCheckPeerName`: whether it must name the upstream's host.
    var checksPeerName = true

    init() {}

    /// The settings a configuration asks for.
    init(_ configuration: ServerConfiguration) {
        readTimeout = configuration.proxyTimeoutSeconds ?? Double(configuration.timeoutSeconds)
        connectTimeout = readTimeout
        for worker in configuration.proxyWorkers {
            let endpoint = UpstreamEndpoint(
                scheme: worker.scheme == "https" ? .https : .http, host: worker.host, port: worker.port)
            perUpstream[endpoint] = (worker.connectTimeoutSeconds, worker.timeoutSeconds)
        }
        caCertificateFile = configuration.sslProxyCACertificateFile
        verifiesCertificate = configuration.sslProxyVerify
        checksPeerName = configuration.sslProxyCheckPeerName
    }

    /// How long connecting to `endpoint` may take: its `connectiontimeout`, else its
    /// `timeout`, else ProxyTimeout (Apache's chain of defaults).
    func connectTimeout(for endpoint: UpstreamEndpoint) -> Double {
        let own = perUpstream[endpoint]
        return own?.connect ?? own?.read ?? connectTimeout
    }

    /// `endpoint`'s ProxyTimeout.
    func readTimeout(for endpoint: UpstreamEndpoint) -> Double {
        perUpstream[endpoint]?.read ?? readTimeout
    }

    /// The TLS client context for https upstreams, built once.
    func makeTLSContext() throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification =
            !verifiesCertificate ? .none : checksPeerName ? .fullVerification : .noHostnameVerification
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
