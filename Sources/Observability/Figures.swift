import CrashBoard
import Synchronization

/// The figures server-status and /metrics show: one place, two renderers
/// (`StatusPage`, `MetricsPage`).
///
/// Why a module of its own: both the pipeline (extension calls) and the daemon
/// (connections, requests, the pool) record into it, and both renderers read it; it
/// depends on nothing of either (only `CrashBoard`, whose shared region keeps the
/// figures that must survive a crash), so neither has to know the other.
///
/// Two homes, as Apache's scoreboard and its children's memory:
/// - `SharedFigures` (the crash board's shared region, created by the supervising
///   parent): total accesses, bytes, durations, the parent's start, the restart time and
///   generation, child restarts with their causes, crashes per extension. A child's
///   crash keeps them; the next child goes on counting.
/// - `ServerFigures` (this process): connections by state, the pool, per-extension calls,
///   errors and times, requests by method and status class, the duration histogram,
///   rewrite rule hits, TLS handshakes. They start again at zero in a new child (a
///   Prometheus counter reset, which `rate()` understands).
///
/// The request path pays relaxed atomic adds only: per-thread slots in shared memory,
/// `Atomic` counters here. Locks are taken per connection (its state slot) and per
/// extension call (finding the extension's figures by path), never per plain request.
/// Measured with bench/instructions-per-request.sh (release, keep-alive GET of a small
/// static file, N=1000): 132,169 instructions per request before, 132,052 after: the
/// difference is run-to-run noise; callgrind puts the figures' own functions at about
/// 150 instructions a request.
public final class ServerFigures: Sendable {
    /// The process's figures (the process is one serving child, or `-X`).
    public static let shared = ServerFigures()

    public let connections = ConnectionBoard()
    public let pool = PoolFigures()
    public let extensions = ExtensionFiguresTable()
    public let requests = RequestFigures()
    public let tlsHandshakes = Atomic<Int>(0)
    /// Log lines dropped because a log file's bounded queue was full or a write failed.
    public let logLinesDropped = Atomic<Int>(0)
    /// A graceful stop has begun (Apache's `Stopping`).
    public let stopping = Atomic<Bool>(false)

    public init() {}
}

/// The `ThreadsPerChild` pool that runs blocking handlers (extensions).
public final class PoolFigures: Sendable {
    /// Handed to the pool, not yet running.
    public let queued = Atomic<Int>(0)
    /// Running on a pool thread.
    public let busy = Atomic<Int>(0)

    public init() {}

    /// A blocking handler was handed to the pool.
    @inline(__always) public func submitted() { queued.add(1, ordering: .relaxed) }
    /// It starts on a pool thread.
    @inline(__always) public func started() {
        queued.subtract(1, ordering: .relaxed)
        busy.add(1, ordering: .relaxed)
    }
    /// It returned.
    @inline(__always) public func finished() { busy.subtract(1, ordering: .relaxed) }
}

/// Requests of this child by method and status class, their durations, bytes read.
public final class RequestFigures: Sendable {
    /// The methods /metrics names; the rest count as `other`.
    public static let methods = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "other"]
    /// 1xx … 5xx, and `other` for a status outside them.
    public static let statusClasses = ["1xx", "2xx", "3xx", "4xx", "5xx", "other"]

    private let counts: [AtomicCount]
    public let durations = FixedHistogram(boundsSeconds: FixedHistogram.requestBounds)
    /// Request body bytes read.
    public let bytesIn = Atomic<Int>(0)

    public init() {
        counts = (0..<(Self.methods.count * Self.statusClasses.count)).map { _ in AtomicCount() }
    }

    /// A request ended: counted here, and (bytes, duration) in the shared totals.
    @inline(__always)
    public func ended(method: String, status: Int, bytesIn: Int64, bytesOut: Int64, durationMicroseconds: Int64) {
        counts[Self.methodIndex(method) * Self.statusClasses.count + Self.classIndex(status)].add(1)
        if bytesIn > 0 { self.bytesIn.add(Int(bytesIn), ordering: .relaxed) }
        durations.record(microseconds: durationMicroseconds)
        SharedFigures.requestDone(
            bytes: UInt64(max(0, bytesOut)), durationMicroseconds: UInt64(max(0, durationMicroseconds)))
    }

    public func count(method: Int, statusClass: Int) -> Int {
        counts[method * Self.statusClasses.count + statusClass].count
    }

    static func methodIndex(_ method: String) -> Int {
        switch method {
        case "GET": return 0
        case "HEAD": return 1
        case "POST": return 2
        case "PUT": return 3
        case "DELETE": return 4
        case "OPTIONS": return 5
        case "PATCH": return 6
        default: return 7
        }
    }

    static func classIndex(_ status: Int) -> Int { (100..<600).contains(status) ? status / 100 - 1 : 5 }
}
