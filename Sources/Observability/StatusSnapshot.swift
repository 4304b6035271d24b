import CrashBoard
import Glibc

/// Everything one server-status or /metrics answer shows, read once: the shared
/// figures, this child's figures, and what only the daemon knows (configuration,
/// pool size, rewrite rule hits). The renderers are pure functions of it, so they are
/// tested with made-up snapshots.
public struct StatusSnapshot: Sendable {
    /// One extension's line in isapid's section.
    public struct ExtensionLine: Sendable, Equatable {
        public var path: String
        /// `ISAPICacheFile`: loaded at start and kept; otherwise loaded per request.
        public var cached: Bool
        public var calls: Int
        public var errors: Int
        public var crashes: Int
        public var inFlight: Int
        /// Time inside HttpExtensionProc (seconds, bucket bounds), nil before the first call.
        public var p50: Double?
        public var p99: Double?

        public init(
            path: String, cached: Bool, calls: Int = 0, errors: Int = 0, crashes: Int = 0, inFlight: Int = 0,
            p50: Double? = nil, p99: Double? = nil
        ) {
            self.path = path
            self.cached = cached
            self.calls = calls
            self.errors = errors
            self.crashes = crashes
            self.inFlight = inFlight
            self.p50 = p50
            self.p99 = p99
        }
    }

    /// What the daemon tells the figures about itself.
    public struct ServerFacts: Sendable {
        public var serverName: String
        public var serverVersion: String
        public var serverBuilt: String
        public var extendedStatus: Bool
        public var threadsPerChild: Int
        public var maxConnections: Int
        public var cachedExtensions: [String]
        public var stopping: Bool
        /// Rewrite rule hits by rule source (file:line).
        public var rewriteHits: [(location: String, hits: Int)]

        public init(
            serverName: String, serverVersion: String, serverBuilt: String, extendedStatus: Bool,
            threadsPerChild: Int, maxConnections: Int, cachedExtensions: [String], stopping: Bool,
            rewriteHits: [(location: String, hits: Int)]
        ) {
            self.serverName = serverName
            self.serverVersion = serverVersion
            self.serverBuilt = serverBuilt
            self.extendedStatus = extendedStatus
            self.threadsPerChild = threadsPerChild
            self.maxConnections = maxConnections
            self.cachedExtensions = cachedExtensions
            self.stopping = stopping
            self.rewriteHits = rewriteHits
        }
    }

    public var facts: ServerFacts
    public var nowMicroseconds: Int64
    public var restartMicroseconds: Int64
    public var parentStartMicroseconds: Int64
    public var generation: UInt32
    public var totals: SharedFigures.RequestTotals
    public var load: (Double, Double, Double)
    /// CPU seconds: user, system, children's user, children's system.
    public var cpu: (Double, Double, Double, Double)
    public var connections: [ConnectionState]
    public var connectionsAccepted: Int
    public var poolBusy: Int
    public var poolQueued: Int
    public var extensions: [ExtensionLine]
    public var childRestarts: UInt32
    public var recentRestarts: [SharedFigures.Restart]
    public var tlsHandshakes: Int
    public var logLinesDropped = 0

    /// Seconds since the restart time (Apache's `Uptime`), at least 0.
    public var uptimeSeconds: Int64 { max(0, (nowMicroseconds - restartMicroseconds) / 1_000_000) }

    /// Reads the figures now.
    public static func take(_ facts: ServerFacts, figures: ServerFigures = .shared) -> StatusSnapshot {
        var loads = [0.0, 0.0, 0.0]
        _ = getloadavg(&loads, 3)
        var times = tms()
        _ = Glibc.times(&times)
        let tick = Double(sysconf(Int32(_SC_CLK_TCK)))
        let crashes = SharedFigures.crashesByExtension
        var lines: [String: ExtensionLine] = [:]
        for path in facts.cachedExtensions { lines[path] = ExtensionLine(path: path, cached: true) }
        for called in figures.extensions.all {
            var line = lines[called.path] ?? ExtensionLine(path: called.path, cached: false)
            line.calls = called.calls.load(ordering: .relaxed)
            line.errors = called.errors.load(ordering: .relaxed)
            line.inFlight = called.inFlight.load(ordering: .relaxed)
            line.p50 = called.time.quantile(0.5)
            line.p99 = called.time.quantile(0.99)
            lines[called.path] = line
        }
        for (path, count) in crashes {
            lines[path, default: ExtensionLine(path: path, cached: facts.cachedExtensions.contains(path))].crashes =
                Int(count)
        }
        return StatusSnapshot(
            facts: facts, nowMicroseconds: SharedFigures.nowMicroseconds(),
            restartMicroseconds: SharedFigures.restartMicroseconds,
            parentStartMicroseconds: SharedFigures.parentStartMicroseconds, generation: SharedFigures.generation,
            totals: SharedFigures.requestTotals, load: (loads[0], loads[1], loads[2]),
            cpu: (
                Double(times.tms_utime) / tick, Double(times.tms_stime) / tick, Double(times.tms_cutime) / tick,
                Double(times.tms_cstime) / tick
            ),
            connections: figures.connections.states,
            connectionsAccepted: figures.connections.accepted.load(ordering: .relaxed),
            poolBusy: max(0, figures.pool.busy.load(ordering: .relaxed)),
            poolQueued: max(0, figures.pool.queued.load(ordering: .relaxed)),
            extensions: lines.values.sorted { $0.path < $1.path },
            childRestarts: SharedFigures.childRestarts, recentRestarts: SharedFigures.recentRestarts,
            tlsHandshakes: figures.tlsHandshakes.load(ordering: .relaxed),
            logLinesDropped: figures.logLinesDropped.load(ordering: .relaxed))
    }

    // MARK: The scoreboard, as Apache counts it

    /// One position per connection slot: the open connections' letters, then `_` for free
    /// slots, MaxConnections positions but no more than `maximumPositions` (Apache's
    /// event MPM shows 400 by default; MaxConnections is 10,000).
    public static let maximumPositions = 400

    public var scoreboard: String {
        let letters = connections.map(\.letter).sorted()
        let positions = max(letters.count, min(facts.maxConnections, Self.maximumPositions))
        return String(letters) + String(repeating: "_", count: positions - letters.count)
    }

    /// Connections being served (reading, answering, logging, closing, finishing); a
    /// keep-alive connection holds nothing, as in Apache's event MPM.
    public var busyWorkers: Int { connections.filter { $0 != .keepAlive && $0 != .gracefullyFinishing }.count }
    public var gracefulWorkers: Int { connections.filter { $0 == .gracefullyFinishing }.count }
    public var idleWorkers: Int { scoreboard.count - connections.count }
    public func count(_ state: ConnectionState) -> Int { connections.filter { $0 == state }.count }
}
