/// A value guarded by a `ConditionLock`: the extension registry's and a filter's call
/// table. Waiting (`wait(until:)`) releases the lock, so no thread holds it while it
/// waits for another's load or unload.
///
/// `@unchecked Sendable`: `state` is only read or written with the lock held.
final class LockedState<State>: @unchecked Sendable {
    private let lock = ConditionLock()
    private var state: State

    init(_ initial: State) {
        state = initial
    }

    /// Runs `body` with the lock held.
    func withLock<R>(_ body: (inout State) throws -> R) rethrows -> R {
        try lock.withLock { try body(&state) }
    }

    /// Runs `body` with the lock held until it returns non-nil, waiting for a
    /// `broadcast()` (with the lock released) after each nil.
    func wait<R>(until body: (inout State) -> R?) -> R {
        lock.lock()
        defer { lock.unlock() }
        while true {
            if let result = body(&state) { return result }
            lock.wait()
        }
    }

    /// Wakes every waiter so it re-examines the state.
    func broadcast() {
        lock.broadcast()
    }
}
