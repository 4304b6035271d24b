import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import ServerConfig

/// The upstream connections of one event loop: idle keep-alive connections by endpoint
/// (at most `maxIdlePerUpstream` each, each closed after `idleTimeout` unused), and new
/// ones connected on this loop. A connection serves one exchange at a time; it is out of
/// the pool while in use. Used only on its event loop (no lock: the loop is the lock).
final class UpstreamPool: @unchecked Sendable {
    private struct Idle {
        let connection: UpstreamConnection
        let expiry: Scheduled<Void>
    }

    let eventLoop: any EventLoop
    private let settings: UpstreamSettings
    private let tlsContext: NIOSSLContext?
    private var idle: [UpstreamEndpoint: [Idle]] = [:]
    private var isShutDown = false

    init(eventLoop: any EventLoop, settings: UpstreamSettings, tlsContext: NIOSSLContext?) {
        self.eventLoop = eventLoop
        self.settings = settings
        self.tlsContext = tlsContext
    }

    /// How many idle connections the pool keeps for `endpoint`.
    func idleCount(_ endpoint: UpstreamEndpoint) -> Int {
        eventLoop.preconditionInEventLoop()
        return idle[endpoint]?.count ?? 0
    }

    /// The most recently used open idle connection to `endpoint`, or a new one.
    func acquire(_ endpoint: UpstreamEndpoint, then done: @escaping (Result<UpstreamConnection, UpstreamFailure>) -> Void) {
        eventLoop.preconditionInEventLoop()
        while var list = idle[endpoint], let last = list.popLast() {
            idle[endpoint] = list.isEmpty ? nil : list
            last.expiry.cancel()
            last.connection.onIdleClose = nil
            if last.connection.isReusable { return done(.success(last.connection)) }
            last.connection.close()
        }
        connect(endpoint, then: done)
    }

    /// Keeps a connection whose response was read in full for the next exchange, or
    /// closes it when the endpoint has enough idle ones (or the proxy stopped).
    func release(_ connection: UpstreamConnection) {
        eventLoop.preconditionInEventLoop()
        let endpoint = connection.endpoint
        guard connection.isReusable, !isShutDown, idle[endpoint, default: []].count < settings.maxIdlePerUpstream else {
            return connection.close()
        }
        let expiry = eventLoop.assumeIsolated().scheduleTask(in: .fromSeconds(settings.idleTimeout)) { [self] in
            forget(connection)
            connection.close()
        }
        connection.onIdleClose = { [self] in
            expiry.cancel()
            forget(connection)
        }
        connection.onWritable = nil
        idle[endpoint, default: []].append(Idle(connection: connection, expiry: expiry))
    }

    /// Closes every idle connection; connections released later are closed too.
    func shutdown() {
        eventLoop.preconditionInEventLoop()
        isShutDown = true
        let all = idle.values.flatMap { $0 }
        idle = [:]
        for entry in all {
            entry.expiry.cancel()
            entry.connection.onIdleClose = nil
            entry.connection.close()
        }
    }

    private func forget(_ connection: UpstreamConnection) {
        guard var list = idle[connection.endpoint] else { return }
        list.removeAll { $0.connection === connection }
        idle[connection.endpoint] = list.isEmpty ? nil : list
    }

    /// Resolves (off the loop, see the folder's header) and connects within the connect
    /// timeout; an https endpoint gets a TLS client handler first.
    func connect(_ endpoint: UpstreamEndpoint,
                         then done: @escaping (Result<UpstreamConnection, UpstreamFailure>) -> Void) {
        let readTimeout = settings.readTimeout(for: endpoint)
        let connectTimeout = settings.connectTimeout(for: endpoint)
        let tlsContext = endpoint.scheme == .https ? self.tlsContext : nil
        if endpoint.scheme == .https && tlsContext == nil {
            return done(.failure(UpstreamFailure(kind: .badGateway, id: "IS02207",
                                                 message: "no TLS client context for upstream \(endpoint)")))
        }
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(.fromSeconds(connectTimeout))
            .channelOption(ChannelOptions.autoRead, value: false)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let tlsContext {
                        try pipeline.addHandler(
                            NIOSSLClientHandler(context: tlsContext, serverHostname: endpoint.serverNameIndication))
                    }
                    let headGuard = ResponseHeadGuard()
                    try pipeline.addHandler(headGuard)
                    // The proxy writes the framing fields itself (Content-Length or chunked,
                    // as the client sent the body); the encoder follows them.
                    var encoder = HTTPRequestEncoder.Configuration()
                    encoder.automaticallySetFramingHeaders = false
                    try pipeline.addHTTPClientHandlers(encoderConfiguration: encoder)
                    try pipeline.addHandler(
                        UpstreamConnection(endpoint: endpoint, readTimeout: readTimeout, headGuard: headGuard))
                }
            }
        bootstrap.connect(host: endpoint.host, port: endpoint.port).assumeIsolated().whenComplete { result in
            switch result {
            case .success(let channel):
                do {
                    done(.success(try channel.pipeline.syncOperations.handler(type: UpstreamConnection.self)))
                } catch {
                    channel.close(promise: nil)
                    done(.failure(.closed("closed the connection at once", upstream: endpoint)))
                }
            case .failure(let error):
                done(.failure(Self.connectFailure(error, endpoint: endpoint, timeout: connectTimeout)))
            }
        }
    }

    /// What a failed connect means: a name that does not resolve, a timeout, or a refusal.
    static func connectFailure(_ error: Error, endpoint: UpstreamEndpoint, timeout: Double) -> UpstreamFailure {
        if let error = error as? ChannelError, case .connectTimeout = error {
            return UpstreamFailure(kind: .timeout, id: "IS02203",
                                   message: "connecting to upstream \(endpoint) took longer than \(timeout.formattedSeconds)s")
        }
        if let error = error as? NIOConnectionError {
            if error.connectionErrors.isEmpty, let dns = error.dnsAError ?? error.dnsAAAAError {
                return UpstreamFailure(kind: .badGateway, id: "IS02201",
                                       message: "DNS lookup failure for \(endpoint.host): \(dns)")
            }
            if let first = error.connectionErrors.first {
                return UpstreamFailure(kind: .badGateway, id: "IS02202",
                                       message: "cannot connect to upstream \(endpoint): \(first.error)")
            }
        }
        return UpstreamFailure(kind: .badGateway, id: "IS02202", message: "cannot connect to upstream \(endpoint): \(error)")
    }
}

/// The upstream side of the reverse proxy for the whole server: the settings, the TLS
/// client context (built once), and one `UpstreamPool` per event loop, so an exchange
/// always uses connections of its client connection's own loop.
final class UpstreamClient: Sendable {
    let settings: UpstreamSettings
    private let tlsContext: NIOSSLContext?
    private let pools: NIOLockedPools

    /// - Throws: when `SSLProxyCACertificateFile` cannot be loaded.
    init(settings: UpstreamSettings) throws {
        self.settings = settings
        tlsContext = try settings.makeTLSContext()
        pools = NIOLockedPools()
    }

    /// The upstream side a configuration asks for.
    /// - Throws: `UpstreamClient.LoadError` when `SSLProxyCACertificateFile` cannot be loaded.
    convenience init(configuration: ServerConfiguration) throws {
        let settings = UpstreamSettings(configuration)
        do {
            try self.init(settings: settings)
        } catch {
            let file = settings.caCertificateFile ?? "(system roots)"
            throw LoadError(description: "SSLProxyCACertificateFile \(file): cannot be loaded: \(error)")
        }
    }

    /// Why the TLS client context could not be built.
    struct LoadError: Error, CustomStringConvertible {
        var description: String
    }

    /// The pool of `eventLoop` (made on first use).
    func pool(for eventLoop: any EventLoop) -> UpstreamPool {
        pools.pool(for: eventLoop) { UpstreamPool(eventLoop: eventLoop, settings: settings, tlsContext: tlsContext) }
    }

    /// Closes every idle connection of every loop.
    func shutdown() {
        for pool in pools.all { pool.eventLoop.execute { pool.shutdown() } }
    }
}
