import Foundation

/// Idle keep-alive connections to upstreams, by lower-cased `host:port`: at most
/// `maxIdlePerUpstream` each. A connection is out of the pool while a request uses it,
/// so each serves one request at a time. The lock guards only the table; sockets are
/// checked and closed outside it.
final class UpstreamPool: @unchecked Sendable {
    // `idle` and `isShutDown` are guarded by `lock`.
    private let lock = NSLock()
    private var idle: [String: [UpstreamConnection]] = [:]
    private var isShutDown = false
    let maxIdlePerUpstream: Int

    init(maxIdlePerUpstream: Int) {
        self.maxIdlePerUpstream = max(0, maxIdlePerUpstream)
    }

    /// The most recently used idle connection to `key` that still looks open, or nil.
    func take(_ key: String) -> UpstreamConnection? {
        while true {
            let connection = lock.withLock { () -> UpstreamConnection? in
                guard var list = idle[key], let last = list.popLast() else { return nil }
                idle[key] = list.isEmpty ? nil : list
                return last
            }
            guard let connection else { return nil }
            if !connection.socket.isStale { return connection }
            connection.close()
        }
    }

    /// Keeps a connection whose response was read in full for the next request, or
    /// closes it when the upstream already has enough idle ones (or the proxy stopped).
    func put(_ connection: UpstreamConnection) {
        let kept = lock.withLock { () -> Bool in
            guard !isShutDown, idle[connection.key, default: []].count < maxIdlePerUpstream else { return false }
            idle[connection.key, default: []].append(connection)
            return true
        }
        if !kept { connection.close() }
    }

    /// How many idle connections the pool holds for `key`.
    func idleCount(_ key: String) -> Int { lock.withLock { idle[key]?.count ?? 0 } }

    /// Closes every idle connection; connections returned later are closed too.
    func shutdown() {
        let all = lock.withLock { () -> [UpstreamConnection] in
            isShutDown = true
            defer { idle = [:] }
            return idle.values.flatMap { $0 }
        }
        for connection in all { connection.close() }
    }
}
