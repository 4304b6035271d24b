import Foundation
import Synchronization

/// One extension's figures in this child: calls, errors (HSE_STATUS_ERROR, an
/// unrecognised result, a load failure or a 500), calls in flight, and the time spent
/// inside it (a fixed-bucket histogram: p50/p99 are bucket bounds). Its crashes are
/// counted by the parent, in `SharedFigures.crashesByExtension`.
public final class ExtensionFigures: Sendable {
    public static let bounds: [Double] = [
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
    ]

    public let path: String
    public let calls = Atomic<Int>(0)
    public let errors = Atomic<Int>(0)
    public let inFlight = Atomic<Int>(0)
    public let time = FixedHistogram(boundsSeconds: ExtensionFigures.bounds)

    init(path: String) { self.path = path }

    /// How a call ended, for the error count.
    public enum Outcome: Sendable {
        case succeeded
        case failed
    }

    /// Runs `body` (one call into the extension) and counts it.
    @inline(__always)
    public func measure(_ body: () -> Outcome) {
        calls.add(1, ordering: .relaxed)
        inFlight.add(1, ordering: .relaxed)
        let start = ContinuousClock.now
        let outcome = body()
        let elapsed = ContinuousClock.now - start
        inFlight.subtract(1, ordering: .relaxed)
        time.record(
            microseconds: elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000)
        if case .failed = outcome { errors.add(1, ordering: .relaxed) }
    }
}

/// The extensions called in this child, by path.
///
/// Every extension call looks its figures up here, from whichever pool thread runs it:
/// the table is under an `NSLock` (a plain `pthread_mutex_t`), not a
/// `Synchronization.Mutex`. On Linux the latter spins before it sleeps and hands the
/// lock to the waiter it wakes (a priority-inheritance futex): with more pool threads
/// than cores, one thread preempted while holding it started a convoy in which every
/// later call spun, slept and switched threads (~13 % of a busy core in S5, perf).
public final class ExtensionFiguresTable: @unchecked Sendable {
    private let lock = NSLock()
    /// Guarded by `lock`.
    private var table: [String: ExtensionFigures] = [:]

    public init() {}

    /// The figures of the extension at `path`, made on its first call.
    public func figures(for path: String) -> ExtensionFigures {
        lock.withLock {
            if let figures = table[path] { return figures }
            let figures = ExtensionFigures(path: path)
            table[path] = figures
            return figures
        }
    }

    /// Every extension called so far, by path.
    public var all: [ExtensionFigures] { lock.withLock { table.values.sorted { $0.path < $1.path } } }
}
