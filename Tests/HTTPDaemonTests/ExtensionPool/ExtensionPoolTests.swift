import Dispatch
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import Observability
import Testing
@testable import HTTPDaemon

/// The extension pool's hand-off: order, no lost wake-up, the stop, the figures.
@Suite struct ExtensionPoolTests {
    /// Waits for `semaphore` at most ten seconds; false when it timed out.
    private func waited(_ semaphore: DispatchSemaphore) -> Bool {
        semaphore.wait(timeout: .now() + .seconds(10)) == .success
    }

    @Test func oneThreadRunsCallsInTheOrderSubmitted() {
        let pool = ExtensionPool(numberOfThreads: 1)
        let order = NIOLockedValueBox<[Int]>([])
        let done = DispatchSemaphore(value: 0)
        // Submitted before start: they wait, and run in order once it has.
        for index in 0..<200 {
            pool.submit { run in
                order.withLockedValue { $0.append(run == .active ? index : -1) }
                if index == 199 { done.signal() }
            }
        }
        pool.start()
        #expect(waited(done))
        #expect(order.withLockedValue { $0 } == Array(0..<200))
        #expect(pool.shutDown(deadline: .now() + .seconds(10)))
        #expect(pool.threadsAlive == 0)
    }

    /// Many submitters and workers that finish and park all the time: every call runs,
    /// none waits for a wake-up that never comes.
    @Test func noCallIsLostUnderASubmitAndFinishStorm() {
        let pool = ExtensionPool(numberOfThreads: 4)
        pool.start()
        let submitters = 4, perSubmitter = 5_000
        let ran = NIOLockedValueBox(0)
        let all = DispatchSemaphore(value: 0)
        DispatchQueue.concurrentPerform(iterations: submitters) { _ in
            for _ in 0..<perSubmitter {
                pool.submit { _ in
                    let count = ran.withLockedValue { $0 += 1; return $0 }
                    if count == submitters * perSubmitter { all.signal() }
                }
            }
        }
        #expect(waited(all))
        // One call at a time: each submit meets workers just parked or about to park.
        for _ in 0..<2_000 {
            let one = DispatchSemaphore(value: 0)
            pool.submit { _ in one.signal() }
            guard waited(one) else {
                Issue.record("a call submitted to parked workers did not run")
                break
            }
        }
        #expect(pool.shutDown(deadline: .now() + .seconds(10)))
    }

    /// Calls queued while every thread is busy wake nobody; the threads take them one
    /// after the other as they finish, without parking in between.
    @Test func queuedCallsNeitherWakeNorParkAnyone() {
        let threads = 4, queued = 50
        let pool = ExtensionPool(numberOfThreads: threads)
        pool.start()
        let hold = DispatchSemaphore(value: 0)
        let started = DispatchSemaphore(value: 0)
        for _ in 0..<threads {
            pool.submit { _ in
                started.signal()
                _ = hold.wait(timeout: .now() + .seconds(10))
            }
        }
        for _ in 0..<threads { #expect(waited(started)) }
        let before = pool.handOffCounts
        let ran = NIOLockedValueBox(0)
        let done = DispatchSemaphore(value: 0)
        for _ in 0..<queued {
            pool.submit { _ in if ran.withLockedValue({ $0 += 1; return $0 }) == queued { done.signal() } }
        }
        #expect(pool.handOffCounts.wakeUps == before.wakeUps)
        for _ in 0..<threads { hold.signal() }
        #expect(waited(done))
        #expect(pool.shutDown(deadline: .now() + .seconds(10)))
        // Each thread parked at most once more: when the queue ran dry.
        #expect(pool.handOffCounts.parks - before.parks <= threads)
    }

    /// The stop answers each queued call with its abandoned path at once, lets the
    /// running call finish, counts them all out of the figures, and abandons later submits.
    @Test func shutdownAbandonsQueuedCallsAndWaitsForRunningOnes() {
        let pool = ExtensionPool(numberOfThreads: 1)
        pool.start()
        let figures = PoolFigures()
        let hold = DispatchSemaphore(value: 0)
        let started = DispatchSemaphore(value: 0)
        let runs = NIOLockedValueBox<[ExtensionPool.Run]>([])
        pool.submit(figures: figures) { run in
            runs.withLockedValue { $0.append(run) }
            started.signal()
            _ = hold.wait(timeout: .now() + .seconds(10))
        }
        #expect(waited(started))
        for _ in 0..<3 { pool.submit(figures: figures) { run in runs.withLockedValue { $0.append(run) } } }
        #expect(figures.busy.load(ordering: .relaxed) == 1)
        #expect(figures.queued.load(ordering: .relaxed) == 3)
        #expect(pool.queuedCount == 3)

        // A stop whose deadline passes while the call still runs says so.
        #expect(!pool.shutDown(deadline: .now() + .milliseconds(50)))
        #expect(runs.withLockedValue { $0 } == [.active, .abandoned, .abandoned, .abandoned])
        #expect(pool.threadsAlive == 1)

        pool.submit(figures: figures) { run in runs.withLockedValue { $0.append(run) } }
        #expect(runs.withLockedValue { $0.last } == .abandoned)

        hold.signal()
        #expect(pool.shutDown(deadline: .now() + .seconds(10)))
        #expect(pool.threadsAlive == 0)
        #expect(figures.busy.load(ordering: .relaxed) == 0)
        #expect(figures.queued.load(ordering: .relaxed) == 0)
    }

    /// Threads start as calls need them, up to ThreadsPerChild, and are kept: none before
    /// the first call, one per call running at once, never more than the limit.
    @Test func threadsStartAsCallsNeedThemUpToTheLimit() {
        let pool = ExtensionPool(numberOfThreads: 3)
        pool.start()
        #expect(pool.threadsAlive == 0)
        for _ in 0..<20 {
            let one = DispatchSemaphore(value: 0)
            pool.submit { _ in one.signal() }
            #expect(waited(one))
        }
        // Calls one after the other: a call submitted while the thread that ran the last
        // one is still on its way to park may start another, within the limit.
        #expect((1...3).contains(pool.threadsAlive))
        let hold = DispatchSemaphore(value: 0)
        let started = DispatchSemaphore(value: 0)
        let finished = DispatchSemaphore(value: 0)
        for _ in 0..<5 {
            pool.submit { _ in
                started.signal()
                _ = hold.wait(timeout: .now() + .seconds(10))
                finished.signal()
            }
        }
        for _ in 0..<3 { #expect(waited(started)) }
        #expect(pool.threadsAlive == 3)
        #expect(pool.queuedCount == 2)
        for _ in 0..<5 { hold.signal() }
        for _ in 0..<5 { #expect(waited(finished)) }
        #expect(pool.threadsAlive == 3)
        #expect(pool.shutDown(deadline: .now() + .seconds(10)))
        #expect(pool.threadsAlive == 0)
    }

    /// A call queued behind one that blocks runs on another thread at once: the worker
    /// that took the first call (or the submit) called the next one to the queue.
    @Test func aCallQueuedBehindABlockingOneRunsOnAnotherThread() {
        let pool = ExtensionPool(numberOfThreads: 2)
        pool.start()
        let hold = DispatchSemaphore(value: 0)
        let second = DispatchSemaphore(value: 0)
        pool.submit { _ in _ = hold.wait(timeout: .now() + .seconds(10)) }
        pool.submit { _ in second.signal() }
        #expect(waited(second))
        hold.signal()
        #expect(pool.shutDown(deadline: .now() + .seconds(10)))
    }

    #if os(Linux)
    /// Calls run under SCHED_BATCH (3), so that waking a pool thread does not preempt the
    /// event loop that submitted the call (`PoolWorker.yieldToEventLoopsOnWakeUp`).
    @Test func callsRunUnderTheBatchPolicy() {
        let pool = ExtensionPool(numberOfThreads: 1)
        pool.start()
        let policy = NIOLockedValueBox<Int32>(-1)
        let done = DispatchSemaphore(value: 0)
        pool.submit { _ in
            policy.withLockedValue { $0 = sched_getscheduler(0) }
            done.signal()
        }
        #expect(waited(done))
        #expect(policy.withLockedValue { $0 } == 3)
        #expect(pool.shutDown(deadline: .now() + .seconds(10)))
    }
    #endif

    @Test func stopBeforeStartAbandonsWhatWasQueued() {
        let pool = ExtensionPool(numberOfThreads: 2)
        let runs = NIOLockedValueBox<[ExtensionPool.Run]>([])
        pool.submit { run in runs.withLockedValue { $0.append(run) } }
        #expect(pool.shutDown(deadline: .now() + .seconds(1)))
        #expect(runs.withLockedValue { $0 } == [.abandoned])
        pool.start()
        #expect(pool.threadsAlive == 0)
    }
}
