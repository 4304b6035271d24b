import Foundation
import NIOCore

/// The per-loop pools of an `UpstreamClient`, found by the loop's identity under a lock
/// (taken once per exchange; the pools themselves are used only on their loops).
final class NIOLockedPools: @unchecked Sendable {
    // `pools` is guarded by `lock`.
    private let lock = NSLock()
    private var pools: [ObjectIdentifier: UpstreamPool] = [:]

    func pool(for eventLoop: any EventLoop, make: () -> UpstreamPool) -> UpstreamPool {
        lock.withLock {
            let key = ObjectIdentifier(eventLoop as AnyObject)
            if let pool = pools[key] { return pool }
            let pool = make()
            pools[key] = pool
            return pool
        }
    }

    var all: [UpstreamPool] { lock.withLock { Array(pools.values) } }
}
