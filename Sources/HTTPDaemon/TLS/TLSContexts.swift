import CTLSCipherCheck
import NIOCore
import NIOSSL
import RequestPipeline
import ServerConfig

/// One TLS virtual host of one configuration generation: its swift-nio-ssl context,
/// built once (the key files are read here, before a privilege drop), and what every
/// handshake on it reports.
final class TLSHostContext: Sendable {
    let hostID: Int
    let sslContext: NIOSSLContext
    let verifyClient: SSLVerifyClient
    /// Checks client certificates under `optional` and `require` (nil otherwise).
    let clientVerifier: ClientCertificateVerifier?
    /// The certificate this host presents, summarized once.
    let serverCertificate: CertificateSummary

    init(hostID: Int, sslContext: NIOSSLContext, verifyClient: SSLVerifyClient,
         clientVerifier: ClientCertificateVerifier?, serverCertificate: CertificateSummary) {
        self.hostID = hostID
        self.sslContext = sslContext
        self.verifyClient = verifyClient
        self.clientVerifier = clientVerifier
        self.serverCertificate = serverCertificate
    }

    /// The handler that speaks TLS on a connection this host's context was chosen for.
    /// `optional_no_ca` takes any certificate the client sends (mod_ssl's GENEROUS);
    /// `optional` and `require` verify it against SSLCACertificateFile and SSLVerifyDepth.
    func makeServerHandler() -> NIOSSLServerHandler {
        if verifyClient == .optionalNoCA {
            return NIOSSLServerHandler(context: sslContext) { _, promise in promise.succeed(.certificateVerified) }
        }
        guard let clientVerifier else { return NIOSSLServerHandler(context: sslContext) }
        return NIOSSLServerHandler(context: sslContext) { presented, promise in
            clientVerifier.verify(presented, promise: promise)
        }
    }
}

/// The TLS contexts of one configuration generation, by virtual-host id (0 is the main
/// server). A reload builds new ones; connections in flight keep theirs.
struct TLSContexts: Sendable {
    let byHost: [Int: TLSHostContext]

    static let none = TLSContexts(byHost: [:])

    private init(byHost: [Int: TLSHostContext]) { self.byHost = byHost }

    /// Reads every TLS host's certificate, key and CA files and builds its context; the
    /// first problem is a configuration error at the directive's file and line.
    init(configuration: ServerConfiguration) throws(ConfigError) {
        guard configuration.hasTLS else {
            self.byHost = [:]
            return
        }
        var byHost: [Int: TLSHostContext] = [:]
        for host in configuration.allHosts where host.ssl.isEnabled {
            byHost[host.id] = try TLSContextBuilder.build(host)
        }
        self.byHost = byHost
    }

    /// The host SNI names (or the address's default host without SNI, as Apache does)
    /// and its context; nil when that host has no TLS.
    func host(
        forServerName name: String?, localAddress: SocketAddress?,
        in configuration: ServerConfiguration
    ) -> (host: VirtualHost, context: TLSHostContext)? {
        let host = configuration.virtualHost(
            localAddress: localAddress?.ipAddress ?? "", localPort: localAddress?.port ?? 0, hostHeader: name)
        return byHost[host.id].map { (host, $0) }
    }
}

/// Turns a host's mod_ssl settings into a swift-nio-ssl server configuration.
enum TLSContextBuilder {
    static func build(_ host: VirtualHost) throws(ConfigError) -> TLSHostContext {
        let ssl = host.ssl
        guard let certificateFile = ssl.certificateFile else {
            let place = ssl.engine?.location ?? host.location ?? SourceLocation(file: "-", line: 0)
            throw error(at: place, "SSLEngine on: no SSLCertificateFile for this host")
        }
        let keyFile = ssl.certificateKeyFile ?? certificateFile
        var chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificateFile.value)
        } catch {
            throw Self.error(
                at: certificateFile.location,
                "SSLCertificateFile: cannot read a PEM certificate from '\(certificateFile.value)' (\(error))")
        }
        guard let leaf = chain.first else {
            throw error(
                at: certificateFile.location, "SSLCertificateFile: no certificate in '\(certificateFile.value)'")
        }
        chain = [leaf]  // the rest of that file and SSLCertificateChainFile follow as intermediates
        if let chainFile = ssl.certificateChainFile {
            do {
                chain += try NIOSSLCertificate.fromPEMFile(chainFile.value)
            } catch {
                throw Self.error(
                    at: chainFile.location,
                    "SSLCertificateChainFile: cannot read PEM certificates from '\(chainFile.value)' (\(error))")
            }
        } else if let rest = try? NIOSSLCertificate.fromPEMFile(certificateFile.value).dropFirst() {
            chain += rest
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: keyFile.value, format: .pem)
        } catch {
            throw Self.error(
                at: keyFile.location,
                "\(ssl.certificateKeyFile == nil ? "SSLCertificateFile" : "SSLCertificateKeyFile"): "
                    + "cannot read a PEM private key from '\(keyFile.value)' (\(error))")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.shutdownTimeout = Self.closeNotifyWait
        let protocols = ssl.effectiveProtocols
        configuration.minimumTLSVersion = protocols.min() == .tlsv13 ? .tlsv13 : .tlsv12
        configuration.maximumTLSVersion = protocols.max() == .tlsv12 ? .tlsv12 : .tlsv13
        if let cipherSuite = ssl.cipherSuite {
            // swift-nio-ssl traps on a string BoringSSL refuses: BoringSSL is asked first.
            guard isapid_tls_cipher_list_is_valid(cipherSuite.value) == 1 else {
                throw error(
                    at: cipherSuite.location,
                    "SSLCipherSuite: BoringSSL accepts no cipher suite from '\(cipherSuite.value)'")
            }
            configuration.cipherSuites = cipherSuite.value
        }
        switch ssl.effectiveVerifyClient {
        case .none: configuration.certificateVerification = .none
        case .optional: configuration.certificateVerification = .optionalVerification
        case .require: configuration.certificateVerification = .noHostnameVerification
        case .optionalNoCA: configuration.certificateVerification = .optionalVerification
        }
        var clientVerifier: ClientCertificateVerifier?
        if let caFile = ssl.caCertificateFile {
            do {
                let authorities = try NIOSSLCertificate.fromPEMFile(caFile.value)
                configuration.trustRoots = .certificates(authorities)
                if ssl.effectiveVerifyClient == .optional || ssl.effectiveVerifyClient == .require {
                    clientVerifier = try ClientCertificateVerifier(
                        trustedCAs: authorities, maximumDepth: ssl.effectiveVerifyDepth)
                }
            } catch {
                throw Self.error(
                    at: caFile.location,
                    "SSLCACertificateFile: cannot read PEM certificates from '\(caFile.value)' (\(error))")
            }
            configuration.sendCANameList = true
        } else {
            configuration.trustRoots = .certificates([])
        }
        let context: NIOSSLContext
        do {
            context = try NIOSSLContext(configuration: configuration)
        } catch NIOSSLError.failedToLoadPrivateKey {
            throw error(
                at: keyFile.location,
                "the private key in '\(keyFile.value)' does not match the certificate in '\(certificateFile.value)'")
        } catch {
            throw Self.error(at: certificateFile.location, "cannot set up TLS for this host: \(error)")
        }
        let der = (try? leaf.toDERBytes()) ?? []
        return TLSHostContext(
            hostID: host.id, sslContext: context, verifyClient: ssl.effectiveVerifyClient,
            clientVerifier: clientVerifier, serverCertificate: TLSSessionInfo.summary(ofDER: der))
    }

    /// How long a closing connection waits for the client's close_notify after sending its
    /// own, reading and dropping what else arrives: Apache's lingering close, 2 s
    /// (mod_ssl itself does not wait). swift-nio-ssl's default is 5 s, and its timer is
    /// not cancelled when the client closes first (as browsers and wrk do, without a
    /// close_notify): it holds the connection's buffers (~40 KiB) until it fires, so that
    /// at 2,000 closing connections a second ~10,000 connections' worth were kept: 557 MiB
    /// of RSS after S8's runs. The wait bounds that memory; 2 s keeps what a client may
    /// still send from turning the close into a reset.
    static let closeNotifyWait = TimeAmount.seconds(2)

    private static func error(at location: SourceLocation, _ message: String) -> ConfigError {
        ConfigError(file: location.file, line: location.line, kind: .badArguments, message: message)
    }
}
