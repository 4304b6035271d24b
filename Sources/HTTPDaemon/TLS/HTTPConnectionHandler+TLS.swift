import Logging
import RequestPipeline
import ServerConfig

/// What a connection knows about TLS: nothing (a plain listener), a client that spoke
/// plain HTTP to a TLS port, or the session its handshake established.
///
/// The session (~350 bytes of strings and certificate summaries) is behind one reference:
/// inline, every read of the handler's `tls` (a few per request, plain connections too)
/// copied the whole enum to the stack, ~1.7 KB a request.
enum TLSConnectionState {
    case plain
    case plainHTTPOnTLSPort
    /// `serverNameHostID`: the virtual host SNI chose; nil when the client sent no SNI.
    case established(Shared<TLSSessionInfo>, serverNameHostID: Int?)

    /// A plain-HTTP connection: no mod_ssl check applies to its requests.
    var isPlain: Bool {
        if case .plain = self { return true }
        return false
    }

    /// A client that spoke plain HTTP to a TLS port: answered 400, then closed.
    var isPlainHTTPOnTLSPort: Bool {
        if case .plainHTTPOnTLSPort = self { return true }
        return false
    }

    /// A TLS session is established: the connection is HTTPS.
    var isEstablished: Bool {
        if case .established = self { return true }
        return false
    }

    var session: TLSSessionInfo? {
        if case .established(let session, _) = self { return session.value }
        return nil
    }
}

/// mod_ssl's checks of a request against its connection, made before the pipeline runs.
extension HTTPConnectionHandler {
    /// Takes the TLS events of this connection; false for any other event.
    func takeTLSEvent(_ event: Any) -> Bool {
        if let established = event as? TLSEstablished {
            tls = .established(Shared(established.session), serverNameHostID: established.serverNameHostID)
            return true
        }
        if event is PlainHTTPOnTLSPort {
            tls = .plainHTTPOnTLSPort
            return true
        }
        return false
    }

    /// The answer mod_ssl gives instead of the pipeline's, if any: 400 to plain HTTP on a
    /// TLS port; on TLS, 421 when Host selects another virtual host than SNI did (Apache's
    /// AH02032), 400 when SNI was sent but no Host (AH02031), and 403 without SNI under
    /// `SSLStrictSNIVHostCheck on` (AH02033).
    /// Callers skip it on plain connections (`tls.isPlain`): even returning nil at once,
    /// the call cost a plain request ~2,300 instructions zeroing the large optional result.
    func tlsRefusal(_ request: IncomingRequest) -> (context: RequestContext, response: Response)? {
        let configuration = state.configuration
        let connection = request.connection
        let hostHeader = request.headers["Host"]
        let selected = configuration.virtualHost(
            localAddress: connection.localAddress, localPort: connection.localPort, hostHeader: hostHeader)
        let status: Int
        let page: [UInt8]
        switch tls {
        case .plain:
            return nil
        case .plainHTTPOnTLSPort:
            status = 400
            page = TLSErrorPages.plainHTTPOnTLSPort
        case .established(let shared, let serverNameHostID):
            let session = shared.value
            if let serverNameHostID, let serverName = session.serverName {
                if hostHeader == nil {
                    state.logger.error(
                        "Hostname \(serverName) provided via SNI, but no hostname provided in HTTP request",
                        metadata: ["client": "\(remote.0):\(remote.1)", "id": "IS02104"])
                    status = 400
                    page = TLSErrorPages.badRequest
                } else if selected.id != serverNameHostID {
                    let message = "Hostname \(serverName) provided via SNI and hostname \(hostHeader ?? "") "
                        + "provided via HTTP have no compatible SSL setup"
                    state.logger.error(
                        "\(message)",
                        metadata: ["client": "\(remote.0):\(remote.1)", "id": "IS02105"])
                    status = 421
                    page = TLSErrorPages.misdirected
                } else {
                    return nil
                }
            } else if selected.ssl.effectiveStrictSNIVHostCheck {
                state.logger.error(
                    "No hostname was provided via SNI for a name based virtual host",
                    metadata: ["client": "\(remote.0):\(remote.1)", "id": "IS02106"])
                status = 403
                page = TLSErrorPages.forbidden
            } else {
                return nil
            }
        }
        var headers = HeaderFields()
        headers.set("Content-Type", "text/html; charset=iso-8859-1")
        let context = RequestContext(request: request, host: selected)
        return (context, Response(status: status, headers: headers, body: .bytes(page), isServerGenerated: true))
    }
}

/// Apache's pages for mod_ssl's refusals, byte for byte.
enum TLSErrorPages {
    static let plainHTTPOnTLSPort = page(
        400, "Bad Request",
        """
        <p>Your browser sent a request that this server could not understand.<br />
        Reason: You're speaking plain HTTP to an SSL-enabled server port.<br />
         Instead use the HTTPS scheme to access this URL, please.<br />
        </p>
        """)
    static let badRequest = page(
        400, "Bad Request",
        """
        <p>Your browser sent a request that this server could not understand.<br />
        </p>
        """)
    static let misdirected = page(
        421, "Misdirected Request",
        """
        <p>The client needs a new connection for this
        request as the requested host name does not match
        the Server Name Indication (SNI) in use for this
        connection.</p>
        """)
    static let forbidden = page(
        403, "Forbidden",
        """
        <p>You don't have permission to access this resource.</p>
        """)

    private static func page(_ status: Int, _ reason: String, _ body: String) -> [UInt8] {
        Array(
            """
            <!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">
            <html><head>
            <title>\(status) \(reason)</title>
            </head><body>
            <h1>\(reason)</h1>
            \(body)
            </body></html>

            """.utf8)
    }
}
