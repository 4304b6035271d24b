import Synchronization

/// Maps the ConnIDs handed to extensions to their live sessions. A ConnID is an opaque
/// token, never a pointer the host dereferences, so an unknown or stale one (a call
/// after the request ended) is refused with ERROR_INVALID_PARAMETER, never a crash.
///
/// Every ECB callback looks its ConnID up, so the table is split into shards by ConnID,
/// each with its own lock: concurrent requests do not wait for one another here.
enum SessionTable {
    /// A `Mutex`, not an `NSLock`: every extension call takes one three times or more
    /// (register, each ServerSupportFunction's look-up, remove), ~100 instructions less each.
    private final class Shard: Sendable {
        let sessions = Mutex<[UInt: ExtensionSession]>([:])
        /// `sessions.count`, stored under the lock after each change and read without it
        /// by the flush timer: an empty shard costs it one load, not a lock and a copy.
        let count = Atomic<Int>(0)
    }

    private static let shardCount: UInt = 64
    private static let shards = (0..<shardCount).map { _ in Shard() }
    private static let nextID = Atomic<UInt>(0x1000)

    private static func shard(_ id: UInt) -> Shard { shards[Int(id % shardCount)] }

    static func register(_ session: ExtensionSession) -> UInt {
        let id = nextID.add(1, ordering: .relaxed).newValue
        let shard = shard(id)
        shard.sessions.withLock { sessions in
            sessions[id] = session
            shard.count.store(sessions.count, ordering: .sequentiallyConsistent)
        }
        OutputFlusher.sessionStarted()
        return id
    }

    /// Every live session (for the flush timer).
    static func liveSessions() -> [ExtensionSession] {
        var live: [ExtensionSession] = []
        for shard in shards where shard.count.load(ordering: .sequentiallyConsistent) > 0 {
            live.append(contentsOf: shard.sessions.withLock { Array($0.values) })
        }
        return live
    }

    static func remove(_ id: UInt) {
        let shard = shard(id)
        shard.sessions.withLock { sessions in
            sessions[id] = nil
            shard.count.store(sessions.count, ordering: .sequentiallyConsistent)
        }
    }

    static func session(_ connID: UnsafeMutableRawPointer?) -> ExtensionSession? {
        guard let connID else { return nil }
        let id = UInt(bitPattern: connID)
        return shard(id).sessions.withLock { $0[id] }
    }
}
