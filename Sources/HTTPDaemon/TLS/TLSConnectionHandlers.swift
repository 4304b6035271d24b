import Logging
import NIOCore
import NIOSSL
import NIOTLS
import Observability
import RequestPipeline
import ServerConfig

/// The facts of a TLS connection the connection handler needs, sent to it as an inbound
/// user event once the handshake completed.
struct TLSEstablished: Sendable {
    let session: TLSSessionInfo
    /// The virtual host SNI chose (nil when the client sent no SNI).
    let serverNameHostID: Int?
}

/// Sent to the connection handler when a client speaks plain HTTP to a TLS port.
struct PlainHTTPOnTLSPort: Sendable {}

/// What the SNI decision left for the handshake's end: the host chosen and its context.
final class TLSConnectionChoice {
    var serverName: String?
    var host: TLSHostContext?
}

/// The first handler of a TLS connection: a TLS record starts with 0x16 (handshake);
/// anything else is a client speaking plain HTTP. Then the TLS handlers are taken out
/// and the request is read as plain HTTP, to be answered with mod_ssl's 400 page.
final class TLSPlainTextDetector: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let logger: Logger
    private let tlsHandlerNames: [String]

    init(logger: Logger, tlsHandlerNames: [String]) {
        self.logger = logger
        self.tlsHandlerNames = tlsHandlerNames
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        guard let first = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) else { return }
        let pipeline = context.pipeline.syncOperations
        if first != 0x16 {
            let client = context.channel.remoteAddress.map { "\($0.ipAddress ?? "-"):\($0.port ?? 0)" } ?? "-"
            logger.info(
                "SSL handshake failed: HTTP spoken on HTTPS port; trying to send HTML error page",
                metadata: ["client": "\(client)", "id": "IS02101"])
            for name in tlsHandlerNames {
                if let handler = try? pipeline.context(name: name) {
                    pipeline.removeHandler(context: handler, promise: nil)
                }
            }
            context.fireUserInboundEventTriggered(PlainHTTPOnTLSPort())
        }
        context.fireChannelRead(data)
        pipeline.removeHandler(context: context, promise: nil)
    }
}

/// Sits after the TLS handler: on the handshake's completion it assembles the
/// connection's `TLSSessionInfo` and tells the connection handler; a failed handshake
/// is logged (at info, as mod_ssl does) with the client's address.
final class TLSSessionRecorder: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let choice: TLSConnectionChoice
    private let hello: TLSHelloObserver
    private let logger: Logger
    private var handshakeDone = false

    init(choice: TLSConnectionChoice, hello: TLSHelloObserver, logger: Logger) {
        self.choice = choice
        self.hello = hello
        self.logger = logger
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event, let host = choice.host,
            let handler = try? context.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self)
        {
            handshakeDone = true
            ServerFigures.shared.tlsHandshakes.add(1, ordering: .relaxed)
            let session = TLSSessionInfo.make(
                handler: handler, host: host, serverName: choice.serverName,
                hello: hello.negotiated)
            context.fireUserInboundEventTriggered(
                TLSEstablished(
                    session: session, serverNameHostID: choice.serverName == nil ? nil : host.hostID))
            let facts =
                "\(session.protocolVersion) \(session.cipherName) \(session.sessionReuse.rawValue), "
                + "client certificate \(session.clientVerification.variableValue)"
            logger.debug(
                "TLS handshake done: \(facts) for \(choice.serverName ?? "(no SNI)")",
                metadata: ["client": "\(client(context))", "id": "IS02103"])
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if !handshakeDone {
            logger.info(
                "SSL handshake failed with \(client(context)) (SNI \(choice.serverName ?? "none")): \(error)",
                metadata: ["client": "\(client(context))", "id": "IS02102"])
            context.close(promise: nil)
            return
        }
        context.fireErrorCaught(error)
    }

    private func client(_ context: ChannelHandlerContext) -> String {
        context.channel.remoteAddress.map { "\($0.ipAddress ?? "-"):\($0.port ?? 0)" } ?? "-"
    }
}

extension TLSContexts {
    static let detectorName = "tls-plaintext-detector"
    static let helloName = "tls-hello"
    static let sniName = "tls-sni"
    static let recorderName = "tls-session"

    /// The TLS handlers at the head of a connection to a TLS listener: plain-HTTP
    /// detection, the hello observer (protocol, cipher, resumption off the wire), SNI
    /// (which picks the virtual host and adds its NIOSSLServerHandler), and the recorder
    /// of what the handshake negotiated.
    func addHandlers(to channel: Channel, configuration: ServerConfiguration, logger: Logger) throws {
        let pipeline = channel.pipeline.syncOperations
        let choice = TLSConnectionChoice()
        let hello = TLSHelloObserver(logger: logger)
        let recorder = TLSSessionRecorder(choice: choice, hello: hello, logger: logger)
        let contexts = self
        let sni = ByteToMessageHandler(
            SNIHandler { result in
                var name: String?
                if case .hostname(let hostname) = result { name = hostname }
                choice.serverName = name
                guard
                    let (_, host) = contexts.host(
                        forServerName: name, localAddress: channel.localAddress,
                        in: configuration)
                else {
                    channel.close(promise: nil)  // cannot happen once the configuration validated
                    return channel.eventLoop.makeFailedFuture(ChannelError.inappropriateOperationForState)
                }
                choice.host = host
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        host.makeServerHandler(), position: .before(recorder))
                }
            })
        try pipeline.addHandler(
            TLSPlainTextDetector(logger: logger, tlsHandlerNames: [Self.helloName, Self.sniName, Self.recorderName]),
            name: Self.detectorName)
        try pipeline.addHandler(hello, name: Self.helloName)
        try pipeline.addHandler(sni, name: Self.sniName)
        try pipeline.addHandler(recorder, name: Self.recorderName)
    }
}
