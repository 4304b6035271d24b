import Logging

/// One request forwarded upstream: take an idle connection or connect, send the head and
/// body, read the response head (retrying once on a fresh connection when a reused one
/// turns out stale), follow redirects under `F`, and relay the response to the client.
final class ProxyExchange {
    /// Redirects followed internally under `F` before the next one is answered as it is.
    static let maxRedirects = 5
    /// 1xx responses skipped before the final one; more is a broken upstream.
    static let maxInterimResponses = 16
    /// A followed redirect's own body is read and dropped up to this size (so that its
    /// connection can be reused); a larger one closes the connection.
    static let maxDiscardedBody: Int64 = 1 << 20

    private let target: ProxyTarget
    private let settings: ProxySettings
    private let pool: UpstreamPool
    private let context: RequestContext
    private let channel: any ResponseChannel
    private let pipeline: Pipeline
    private let body: ProxyRequestBody

    init(target: ProxyTarget, settings: ProxySettings, pool: UpstreamPool, context: RequestContext,
         channel: any ResponseChannel, pipeline: Pipeline) {
        self.target = target
        // ProxyTimeout, when the configuration the request began with sets it.
        var settings = settings
        if let seconds = pipeline.configuration.proxyTimeoutSeconds { settings.ioTimeout = seconds }
        self.settings = settings
        self.pool = pool
        self.context = context
        self.channel = channel
        self.pipeline = pipeline
        body = ProxyRequestBody(framing: RequestBodyFraming(context.request))
    }

    func run() {
        guard var url = UpstreamURL.parse(target.url) else { return fail(.badTarget(target.url)) }
        var method = context.method
        var framing = body.framing
        var droppedBody = false
        var hops = 0
        while true {
            let connection: UpstreamConnection
            let head: UpstreamResponseHead
            do {
                (connection, head) = try exchange(url: url, method: method, framing: framing, droppedBody: droppedBody)
            } catch {
                return fail(error)
            }
            guard target.followsRedirects, hops < Self.maxRedirects,
                  let next = redirect(head, from: url, method: method, hasBody: framing.hasBody)
            else { return relay(head, from: connection, url: url, method: method) }
            discardBody(of: head, method: method, connection: connection)
            hops += 1
            url = next.url
            method = next.method
            if next.dropsBody {
                droppedBody = droppedBody || framing != .none
                framing = .none
            }
        }
    }

    /// Where a redirect leads when `F` follows it: 303, and 301/302 after a POST, become
    /// a GET without body; the others keep the method and are followed only when no
    /// body was sent (it cannot be sent again). Nil: answer the redirect as it is.
    private func redirect(_ head: UpstreamResponseHead, from url: UpstreamURL, method: String,
                          hasBody: Bool) -> (url: UpstreamURL, method: String, dropsBody: Bool)? {
        guard [301, 302, 303, 307, 308].contains(head.status), let location = head.headers["Location"],
              let next = url.resolve(location) else { return nil }
        switch head.status {
        case 303: return (next, method == "HEAD" ? "HEAD" : "GET", true)
        case 301 where method == "POST", 302 where method == "POST": return (next, "GET", true)
        default: return hasBody ? nil : (next, method, false)
        }
    }

    /// Sends the request and reads the final response head, on an idle connection when
    /// there is one. A reused connection that fails before any response byte arrived,
    /// when no body byte was taken from the client, is retried once on a fresh one.
    private func exchange(url: UpstreamURL, method: String, framing: RequestBodyFraming,
                          droppedBody: Bool) throws(ProxyFailure) -> (UpstreamConnection, UpstreamResponseHead) {
        let connection = context.request.connection
        let requestHead = ProxyRequestHead.make(
            method: method, url: url, headers: context.headers, clientAddress: connection.remoteAddress,
            serverName: context.host.serverName, body: framing, droppedBody: droppedBody)
        var mayReuse = true
        while true {
            let upstream: UpstreamConnection
            let reused: Bool
            if mayReuse, let idle = pool.take(url.key) {
                idle.socket.configure(ioTimeout: settings.ioTimeout)
                (upstream, reused) = (idle, true)
            } else {
                let socket = try UpstreamSocket.connect(
                    host: url.host, port: url.port, upstream: url.key, connectTimeout: settings.connectTimeout,
                    ioTimeout: settings.ioTimeout)
                (upstream, reused) = (UpstreamConnection(socket: socket, key: url.key), false)
            }
            upstream.beginRequest()
            do throws(ProxyFailure) {
                return (upstream, try send(requestHead, framing: framing, over: upstream))
            } catch {
                upstream.close()
                guard reused, error.kind == .closed, !upstream.receivedAny, body.consumed == 0 else { throw error }
                mayReuse = false
            }
        }
    }

    private func send(_ requestHead: [UInt8], framing: RequestBodyFraming,
                      over connection: UpstreamConnection) throws(ProxyFailure) -> UpstreamResponseHead {
        try connection.socket.send(requestHead)
        if framing.hasBody {
            do throws(ProxyFailure) {
                try body.send(from: channel, to: connection.socket)
            } catch where error.kind == .closed {
                // The upstream may have answered early (413, 401) and closed: use its answer.
                connection.mustClose = true
                if let head = try? readFinalHead(connection) { return head }
                throw error
            }
        }
        return try readFinalHead(connection)
    }

    /// The first non-1xx head: 100 Continue, 102 and 103 are skipped; 101 cannot be
    /// forwarded (Upgrade is hop-by-hop and never sent).
    private func readFinalHead(_ connection: UpstreamConnection) throws(ProxyFailure) -> UpstreamResponseHead {
        for _ in 0..<Self.maxInterimResponses {
            let bytes = try connection.readHead()
            guard let head = UpstreamResponseHead.parse(bytes) else {
                let what = UpstreamResponseHead.hasObsFold(bytes)
                    ? "obs-fold (a header line that begins with whitespace)" : "not an HTTP/1.x response head"
                throw .malformed(what, upstream: connection.upstream)
            }
            if head.status == 101 {
                throw .malformed("101 Switching Protocols, which the proxy does not forward",
                                 upstream: connection.upstream)
            }
            if head.status >= 200 { return head }
        }
        throw .malformed("more than \(Self.maxInterimResponses) interim responses", upstream: connection.upstream)
    }

    /// The client gets the response: head (hop-by-hop fields dropped, Location mapped to
    /// the client's origin), then the body as it arrives.
    private func relay(_ head: UpstreamResponseHead, from connection: UpstreamConnection, url: UpstreamURL,
                       method: String) {
        guard let framing = head.bodyFraming(method: method) else {
            connection.close()
            return fail(.malformed("a bad Content-Length", upstream: connection.upstream))
        }
        let origin = context.request.connection.scheme + "://" + clientAuthority
        let headers = head.clientHeaders(framing: framing) { url.clientFacing($0, clientOrigin: origin) }
        guard channel.sendHead(status: head.status, reason: head.reason, headers: headers) else {
            connection.close()
            return channel.finish(closeConnection: true)
        }
        switch ProxyResponseRelay.stream(framing, from: connection, to: { channel.sendBody($0) }) {
        case .complete:
            release(connection, reusable: head.keepsConnection && framing != .untilClose)
            channel.finish(closeConnection: false)
        case .stopped:
            connection.close()
            channel.finish(closeConnection: true)
        case .failed(let failure):
            connection.close()
            log(ProxyFailure(kind: failure.kind, id: "IS03010",
                             message: "response cut short after its head was sent: \(failure.message)"))
            channel.finish(closeConnection: true)
        }
    }

    /// Reads and drops a followed redirect's body, so its connection can serve the next hop.
    private func discardBody(of head: UpstreamResponseHead, method: String, connection: UpstreamConnection) {
        guard let framing = head.bodyFraming(method: method), framing != .untilClose else { return connection.close() }
        var total: Int64 = 0
        let outcome = ProxyResponseRelay.stream(framing, from: connection) { piece in
            total += Int64(piece.count)
            return total <= Self.maxDiscardedBody
        }
        release(connection, reusable: outcome == .complete && head.keepsConnection)
    }

    /// Back to the pool when the upstream keeps it open and nothing unread is left on it.
    private func release(_ connection: UpstreamConnection, reusable: Bool) {
        if reusable && !connection.mustClose && !connection.hasLeftover {
            pool.put(connection)
        } else {
            connection.close()
        }
    }

    /// The client-facing `host[:port]`: its Host header, else the server's name.
    private var clientAuthority: String {
        if let host = context.headers["Host"], !host.isEmpty, ProxyRequestHead.isFieldValue(host) { return host }
        let local = context.request.connection
        let address = local.localAddress.contains(":") ? "[\(local.localAddress)]" : local.localAddress
        let name = context.host.serverName ?? address
        return local.localPort == local.defaultPort ? name : "\(name):\(local.localPort)"
    }

    /// Logs the failure and answers with its status (or the ErrorDocument for it); after
    /// the head was sent, only ends the response and the connection.
    private func fail(_ failure: ProxyFailure) {
        log(failure)
        if channel.headSent { return channel.finish(closeConnection: true) }
        let answer = pipeline.errorAnswerAfterHandler(failure.status, context)
        if case .handOff(let handler) = answer.response.body {
            handler.run(answer.context, channel: channel, pipeline: pipeline)
        } else {
            _ = channel.respond(answer.response)
        }
    }

    private func log(_ failure: ProxyFailure) {
        let metadata = context.logMetadata(id: failure.id)
        if failure.kind == .client {
            pipeline.logger.info("\(failure.message)", metadata: metadata)
        } else {
            pipeline.logger.error("\(failure.message)", metadata: metadata)
        }
    }
}
