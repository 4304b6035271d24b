import Logging
import NIOCore
import RequestPipeline

/// What the hellos of a TLS connection settled: mod_ssl's SSL_PROTOCOL, SSL_CIPHER and
/// SSL_SESSION_RESUMED, read off the wire because NIOSSL does not expose BoringSSL's
/// `SSL_get_current_cipher` or `SSL_session_reused` (see `CipherSuite`).
struct NegotiatedHello: Equatable, Sendable {
    /// mod_ssl's name of the version: "TLSv1.2", "TLSv1.3".
    var protocolVersion: String
    var cipherSuite: CipherSuite
    var sessionReuse: TLSSessionInfo.SessionReuse
}

/// Sits at the head of a TLS connection's pipeline, between the socket and NIOSSL's
/// handler (before any SNI handler), passes every byte through unchanged, and reads the
/// client's ClientHello and the server's ServerHello as they go by, to learn the
/// connection's version, cipher suite and whether it resumed a session.
///
/// Once it knows (or has given up), each later read or write costs it one branch. It never
/// fails the connection: bytes it cannot read make it give up (`negotiated` stays nil,
/// `abandonment` says why) and NIOSSL reports the real error. Only ByteBuffers flow at this
/// place in the pipeline (NIOSSL writes no file regions).
///
/// Use: add it first, then any SNI handler, then NIOSSL's handler, and read `negotiated`
/// on the channel's event loop when NIOSSL fires `TLSUserEvent.handshakeCompleted`: by
/// then the server has written its ServerHello and what follows it, so the facts are
/// there (the loopback tests check exactly this).
///
///     let observer = TLSHelloObserver()
///     try channel.pipeline.syncOperations.addHandler(observer)
///     try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
final class TLSHelloObserver: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var observation = HelloObservation()
    private let logger: Logger?

    /// What the hellos settled, once the server has said enough; nil before that, and
    /// forever when the bytes could not be read.
    var negotiated: NegotiatedHello? { observation.negotiated }
    /// Why the observer gave up, nil if it has not.
    var abandonment: String? { observation.abandonment }

    /// - Parameter logger: where giving up is noted (IS02160, debug level), if anywhere.
    init(logger: Logger? = nil) {
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if observation.isWatching {
            observation.clientSent(unwrapInboundIn(data))
            noteIfAbandoned()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if observation.isWatching {
            observation.serverSent(unwrapOutboundIn(data))
            noteIfAbandoned()
        }
        context.write(data, promise: promise)
    }

    /// Runs only while watching, so it notes the moment of giving up once.
    private func noteIfAbandoned() {
        if let reason = observation.abandonment {
            logger?.debug(
                "TLS hello not understood, protocol and cipher left unknown: \(reason)", metadata: ["id": "IS02160"])
        }
    }
}

/// The observer's logic without a channel: both directions' bytes in, the facts out.
///
/// TLS 1.3 (RFC 8446 §4.1.3): the ServerHello's supported_versions selects 0x0304 and its
/// pre_shared_key, when present, means the session was resumed. TLS 1.2 (RFC 5246 §7.3,
/// RFC 5077 §3.1): the session was resumed when the server echoes the non-empty session id
/// the client offered, or when the ServerHello is followed by NewSessionTicket or
/// ChangeCipherSpec (an abbreviated handshake) instead of the Certificate, ServerKeyExchange,
/// CertificateRequest or ServerHelloDone of a full one.
struct HelloObservation {
    private enum State {
        case awaitingClientHello
        case awaitingServerHello(ClientHelloFacts, afterRetry: Bool)
        /// TLS 1.2 without a session id echo: the server's next message tells.
        case awaitingServerFlight(protocolVersion: String, cipherSuite: CipherSuite)
        case settled(NegotiatedHello)
        case abandoned(reason: String)
    }

    private var state = State.awaitingClientHello
    private var clientStream = TLSHandshakeStream(keeping: [HandshakeType.clientHello])
    private var serverStream = TLSHandshakeStream(keeping: [HandshakeType.serverHello])

    var isWatching: Bool {
        switch state {
        case .settled, .abandoned: return false
        case .awaitingClientHello, .awaitingServerHello, .awaitingServerFlight: return true
        }
    }

    var negotiated: NegotiatedHello? {
        if case .settled(let hello) = state { return hello }
        return nil
    }

    var abandonment: String? {
        if case .abandoned(let reason) = state { return reason }
        return nil
    }

    /// Bytes the client sent (the server read). Only the first handshake message matters.
    mutating func clientSent(_ buffer: ByteBuffer) {
        guard case .awaitingClientHello = state else { return }
        do throws(TLSHandshakeStream.Malformed) {
            guard let first = try clientStream.read(buffer).first else { return }
            guard case .message(HandshakeType.clientHello, let body) = first else {
                state = .abandoned(reason: "the client's first message is not a ClientHello: \(first)")
                return
            }
            state = .awaitingServerHello(try ClientHelloFacts(body: body), afterRetry: false)
            clientStream = TLSHandshakeStream(keeping: [])  // nothing more to read from the client
        } catch {
            state = .abandoned(reason: error.reason)
        }
    }

    /// Bytes the server wrote (NIOSSL's output, before the socket).
    mutating func serverSent(_ buffer: ByteBuffer) {
        guard isWatching else { return }
        // The stream is taken out while `take` changes the state beside it.
        var stream = serverStream
        defer { serverStream = stream }
        do throws(TLSHandshakeStream.Malformed) {
            try stream.read(buffer) { item throws(TLSHandshakeStream.Malformed) in
                try take(item)
                return isWatching
            }
        } catch {
            state = .abandoned(reason: error.reason)
        }
    }

    private mutating func take(_ item: TLSHandshakeStream.Item) throws(TLSHandshakeStream.Malformed) {
        switch (state, item) {
        case (.awaitingClientHello, _):
            state = .abandoned(reason: "the server wrote before a ClientHello was read")
        case (.awaitingServerHello(let client, let afterRetry), .message(HandshakeType.serverHello, let body)):
            let hello = try ServerHelloFacts(body: body)
            if hello.isHelloRetryRequest {
                // RFC 8446 §4.1.4: a second HelloRetryRequest ends the handshake.
                if afterRetry {
                    state = .abandoned(reason: "a second HelloRetryRequest")
                } else {
                    state = .awaitingServerHello(client, afterRetry: true)
                }
            } else {
                state = settle(client: client, server: hello)
            }
        case (.awaitingServerHello, .otherRecord(contentType: ContentType.changeCipherSpec)):
            break  // TLS 1.3 middlebox compatibility, after a HelloRetryRequest
        case (.awaitingServerFlight(let version, let cipher), .skippedMessage(let type)):
            switch type {
            case HandshakeType.newSessionTicket:
                state = .settled(NegotiatedHello(protocolVersion: version, cipherSuite: cipher, sessionReuse: .resumed))
            case HandshakeType.certificate, HandshakeType.serverKeyExchange, HandshakeType.certificateRequest,
                HandshakeType.serverHelloDone:
                state = .settled(NegotiatedHello(protocolVersion: version, cipherSuite: cipher, sessionReuse: .initial))
            default:
                state = .abandoned(reason: "handshake message \(type) after a TLS 1.2 ServerHello")
            }
        case (.awaitingServerFlight(let version, let cipher), .otherRecord(contentType: ContentType.changeCipherSpec)):
            state = .settled(NegotiatedHello(protocolVersion: version, cipherSuite: cipher, sessionReuse: .resumed))
        case (.awaitingServerHello, _), (.awaitingServerFlight, _):
            state = .abandoned(reason: "unexpected \(item) from the server")
        case (.settled, _), (.abandoned, _):
            break
        }
    }

    /// The state a (real) ServerHello leads to.
    private func settle(client: ClientHelloFacts, server: ServerHelloFacts) -> State {
        guard let cipher = CipherSuite.withID(server.cipherSuiteID) else {
            return .abandoned(reason: "unknown cipher suite 0x\(String(server.cipherSuiteID, radix: 16))")
        }
        guard let version = Self.protocolName(server.negotiatedVersion),
            server.selectedVersion == nil || server.negotiatedVersion == 0x0304
        else {
            return .abandoned(reason: "unknown version 0x\(String(server.negotiatedVersion, radix: 16))")
        }
        if server.negotiatedVersion == 0x0304 {
            guard !server.acceptsPreSharedKey || client.offersPreSharedKey else {
                return .abandoned(reason: "a pre_shared_key the client did not offer")
            }
            let reuse: TLSSessionInfo.SessionReuse = server.acceptsPreSharedKey ? .resumed : .initial
            return .settled(NegotiatedHello(protocolVersion: version, cipherSuite: cipher, sessionReuse: reuse))
        }
        if !server.sessionID.isEmpty && server.sessionID == client.sessionID {
            return .settled(NegotiatedHello(protocolVersion: version, cipherSuite: cipher, sessionReuse: .resumed))
        }
        return .awaitingServerFlight(protocolVersion: version, cipherSuite: cipher)
    }

    /// mod_ssl's names of the versions (OpenSSL's `SSL_get_version`).
    static func protocolName(_ version: UInt16) -> String? {
        switch version {
        case 0x0300: return "SSLv3"
        case 0x0301: return "TLSv1"
        case 0x0302: return "TLSv1.1"
        case 0x0303: return "TLSv1.2"
        case 0x0304: return "TLSv1.3"
        default: return nil
        }
    }
}

/// Handshake message types (RFC 8446 §4, RFC 5246 §7.4).
enum HandshakeType {
    static let clientHello: UInt8 = 1
    static let serverHello: UInt8 = 2
    static let newSessionTicket: UInt8 = 4
    static let certificate: UInt8 = 11
    static let serverKeyExchange: UInt8 = 12
    static let certificateRequest: UInt8 = 13
    static let serverHelloDone: UInt8 = 14
}

/// Record content types (RFC 8446 §5.1).
enum ContentType {
    static let changeCipherSpec: UInt8 = 20
}
