import Foundation
import Synchronization

/// The deadline of held writes: every `interval` it hands what the live sessions hold
/// (`SessionOutput`) to their connections, so that an extension that writes a little
/// and then sleeps or computes (a progress page, a streamed log) still gets its bytes
/// out, and the connection's Timeout sees it alive. One thread for the process; it runs
/// while extension calls do, and sleeps after a second without any.
enum OutputFlusher {
    /// How long a small write may wait for more: well below what a person notices.
    static let interval: useconds_t = 10_000
    /// Empty rounds before the thread sleeps (one second).
    static let idleRoundsBeforeSleep = 100

    /// What the thread does.
    private enum State {
        case notStarted
        /// Looking at the sessions every `interval`.
        case ticking
        /// No session for a while: waiting for `sessionStarted`.
        case sleeping
    }

    private static let condition = NSCondition()
    // Guarded by `condition`; `ticking` mirrors `state == .ticking` for a lock-free check.
    nonisolated(unsafe) private static var state = State.notStarted
    private static let ticking = Atomic<Bool>(false)

    /// A session was registered: makes sure the thread is ticking. One atomic load on
    /// the request path while it is.
    static func sessionStarted() {
        if ticking.load(ordering: .sequentiallyConsistent) { return }
        condition.lock()
        defer { condition.unlock() }
        switch state {
        case .ticking:
            return
        case .notStarted:
            let thread = Thread { run() }
            thread.name = "isapi-flush"
            thread.start()
        case .sleeping:
            condition.signal()
        }
        state = .ticking
        ticking.store(true, ordering: .sequentiallyConsistent)
    }

    private static func run() {
        var idleRounds = 0
        while true {
            condition.lock()
            while state != .ticking { condition.wait() }
            condition.unlock()
            usleep(interval)
            let sessions = SessionTable.liveSessions()
            for session in sessions { session.handOverHeldOnTimer() }
            idleRounds = sessions.isEmpty ? idleRounds + 1 : 0
            if idleRounds >= idleRoundsBeforeSleep {
                idleRounds = 0
                condition.lock()
                state = .sleeping
                ticking.store(false, ordering: .sequentiallyConsistent)
                // A session registered just before the store saw `ticking` still true.
                if !SessionTable.liveSessions().isEmpty {
                    state = .ticking
                    ticking.store(true, ordering: .sequentiallyConsistent)
                }
                condition.unlock()
            }
        }
    }
}
