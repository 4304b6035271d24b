// The reverse proxy on the event loop (issue 16 item 5): the upstream side.
//
// Decisions, so the next reader need not reconstruct them:
// - NIOHTTP1's client codecs (`HTTPRequestEncoder`, `HTTPResponseDecoder`) on a
//   `ClientBootstrap` channel, not AsyncHTTPClient: the proxy must run on the client
//   connection's own event loop with reads driven by the client's writability (autoRead
//   off), keep its own per-loop pool with mod_proxy's limits, and see the raw response
//   bytes to refuse what Apache refuses (obs-fold). AsyncHTTPClient would add ~3 minutes
//   to every CI build and bring a pool whose semantics (per-host limits, its own timeouts,
//   its own loop choice) we would have to work around.
// - Layering: this lives in HTTPDaemon, which already depends on NIO and NIOSSL.
//   RequestPipeline keeps no NIO dependency; it decides "forward to this URL with these
//   headers" and the shell executes it, as it writes a static file.
// - DNS: `ClientBootstrap.connect(host:port:)` resolves with NIO's `GetaddrinfoResolver`,
//   which runs the blocking `getaddrinfo` on a DispatchQueue of its own per event-loop
//   thread (never on the loop); the loop only waits for the future. A slow resolver delays
//   the one request; the connect timeout bounds the whole connect including resolution.
// - https upstreams: `NIOSSLClientHandler` with the system trust roots, or the file named
//   by `SSLProxyCACertificateFile` (mod_ssl's name); SNI and the name checked in the
//   certificate are the upstream's host (an IP literal is sent without SNI).
// - The pipeline decides (RequestPipeline/Proxy: `ProxyPlan`, a plain value in
//   `Response.Body.proxy`); `HTTPConnectionHandler+Proxy.swift` starts a `ProxyExchange`
//   on the connection's loop with this generation's `UpstreamClient` (ServingState), and
//   writes what it relays with the connection's own head encoding and access-log counts.
// - Back-pressure both ways: the client is read only while the upstream channel is
//   writable (`ProxyExchange.wantsClientBody`), the upstream only while the client's is
//   (`wantsMoreBody`, `UpstreamConnection.demand()`).
// - Settings per configuration generation (`UpstreamSettings(configuration)`): ProxyTimeout
//   (default Timeout, as Apache), `ProxySet url connectiontimeout= timeout=`, and
//   SSLProxyCACertificateFile / SSLProxyVerify / SSLProxyCheckPeerName.

/// Where an upstream lives: scheme, host and port, as the pool keys connections.
struct UpstreamEndpoint: Hashable, Sendable, CustomStringConvertible {
    enum Scheme: String, Sendable {
        case http
        case https
    }

    var scheme: Scheme
    /// The host name or address, lower-cased, without IPv6 brackets.
    var host: String
    var port: Int

    /// The pool key and the name log messages use: `scheme://host:port`.
    var description: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return "\(scheme.rawValue)://\(name):\(port)"
    }

    /// The Host header value for this upstream: no port when it is the scheme's default.
    var authority: String {
        let name = host.contains(":") ? "[\(host)]" : host
        let defaultPort = scheme == .https ? 443 : 80
        return port == defaultPort ? name : "\(name):\(port)"
    }

    /// The name sent as SNI: nil for an address literal (SNI carries host names only).
    var serverNameIndication: String? {
        if host.contains(":") { return nil }
        if host.split(separator: ".").count == 4 && host.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || $0 == 46 }) {
            return nil
        }
        return host
    }
}
