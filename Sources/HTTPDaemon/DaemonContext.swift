import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RequestPipeline

/// What every connection shares with the daemon: the configuration generation in
/// force, the open connections, and whether a stop has begun.
final class DaemonContext: Sendable {
    private let state: NIOLockedValueBox<ServingState>
    private let shuttingDown = NIOLockedValueBox(false)
    private let connections = NIOLockedValueBox<[ObjectIdentifier: Channel]>([:])
    /// The ThreadsPerChild threads that run blocking handlers (extensions); nil where
    /// nothing may block (channel tests).
    let threadPool: ExtensionPool?

    init(state: ServingState, threadPool: ExtensionPool? = nil) {
        self.state = NIOLockedValueBox(state)
        self.threadPool = threadPool
    }

    /// The newest valid configuration; a request keeps the one it started with.
    var currentState: ServingState { state.withLockedValue { $0 } }

    func swap(_ newState: ServingState) { state.withLockedValue { $0 = newState } }

    var isShuttingDown: Bool { shuttingDown.withLockedValue { $0 } }

    func beginShutdown() { shuttingDown.withLockedValue { $0 = true } }

    /// Registers a new connection; false when MaxConnections are already open.
    func register(_ channel: Channel, limit: Int) -> Bool {
        let added = connections.withLockedValue { open -> Bool in
            guard open.count < limit else { return false }
            open[ObjectIdentifier(channel)] = channel
            return true
        }
        if added {
            channel.closeFuture.whenComplete { [self] _ in
                _ = connections.withLockedValue { $0.removeValue(forKey: ObjectIdentifier(channel)) }
            }
        }
        return added
    }

    var openConnections: [Channel] { connections.withLockedValue { Array($0.values) } }

    /// `Date` header text, recomputed at most once a second per thread.
    func dateHeader() -> String {
        let now = Int64(time(nil))
        let cache = DateHeaderCache.current
        if cache.second != now {
            cache.second = now
            cache.text = HTTPDate.format(now)
        }
        return cache.text
    }
}

/// Per-thread cache for the Date header: event-loop threads never share it.
private final class DateHeaderCache {
    var second: Int64 = -1
    var text = ""

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { pointer in
            if let pointer { Unmanaged<DateHeaderCache>.fromOpaque(pointer).release() }
        }
        return key
    }()

    static var current: DateHeaderCache {
        if let existing = pthread_getspecific(key) {
            return Unmanaged<DateHeaderCache>.fromOpaque(existing).takeUnretainedValue()
        }
        let cache = DateHeaderCache()
        pthread_setspecific(key, Unmanaged.passRetained(cache).toOpaque())
        return cache
    }
}
