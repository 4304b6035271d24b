import NIOCore
import NIOHTTP1

extension UpstreamPool {
    /// Sends a request head to `endpoint` on an idle connection when there is one, and
    /// then `started` gets the connection (to stream the body on and to release afterwards).
    /// A reused connection that the upstream had closed meanwhile fails before any byte
    /// arrives: then, for a request without body (nothing was taken from the client that
    /// could not be sent again), the head goes once more on a fresh connection, as
    /// mod_proxy does. `receiver` hears only the attempt that counts.
    func send(_ head: HTTPRequestHead, to endpoint: UpstreamEndpoint, hasBody: Bool,
              receiver: any UpstreamResponseReceiver, started: @escaping (UpstreamConnection) -> Void) {
        let attempt = RetryingReceiver(receiver: receiver, mayRetry: !hasBody)
        attempt.retry = { [self] in
            connect(endpoint) { result in
                switch result {
                case .success(let connection):
                    connection.send(head, to: receiver)
                    started(connection)
                case .failure(let failure):
                    receiver.upstreamFailed(failure)
                }
            }
        }
        acquire(endpoint) { result in
            switch result {
            case .success(let connection):
                attempt.connection = connection
                connection.send(head, to: attempt)
                started(connection)
            case .failure(let failure):
                receiver.upstreamFailed(failure)
            }
        }
    }
}

/// Passes an exchange's events on, except a stale reused connection's failure, which
/// starts the retry instead.
private final class RetryingReceiver: UpstreamResponseReceiver {
    let receiver: any UpstreamResponseReceiver
    let mayRetry: Bool
    var connection: UpstreamConnection?
    var retry: (() -> Void)?

    init(receiver: any UpstreamResponseReceiver, mayRetry: Bool) {
        self.receiver = receiver
        self.mayRetry = mayRetry
    }

    var wantsMoreBody: Bool { receiver.wantsMoreBody }
    func upstreamHead(_ head: HTTPResponseHead) { receiver.upstreamHead(head) }
    func upstreamBody(_ bytes: ByteBuffer) { receiver.upstreamBody(bytes) }
    func upstreamEnd() { receiver.upstreamEnd() }

    func upstreamFailed(_ failure: UpstreamFailure) {
        if mayRetry, failure.kind == .closed, let connection, connection.exchangesStarted > 1,
           !connection.receivedAny, let retry {
            self.retry = nil
            return retry()
        }
        receiver.upstreamFailed(failure)
    }
}
