import CCrashBoard
import Glibc

/// The figures that survive a serving child's crash and a reload (Apache keeps them in
/// its scoreboard): request totals, the parent's start, the restart time, the
/// generation, child restarts with their causes. They sit in the crash board's shared
/// region (see `figures.h`); without a board, in this process's memory.
public enum SharedFigures {
    /// Total requests, bytes sent and time spent in them, since the parent started.
    public struct RequestTotals: Sendable, Equatable {
        public let accesses: UInt64
        public let bytes: UInt64
        public let durationMicroseconds: UInt64

        public init(accesses: UInt64, bytes: UInt64, durationMicroseconds: UInt64) {
            self.accesses = accesses
            self.bytes = bytes
            self.durationMicroseconds = durationMicroseconds
        }
    }

    /// Why the parent started a new serving child.
    public struct Restart: Sendable, Equatable {
        public let timeMicroseconds: Int64
        /// The signal the child died of, nil when it exited.
        public let signal: Int32?
        public let cause: String
        /// The extension the crash was in, nil when none was named.
        public let extensionPath: String?

        public init(timeMicroseconds: Int64, signal: Int32?, cause: String, extensionPath: String?) {
            self.timeMicroseconds = timeMicroseconds
            self.signal = signal
            self.cause = cause
            self.extensionPath = extensionPath
        }
    }

    /// The parent (or `-X`) starts: every figure zero, uptime counted from now.
    public static func start() { isapid_figures_start(nowMicroseconds()) }

    /// A request ended: one relaxed add per figure on the calling thread's own slot.
    @inline(__always)
    public static func requestDone(bytes: UInt64, durationMicroseconds: UInt64) {
        isapid_figures_request_done(bytes, durationMicroseconds)
    }

    public static var requestTotals: RequestTotals {
        let totals = isapid_figures_request_totals()
        return RequestTotals(accesses: totals.accesses, bytes: totals.bytes, durationMicroseconds: totals.duration_us)
    }

    /// A reload: Apache's generation goes up; a restart (SIGHUP, not graceful) also moves
    /// the restart time and starts the request totals again, as Apache's scoreboard does.
    public static func generationMoved(resettingTotals: Bool) {
        isapid_figures_generation_moved(nowMicroseconds(), resettingTotals ? 1 : 0)
    }

    public static var parentStartMicroseconds: Int64 { isapid_figures_parent_start_usec() }
    public static var restartMicroseconds: Int64 { isapid_figures_restart_usec() }
    public static var generation: UInt32 { UInt32(isapid_figures_generation()) }
    public static var childRestarts: UInt32 { UInt32(isapid_figures_child_restarts()) }

    /// The parent starts a new child: why, and which extension crashed it.
    public static func noteRestart(signal: Int32?, cause: String, extensionPath: String?) {
        isapid_figures_note_restart(nowMicroseconds(), signal ?? 0, cause, extensionPath ?? "")
    }

    /// The last restarts (at most 8), newest first.
    public static var recentRestarts: [Restart] {
        var cause = [CChar](repeating: 0, count: 1024)
        var path = [CChar](repeating: 0, count: 512)
        var restarts: [Restart] = []
        for age in 0..<isapid_figures_restart_record_count() {
            var time: Int64 = 0
            var signal: Int32 = 0
            guard
                isapid_figures_read_restart_record(Int32(age), &time, &signal, &cause, cause.count, &path, path.count)
                    != 0
            else { break }
            let extensionPath = text(path)
            restarts.append(
                Restart(
                    timeMicroseconds: time, signal: signal == 0 ? nil : signal, cause: text(cause),
                    extensionPath: extensionPath.isEmpty ? nil : extensionPath))
        }
        return restarts
    }

    /// Crashes per extension path since the parent started (32 extensions at most).
    public static var crashesByExtension: [String: UInt32] {
        var path = [CChar](repeating: 0, count: 512)
        var crashes: [String: UInt32] = [:]
        for index in 0..<isapid_figures_crash_counter_count() {
            let count = isapid_figures_read_crash_counter(index, &path, path.count)
            if count > 0 { crashes[text(path), default: 0] += UInt32(count) }
        }
        return crashes
    }

    /// CLOCK_REALTIME in microseconds.
    public static func nowMicroseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1000
    }

    private static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map(UInt8.init(bitPattern:)), as: UTF8.self)
    }
}
