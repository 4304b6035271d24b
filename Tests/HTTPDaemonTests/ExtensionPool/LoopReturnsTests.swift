import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RequestPipeline
import Testing

@testable import HTTPDaemon

/// Returns from pool threads to an event loop, gathered into one loop task per batch.
@Suite struct LoopReturnsTests {
    /// An exchange whose complete responses (`respond`) are recorded under `name`.
    private func exchange(_ name: String, _ returns: LoopReturns, _ answered: NIOLockedValueBox<[String]>) -> BlockingExchange {
        BlockingExchange(
            returns: returns, allocator: ByteBufferAllocator(), requestIsBeforeHTTP11: false, isHead: false, keepAlive: true,
            connection: Recorder(name: name, answered: answered))
    }

    /// A connection that takes every write at once and records complete responses.
    private final class Recorder: BlockingExchangeConnection, @unchecked Sendable {
        let name: String
        let answered: NIOLockedValueBox<[String]>

        init(name: String, answered: NIOLockedValueBox<[String]>) {
            self.name = name
            self.answered = answered
        }

        func makeHead(status: Int, reason: String?, headers: HeaderFields, keepAlive: Bool) -> ByteBuffer { ByteBuffer() }
        func writeParts(_ parts: [IOData], bodyBytes: Int, completion: @escaping @Sendable (Bool) -> Void) { completion(true) }
        func resumeReading() {}
        func completed(_ ending: BlockingExchange.Ending) {}
        func respondNormally(_ response: Response) { answered.withLockedValue { $0.append("\(name) \(response.status)") } }
    }

    /// Returns posted while the loop is busy run together, in the order posted: one
    /// `execute` (one wake-up at most) for all of them.
    @Test func returnsPostedWhileTheLoopIsBusyRunInOneBatch() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let loop = group.next()
        let returns = LoopReturns(eventLoop: loop)
        let answered = NIOLockedValueBox<[String]>([])
        let exchanges = (0..<5).map { exchange("e\($0)", returns, answered) }

        // Hold the loop inside a task while the pool side answers.
        let busy = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        loop.execute {
            busy.signal()
            _ = release.wait(timeout: .now() + .seconds(10))
        }
        #expect(busy.wait(timeout: .now() + .seconds(10)) == .success)
        for (index, exchange) in exchanges.enumerated() {
            #expect(exchange.respond(Response(status: 200 + index)))
        }
        release.signal()
        #expect(eventually(timeout: 10) { answered.withLockedValue { $0.count } == 5 })
        #expect(answered.withLockedValue { $0 } == ["e0 200", "e1 201", "e2 202", "e3 203", "e4 204"])
        #expect(try loop.submit { returns.batchesRun }.wait() == 1)

        // A later return starts a batch of its own.
        let late = exchange("late", returns, answered)
        #expect(late.respond(Response(status: 204)))
        #expect(eventually(timeout: 10) { answered.withLockedValue { $0.count } == 6 })
        #expect(try loop.submit { returns.batchesRun }.wait() == 2)
    }
}
