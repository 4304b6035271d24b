#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The extension pool's one mutex: a plain pthread mutex, so that the stop can wait for
/// the last thread on a condition under it (`PoolCondition`) with a monotonic deadline.
final class PoolLock: @unchecked Sendable {
    fileprivate let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    init() {
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    @inline(__always) func lock() { pthread_mutex_lock(mutex) }
    @inline(__always) func unlock() { pthread_mutex_unlock(mutex) }

    /// `body` with the lock held (for reads outside the hand-off, which locks by hand).
    func withLock<T>(_ body: () -> T) -> T {
        lock()
        defer { unlock() }
        return body()
    }
}

/// A condition variable used with a `PoolLock` (held by the waiter).
final class PoolCondition: @unchecked Sendable {
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init() {
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        // Timed waits count on the monotonic clock: a wall-clock step cannot stretch them.
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        condition.initialize(to: pthread_cond_t())
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        condition.deallocate()
    }

    /// Releases `lock`, sleeps until signalled (or spuriously), takes `lock` again.
    func wait(_ lock: PoolLock) { pthread_cond_wait(condition, lock.mutex) }

    /// As `wait`, but gives up at `monotonicNanoseconds` (CLOCK_MONOTONIC); false then.
    func wait(_ lock: PoolLock, untilMonotonic monotonicNanoseconds: UInt64) -> Bool {
        var deadline = timespec(tv_sec: Int(monotonicNanoseconds / 1_000_000_000),
                                tv_nsec: Int(monotonicNanoseconds % 1_000_000_000))
        return pthread_cond_timedwait(condition, lock.mutex, &deadline) != ETIMEDOUT
    }

    func signal() { pthread_cond_signal(condition) }
    func broadcast() { pthread_cond_broadcast(condition) }
}
