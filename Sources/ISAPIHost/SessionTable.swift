import Foundation

/// Maps the ConnIDs handed to extensions to their live sessions. A ConnID is an opaque
/// token, never a pointer the host dereferences, so an unknown or stale one (a call
/// after the request ended) is refused with ERROR_INVALID_PARAMETER, never a crash.
enum SessionTable {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var sessions: [UInt: ExtensionSession] = [:]
    nonisolated(unsafe) private static var nextID: UInt = 0x1000

    static func register(_ session: ExtensionSession) -> UInt {
        lock.lock()
        defer { lock.unlock() }
        nextID &+= 1
        sessions[nextID] = session
        return nextID
    }

    static func remove(_ id: UInt) {
        lock.lock()
        sessions[id] = nil
        lock.unlock()
    }

    static func session(_ connID: UnsafeMutableRawPointer?) -> ExtensionSession? {
        guard let connID else { return nil }
        lock.lock()
        defer { lock.unlock() }
        return sessions[UInt(bitPattern: connID)]
    }
}
