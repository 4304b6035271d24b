import Foundation

/// HSE_REQ_DONE_WITH_SESSION's signal for a request whose extension returned
/// HSE_STATUS_PENDING (ISAPIFakeAsync), with a deadline that moves: the host gives up on
/// the request once the extension has made no callback for the whole timeout. An
/// extension that keeps writing from its own thread may take as long as it needs; one
/// that never calls DONE_WITH_SESSION gets its pool thread taken back (mod_isapi waits
/// forever, spec §4 item 9).
final class PendingCompletion: @unchecked Sendable {
    // `signalled` and `lastActivity` are guarded by `condition`.
    private let condition = NSCondition()
    private var signalled = false
    private var lastActivity = DispatchTime.now()

    /// The one a session without ISAPIFakeAsync holds: never signalled nor waited on.
    static let unused = PendingCompletion()

    /// DONE_WITH_SESSION: ends the wait, also when it comes before the wait starts.
    func signal() {
        condition.lock()
        signalled = true
        condition.broadcast()
        condition.unlock()
    }

    /// A callback from the extension: its silence starts again.
    func noteActivity() {
        condition.lock()
        lastActivity = .now()
        condition.unlock()
    }

    /// Waits for `signal()` until the extension has been silent (no callback) for as long
    /// as `timeout` is from now; the silence is counted from the later of the last
    /// callback and the start of the wait.
    func wait(timeout: DispatchTime) -> DispatchTimeoutResult {
        let start = DispatchTime.now()
        let allowed = timeout > start ? timeout.uptimeNanoseconds - start.uptimeNanoseconds : 0
        condition.lock()
        defer { condition.unlock() }
        if lastActivity < start { lastActivity = start }
        while !signalled {
            let (deadline, overflow) = lastActivity.uptimeNanoseconds.addingReportingOverflow(allowed)
            let now = DispatchTime.now().uptimeNanoseconds
            if !overflow && now >= deadline { return .timedOut }
            let seconds = overflow ? 86_400.0 : Double(deadline - now) / 1e9
            _ = condition.wait(until: Date(timeIntervalSinceNow: seconds))
        }
        return .success
    }
}
