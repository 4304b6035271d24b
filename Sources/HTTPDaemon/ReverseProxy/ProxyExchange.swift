import Logging
import NIOCore
import NIOHTTP1
import RequestPipeline

/// What a proxy exchange needs from the client's connection, on its event loop.
protocol ProxyClientSide: AnyObject {
    /// Whether the client's socket takes more now: while it does not, the upstream is not
    /// read (a slow client slows the upstream, it is not buffered).
    var isClientWritable: Bool { get }
    /// The upstream's head, as the client is to see it.
    func proxyHead(status: Int, reason: String?, headers: HeaderFields, framing: ResponseBodyFraming)
    func proxyBody(_ bytes: ByteBuffer)
    /// The response is complete.
    func proxyEnd()
    /// Failed before any of the answer went out: the client gets `status` (502, 504).
    func proxyFailedBeforeHead(status: Int)
    /// Failed after the head went out: the client's connection closes.
    func proxyCutShort()
    /// The exchange takes more of the client's body again.
    func proxyWantsClientBody()
}

/// One proxied request on the client connection's event loop: sends the plan's head on
/// a pooled (or new) upstream connection, streams the client's body up as it arrives
/// (the client is read only while the upstream takes more), relays the response as it
/// arrives (the upstream is read only while the client takes more), follows redirects
/// under `F`, and gives the upstream connection back to its pool when both sides are done.
final class ProxyExchange: UpstreamResponseReceiver {
    /// Where the response is.
    enum State {
        /// The request head went (or is going) up; no response head yet.
        case awaitingHead
        /// The head went to the client; the body follows it.
        case relaying
        /// A redirect `F` follows: its body is read and dropped, then `next` goes out.
        case discarding(next: ProxyPlan, bytes: Int)
        /// Ended, failed or given up.
        case done
    }

    /// Client body bytes buffered while no upstream connection takes them yet.
    static let bodyHighWater = 64 * 1024

    private(set) var plan: ProxyPlan
    private let pool: UpstreamPool
    private weak var client: (any ProxyClientSide)?
    private let logger: Logger
    private let metadata: (String) -> Logger.Metadata
    private(set) var state = State.awaitingHead
    private var connection: UpstreamConnection?
    private var pendingBody = CircularBuffer<ByteBuffer>()
    private var pendingBytes = 0
    private var clientBodyEnded = false
    /// The request's end went up on the current connection (it may be reused).
    private var requestEndSent = false
    /// A followed redirect left the client's body behind: what still comes is dropped.
    private var bodyDropped = false

    init(
        plan: ProxyPlan, pool: UpstreamPool, client: any ProxyClientSide, logger: Logger,
        metadata: @escaping (String) -> Logger.Metadata
    ) {
        self.plan = plan
        self.pool = pool
        self.client = client
        self.logger = logger
        self.metadata = metadata
    }

    func start() { send(plan) }

    // MARK: The client's side

    /// Whether the client's body is to be read now.
    var wantsClientBody: Bool {
        if bodyDropped { return true }
        if case .done = state { return true }
        guard let connection else { return pendingBytes < Self.bodyHighWater }
        return connection.isWritable
    }

    /// Whether the head went to the client.
    var headSent: Bool {
        switch state {
        case .relaying: return true
        case .done: return sentHead
        case .awaitingHead, .discarding: return false
        }
    }

    private var sentHead = false

    func clientBody(_ bytes: ByteBuffer) {
        if bodyDropped { return }
        if case .done = state { return }
        pendingBody.append(bytes)
        pendingBytes += bytes.readableBytes
        flushBody()
    }

    func clientBodyEnd() {
        clientBodyEnded = true
        flushBody()
    }

    /// The client's socket can take more: read the upstream again.
    func clientWritable() {
        if case .relaying = state { connection?.demand() }
    }

    /// The client left, or the connection answers in the exchange's place: the upstream
    /// connection closes (its response is unread) and nothing more is heard.
    func cancel() {
        state = .done
        connection?.onWritable = nil
        connection?.close()
        connection = nil
    }

    // MARK: Upstream

    private func send(_ plan: ProxyPlan) {
        let url = plan.upstream
        let endpoint = UpstreamEndpoint(scheme: url.isHTTPS ? .https : .http, host: url.host, port: url.port)
        var head = HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: plan.method), uri: url.target)
        for (name, value) in plan.headers { head.headers.add(name: name, value: value) }
        pool.send(head, to: endpoint, hasBody: plan.body.hasBody && !bodyDropped, receiver: self) { [self] connection in
            if case .done = state { return connection.close() }
            // A fresh connection (a stale pooled one is retried once) needs the request's end too.
            requestEndSent = false
            self.connection = connection
            connection.onWritable = { [weak self] in self?.client?.proxyWantsClientBody() }
            flushBody()
        }
    }

    /// Sends what the client's body has brought so far, and the end once it came.
    private func flushBody() {
        guard let connection, !requestEndSent else { return }
        if bodyDropped || !plan.body.hasBody {
            connection.endRequest()
            requestEndSent = true
            return
        }
        while let piece = pendingBody.popFirst() {
            pendingBytes -= piece.readableBytes
            _ = connection.sendBody(piece)
        }
        if clientBodyEnded {
            connection.endRequest()
            requestEndSent = true
        } else if connection.isWritable {
            client?.proxyWantsClientBody()
        }
    }

    var wantsMoreBody: Bool {
        switch state {
        case .relaying: return client?.isClientWritable ?? false
        case .awaitingHead, .discarding: return true
        case .done: return false
        }
    }

    func upstreamHead(_ head: HTTPResponseHead) {
        guard case .awaitingHead = state else { return }
        var fields = HeaderFields()
        for (name, value) in head.headers { fields.add(name, value) }
        let upstreamHead = UpstreamResponseHead(
            versionMinor: head.version.minor, status: Int(head.status.code), reason: head.status.reasonPhrase,
            headers: fields)
        if let next = plan.redirected(status: upstreamHead.status, location: fields["Location"]) {
            // The client's body cannot be sent again: whatever of it still comes is dropped.
            bodyDropped = true
            pendingBody.removeAll()
            pendingBytes = 0
            if !requestEndSent { return follow(next, reusable: false) }
            state = .discarding(next: next, bytes: 0)
            return
        }
        guard let answer = plan.clientHead(upstreamHead) else {
            connection?.close()
            connection = nil
            return upstreamFailed(.malformed("a bad Content-Length", upstream: endpointName))
        }
        state = .relaying
        sentHead = true
        client?.proxyHead(
            status: answer.status, reason: answer.reason, headers: answer.headers,
            framing: answer.framing)
    }

    func upstreamBody(_ bytes: ByteBuffer) {
        switch state {
        case .relaying:
            client?.proxyBody(bytes)
        case .discarding(let next, let count):
            let total = count + bytes.readableBytes
            if total > ProxyPlan.maxDiscardedBody { return follow(next, reusable: false) }
            state = .discarding(next: next, bytes: total)
        case .awaitingHead, .done:
            break
        }
    }

    func upstreamEnd() {
        switch state {
        case .relaying:
            state = .done
            releaseConnection(reusable: true)
            client?.proxyEnd()
        case .discarding(let next, _):
            follow(next, reusable: true)
        case .awaitingHead, .done:
            break
        }
    }

    func upstreamFailed(_ failure: UpstreamFailure) {
        if case .done = state { return }
        let relaying = headSent
        state = .done
        connection = nil
        if relaying {
            logger.error(
                "response from upstream cut short after its head was sent: \(failure.message)",
                metadata: metadata("IS02209"))
            client?.proxyCutShort()
        } else {
            logger.error("\(failure.message)", metadata: metadata(failure.id))
            client?.proxyFailedBeforeHead(status: failure.status)
        }
    }

    /// The next hop of a followed redirect, after the current connection is given back
    /// (or closed, when its response or request was not complete).
    private func follow(_ next: ProxyPlan, reusable: Bool) {
        releaseConnection(reusable: reusable)
        plan = next
        state = .awaitingHead
        send(next)
    }

    private func releaseConnection(reusable: Bool) {
        guard let connection else { return }
        self.connection = nil
        connection.onWritable = nil
        if reusable && requestEndSent {
            pool.release(connection)
        } else {
            connection.close()
        }
    }

    private var endpointName: UpstreamEndpoint {
        let url = plan.upstream
        return UpstreamEndpoint(scheme: url.isHTTPS ? .https : .http, host: url.host, port: url.port)
    }
}
