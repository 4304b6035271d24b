import Foundation
import NIOCore
import NIOHTTP1

@testable import HTTPDaemon

/// Records what an upstream connection delivers; completes `done` at the end or on failure.
/// Touched on the proxy's event loop only (tests read it through `loop.submit`).
final class RecordingReceiver: UpstreamResponseReceiver, @unchecked Sendable {
    enum Outcome: Sendable, Equatable {
        case ended
        case failed(UpstreamFailure)
    }

    let done: EventLoopPromise<Outcome>
    /// Resolved with the first body bytes (or the outcome, when none arrive).
    let firstBody: EventLoopPromise<Void>
    var head: HTTPResponseHead?
    var body: [UInt8] = []
    var bodyCount = 0
    /// When false, only counts body bytes (large bodies).
    var keepsBody = true
    var wantsMoreBody = true
    /// Stops wanting body once the first bytes arrived (a client that stopped reading).
    var pausesAtFirstBody = false
    /// The connection the exchange went out on last (a retry uses a second one).
    var lastConnection: UpstreamConnection?

    init(on loop: any EventLoop) {
        done = loop.makePromise()
        firstBody = loop.makePromise()
    }

    func upstreamHead(_ head: HTTPResponseHead) { self.head = head }

    func upstreamBody(_ bytes: ByteBuffer) {
        bodyCount += bytes.readableBytes
        if keepsBody { body += Array(buffer: bytes) }
        if pausesAtFirstBody { wantsMoreBody = false }
        firstBody.succeed(())
    }

    func upstreamEnd() {
        firstBody.succeed(())
        done.succeed(.ended)
    }

    func upstreamFailed(_ failure: UpstreamFailure) {
        firstBody.succeed(())
        done.succeed(.failed(failure))
    }
}

extension UpstreamPool {
    /// Acquires a connection and sends `GET path` on it, on the pool's loop; the
    /// receiver hears the rest. Succeeds with the connection once the head is sent.
    func get(_ path: String, from endpoint: UpstreamEndpoint, to receiver: RecordingReceiver)
        -> EventLoopFuture<UpstreamConnectionBox>
    {
        let promise = eventLoop.makePromise(of: UpstreamConnectionBox.self)
        eventLoop.execute { [self] in
            acquire(endpoint) { result in
                switch result {
                case .success(let connection):
                    var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path)
                    head.headers.add(name: "Host", value: endpoint.authority)
                    connection.send(head, to: receiver)
                    promise.succeed(UpstreamConnectionBox(connection: connection))
                case .failure(let failure):
                    receiver.upstreamFailed(failure)
                    promise.succeed(UpstreamConnectionBox(connection: nil))
                }
            }
        }
        return promise.futureResult
    }
}

/// An upstream connection handed to the test thread; used only back on its loop.
struct UpstreamConnectionBox: @unchecked Sendable {
    let connection: UpstreamConnection?
}

/// Polls `condition` until it holds or `timeout` seconds pass.
func proxyEventually(timeout: Double, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try condition() { return true }
        usleep(10_000)
    }
    return try condition()
}
