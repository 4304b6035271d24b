#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A pthread mutex and a condition variable under it, in one allocation beside the
/// object: the extension pool's lock (whose stop waits for the last thread with a
/// monotonic deadline), each `BlockingExchange`'s, made and taken per extension call,
/// and `LockedState`'s. Foundation's `NSCondition` made three allocations for the same
/// and locked through dynamic dispatch; ~1k instructions a call more.
///
/// `@unchecked Sendable`: the pthread objects live at fixed heap addresses for the
/// object's life, and pthreads makes them safe to share.
public final class ConditionLock: @unchecked Sendable {
    private let storage: UnsafeMutableRawPointer
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>

    public init() {
        let conditionOffset = MemoryLayout<pthread_mutex_t>.stride
            .roundedUp(to: MemoryLayout<pthread_cond_t>.alignment)
        storage = .allocate(
            byteCount: conditionOffset + MemoryLayout<pthread_cond_t>.size,
            alignment: max(MemoryLayout<pthread_mutex_t>.alignment, MemoryLayout<pthread_cond_t>.alignment))
        mutex = storage.initializeMemory(as: pthread_mutex_t.self, repeating: pthread_mutex_t(), count: 1)
        condition = (storage + conditionOffset).initializeMemory(as: pthread_cond_t.self, repeating: pthread_cond_t(), count: 1)
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        // Timed waits count on the monotonic clock: a wall-clock step cannot stretch them.
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        storage.deallocate()
    }

    @inline(__always) public func lock() { pthread_mutex_lock(mutex) }
    @inline(__always) public func unlock() { pthread_mutex_unlock(mutex) }

    /// `body` with the lock held.
    @inline(__always) public func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock()
        defer { unlock() }
        return try body()
    }

    /// With the lock held: releases it, sleeps until signalled (or spuriously), takes it again.
    public func wait() { pthread_cond_wait(condition, mutex) }

    /// As `wait`, but gives up at `monotonicNanoseconds` (CLOCK_MONOTONIC); false then.
    public func wait(untilMonotonic monotonicNanoseconds: UInt64) -> Bool {
        var deadline = timespec(tv_sec: Int(monotonicNanoseconds / 1_000_000_000),
                                tv_nsec: Int(monotonicNanoseconds % 1_000_000_000))
        return pthread_cond_timedwait(condition, mutex, &deadline) != ETIMEDOUT
    }

    public func signal() { pthread_cond_signal(condition) }
    public func broadcast() { pthread_cond_broadcast(condition) }
}

private extension Int {
    func roundedUp(to alignment: Int) -> Int { (self + alignment - 1) / alignment * alignment }
}
