import NIOConcurrencyHelpers
import NIOCore
import RequestPipeline

/// What pool threads hand back to one event loop (a drain of an exchange's response, a
/// resumption of its reading, a complete response), gathered in one queue: the first
/// return of a batch schedules one `execute`, the ones that come before it runs join it.
///
/// NIO's `execute` from another thread takes two locks, allocates the task, and writes
/// the loop's eventfd unless a wake-up is already pending (`_pendingTaskPop` in
/// `SelectableEventLoop._schedule0`): the eventfd write is already coalesced, so what a
/// batch saves is the locks and the allocation of each further return, and the loop runs
/// the whole batch in one task.
final class LoopReturns: @unchecked Sendable {
    /// One thing to do on the loop for an exchange.
    enum Return {
        /// Write what the exchange has queued (head, body, end).
        case drain
        /// The request body buffer has room again: read on.
        case resumeReading
        /// The handler answered with a complete response: write it the normal way.
        /// Boxed: the rare case's large payload made every queued return, `drain` too,
        /// a multi-word value copied with outlined witnesses (~900 instructions a request).
        indirect case respond(Response)
        /// The response ended without being written completely.
        case broken
    }

    /// Whether a batch is scheduled on the loop.
    private enum State {
        case idle
        /// An `execute` is on its way: later returns join its batch.
        case scheduled
    }

    let eventLoop: any EventLoop
    private let lock = NIOLock()
    // Guarded by `lock`.
    private var state = State.idle
    private var batch = CircularBuffer<(BlockingExchange, Return)>(initialCapacity: 16)
    /// The loop's own: the batch it is running (swapped with `batch`, capacity kept; a
    /// ring, whose `popFirst` is cheaper than an array's `removeAll(keepingCapacity:)`).
    private var running = CircularBuffer<(BlockingExchange, Return)>(initialCapacity: 16)
    /// Batches run so far (the loop's own; for tests).
    private(set) var batchesRun = 0

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// Queues `what` for `exchange` on the loop; one `execute` per batch.
    func post(_ exchange: BlockingExchange, _ what: Return) {
        let schedule = lock.withLock { () -> Bool in
            batch.append((exchange, what))
            guard case .idle = state else { return false }
            state = .scheduled
            return true
        }
        if schedule { eventLoop.execute { self.runBatch() } }
    }

    /// On the loop: everything posted so far, in the order it was posted.
    private func runBatch() {
        lock.withLock {
            swap(&batch, &running)
            state = .idle
        }
        batchesRun += 1
        while let (exchange, what) = running.popFirst() { exchange.perform(what) }
    }
}

/// The return queue of each event loop, made on first use.
final class LoopReturnsTable: Sendable {
    private let table = NIOLockedValueBox<[ObjectIdentifier: LoopReturns]>([:])

    init() {}

    func returns(for eventLoop: any EventLoop) -> LoopReturns {
        table.withLockedValue { table in
            let key = ObjectIdentifier(eventLoop)
            if let returns = table[key] { return returns }
            let returns = LoopReturns(eventLoop: eventLoop)
            table[key] = returns
            return returns
        }
    }
}
