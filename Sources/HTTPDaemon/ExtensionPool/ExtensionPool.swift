import ISAPIHost
import NIOCore
import Observability

/// The `ThreadsPerChild` threads that run blocking handlers (ISAPI extensions) and the
/// request phases of ISAPI filters. They start as calls need them, as IIS's pool grows,
/// up to ThreadsPerChild, and then stay: a server that serves static files only, or few
/// calls at once, keeps no idle threads' stacks (each costs some resident memory).
///
/// It replaces `NIOThreadPool` for one reason: the hand-off. A worker that finishes a
/// call takes the next queued one without parking, and at most one worker is on its way
/// to the queue at a time (woken or starting): a submit wakes one only when none is, and
/// a worker that takes a call and leaves others queued wakes the next, so the pool
/// widens one thread at a time while calls wait (as Go's scheduler wakes one spinning
/// thread). An event loop that submits a turn's calls thus wakes one thread, not one per
/// call, and that thread runs them one after the other where the core has no other
/// (`PoolWorker` on why its wake-up does not take the core from the loop at once).
/// Each parked worker waits on a semaphore of its own, so a wake-up wakes exactly one thread.
final class ExtensionPool: @unchecked Sendable {
    /// Whether a call runs for real or is given up on (the pool is stopping).
    enum Run: Equatable {
        case active
        /// Not run: the pool stopped before a thread took it. The call answers its
        /// request the way a handler that gave up would (a 500 for an extension).
        case abandoned
    }

    typealias Work = @Sendable (Run) -> Void

    /// Where the pool is in its life.
    enum State: Equatable {
        case notStarted
        case running
        /// Queued calls were abandoned; running ones finish, then their threads end.
        case stopping
    }

    /// One queued call, and the figures (`ServerFigures.shared.pool`) it counts in.
    struct Item {
        let work: Work
        let figures: PoolFigures?
    }

    let numberOfThreads: Int
    /// Each event loop's return queue.
    private let loopReturns = LoopReturnsTable()
    // Everything below is guarded by `lock`.
    /// The pool's one lock; its condition tells the stop that the last thread ended.
    let lock = ConditionLock()
    var state = State.notStarted
    var queue = CircularBuffer<Item>()
    /// Workers asleep, the most recently parked last (woken first: its stack is warm).
    var parked: [PoolWorker] = []
    /// Workers a submit woke that have not looked at the queue yet.
    var waking = 0
    /// Threads started for queued calls that have not looked at the queue yet.
    var starting = 0
    /// Threads started and not yet ended (at most `numberOfThreads`).
    var liveThreads = 0
    /// How often a submit woke a parked thread, and how often a thread parked.
    var handOffs = (wakeUps: 0, parks: 0)

    init(numberOfThreads: Int) {
        self.numberOfThreads = max(1, numberOfThreads)
    }

    /// Takes calls from now on: calls submitted before run now, on a thread started for
    /// them (which calls the next while more wait).
    func start() {
        lock.lock()
        guard state == .notStarted else { return lock.unlock() }
        state = .running
        let helper = chooseHelperLocked()
        lock.unlock()
        call(helper)
    }

    /// Starts one more thread, counted in `liveThreads` and `starting` by the caller. When
    /// the system refuses a thread, the calls wait for the threads there are, or, with
    /// none, are answered on their abandoned path (a 500 for an extension).
    private func startWorker() {
        guard !PoolWorker(pool: self).start() else { return }
        lock.lock()
        liveThreads -= 1
        starting -= 1
        var stranded = CircularBuffer<Item>()
        if liveThreads == 0 { swap(&stranded, &queue) }
        if liveThreads == 0 && state == .stopping { lock.broadcast() }
        lock.unlock()
        for item in stranded { Self.run(item, .abandoned) }
    }

    /// Queues `work` for a pool thread. `figures` (when given) counts it as queued, then
    /// busy. A pool that is stopping runs `work(.abandoned)` at once on the calling thread.
    func submit(figures: PoolFigures? = nil, _ work: @escaping Work) {
        figures?.submitted()
        lock.lock()
        guard state != .stopping else {
            lock.unlock()
            return Self.run(Item(work: work, figures: figures), .abandoned)
        }
        queue.append(Item(work: work, figures: figures))
        let helper = chooseHelperLocked()
        lock.unlock()
        call(helper)
    }

    /// Who else looks at the queue.
    enum Helper {
        /// A parked worker, chosen and counted in `waking`: signal it.
        case wake(PoolWorker)
        /// A new thread, counted in `liveThreads` and `starting`: start it.
        case start
    }

    /// With `lock` held: when calls are queued and no worker is on its way to them (woken
    /// or starting), chooses one, the most recently parked (its stack is warm) or a new
    /// thread within `numberOfThreads`. Nil when one is on its way already, the queue is
    /// empty, or every thread is busy (a busy one takes the calls when it finishes).
    func chooseHelperLocked() -> Helper? {
        guard state == .running, !queue.isEmpty, waking + starting == 0 else { return nil }
        if let worker = parked.popLast() {
            worker.state = .woken
            waking += 1
            handOffs.wakeUps += 1
            return .wake(worker)
        }
        guard liveThreads < numberOfThreads else { return nil }
        liveThreads += 1
        starting += 1
        return .start
    }

    /// Wakes or starts the helper chosen (after the unlock: a woken thread does not wake
    /// into a held lock).
    func call(_ helper: Helper?) {
        switch helper {
        case .wake(let worker): worker.wake.signal()
        case .start: startWorker()
        case nil: break
        }
    }

    /// Runs one call with its figures.
    static func run(_ item: Item, _ run: Run) {
        item.figures?.started()
        item.work(run)
        item.figures?.finished()
    }

    /// Stops taking calls: the queued ones run abandoned (on the calling thread, now),
    /// parked threads end, busy ones end when their call returns.
    func beginShutdown() {
        lock.lock()
        guard state != .stopping else { return lock.unlock() }
        state = .stopping
        let abandoned = queue
        queue.removeAll()
        let sleepers = parked
        parked.removeAll()
        for worker in sleepers { worker.state = .woken }
        waking += sleepers.count
        lock.unlock()
        for worker in sleepers { worker.wake.signal() }
        for item in abandoned { Self.run(item, .abandoned) }
    }

    /// Stops (`beginShutdown`) and waits for the threads until `deadline`; false when
    /// some are still inside a call then.
    @discardableResult
    func shutDown(deadline: NIODeadline) -> Bool {
        beginShutdown()
        lock.lock()
        defer { lock.unlock() }
        while liveThreads > 0 {
            if !lock.wait(untilMonotonic: deadline.uptimeNanoseconds), liveThreads > 0 { return false }
        }
        return true
    }

    /// Threads not yet ended (for tests and the stop).
    var threadsAlive: Int { lock.withLock { liveThreads } }

    /// How often a submit woke a parked thread, and how often a thread parked (tests).
    var handOffCounts: (wakeUps: Int, parks: Int) { lock.withLock { handOffs } }

    /// Calls waiting for a thread.
    var queuedCount: Int { lock.withLock { queue.count } }
}

extension ExtensionPool {
    /// The return queue (`LoopReturns`) of `eventLoop`: how this pool's calls hand
    /// their results back to it, in batches.
    func returns(for eventLoop: any EventLoop) -> LoopReturns { loopReturns.returns(for: eventLoop) }
}
