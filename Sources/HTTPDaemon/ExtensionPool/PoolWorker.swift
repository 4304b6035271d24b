import Dispatch
import ISAPIHost
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One thread of the `ExtensionPool`: it takes queued calls while there are any and
/// parks, on a semaphore of its own, only when the queue is empty. A semaphore, not a
/// condition under the pool's mutex: glibc re-takes the mutex after a condition wait in
/// its contended mode, so the woken thread's next unlock would cost one more futex call.
final class PoolWorker: @unchecked Sendable {
    /// What the worker is doing; guarded by the pool's lock.
    enum State: Equatable {
        /// Taking and running calls.
        case running
        /// Asleep in `pool.parked`, waiting for a submit (or the stop) to choose it.
        case parked
        /// Chosen and signalled; it has not looked at the queue yet (`pool.waking` counts it).
        case woken
    }

    /// Strong: a running thread keeps its pool; the stop ends the threads, which ends the cycle.
    let pool: ExtensionPool
    var state = State.running
    /// Signalled once for each time the worker is chosen (it remembers a signal that
    /// comes before the wait: the chooser signals after releasing the pool's lock).
    let wake = DispatchSemaphore(value: 0)

    init(pool: ExtensionPool) {
        self.pool = pool
    }

    /// Starts the thread (default attributes: the stack size the system gives threads,
    /// as NIOThreadPool's threads had); false when the system refuses one.
    func start() -> Bool {
        let box = Unmanaged.passRetained(self).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { argument in
            let worker = Unmanaged<PoolWorker>.fromOpaque(argument!).takeRetainedValue()
            worker.run()
            return nil
        }, box)
        guard result == 0 else {
            Unmanaged<PoolWorker>.fromOpaque(box).release()
            return false
        }
        pthread_detach(thread)
        return true
    }

    /// Linux's SCHED_BATCH (<linux/sched.h>; Glibc declares it only under _GNU_SOURCE,
    /// which Swift's Glibc module does not define).
    private static let schedBatch: Int32 = 3

    /// Puts the calling pool thread under SCHED_BATCH: the same share of the CPU as any
    /// thread (nice 0), but its wake-up does not preempt the thread that woke it. An event
    /// loop that submits a call then finishes its turn (reads and submits the other
    /// connections' requests, writes the answers returned) before the call runs, instead
    /// of giving up its core at every submit and getting it back at every return: two
    /// context switches a call on a busy core, measured, where a turn's calls now share
    /// them. On an idle core the thread runs at once as before. Threads an extension
    /// starts inherit the policy, with the same share of the CPU. Best effort: where the
    /// policy is refused (a container's seccomp filter), the pool works as it did.
    private static func yieldToEventLoopsOnWakeUp() {
        #if os(Linux)
        var parameters = sched_param(sched_priority: 0)
        _ = sched_setscheduler(0, schedBatch, &parameters)
        #endif
    }

    private func run() {
        Self.yieldToEventLoopsOnWakeUp()
        let pool = self.pool
        pool.lock.lock()
        // Started for a queued call (`pool.starting` counted it): it looks at the queue now.
        pool.starting -= 1
        while true {
            if let item = pool.queue.popFirst() {
                // Work is queued: take it without parking, however many wait; when more
                // wait, the next worker is called to them (at most one on its way).
                let helper = pool.chooseHelperLocked()
                pool.lock.unlock()
                pool.call(helper)
                ExtensionPool.run(item, .active)
                pool.lock.lock()
                continue
            }
            guard pool.state == .running else { break }
            state = .parked
            pool.parked.append(self)
            pool.handOffs.parks += 1
            pool.lock.unlock()
            wake.wait()
            pool.lock.lock()
            // A submit (or the stop) chose this worker and counted it in `waking`.
            pool.waking -= 1
            state = .running
        }
        pool.liveThreads -= 1
        if pool.liveThreads == 0 { pool.lock.broadcast() }
        pool.lock.unlock()
    }
}
