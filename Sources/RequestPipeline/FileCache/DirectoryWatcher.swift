import Foundation

/// One inotify instance watching directories: the file cache's source of change events.
///
/// Watching a directory reports changes to the directory itself and to every entry in
/// it (content written, attributes changed, created, deleted, renamed in or out), which
/// is what a cached `stat`, a cached file content or a cached absence can go stale by.
/// `waitForChanges` blocks, so it runs on a thread of its own (the daemon starts one);
/// `stop` wakes it through a pipe. Linux only: elsewhere `isAvailable` is false and the
/// cache relies on its time bound (`FileCacheValid`) alone.
final class DirectoryWatcher: @unchecked Sendable {
    /// What a change event says: something named `name` in `directory` changed (`name`
    /// empty when the directory itself did), or the kernel dropped events (`overflow`).
    enum Change: Equatable {
        case entry(directory: String, name: String)
        case overflow
    }

    /// Whether a directory could be watched.
    enum WatchResult {
        case watching
        /// No such directory (or not a directory): watch a parent instead.
        case notADirectory
        /// The kernel refused (no inotify, the watch limit reached): rely on the time bound.
        case refused
    }

    private static let mask: UInt32 = UInt32(IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO
        | IN_CREATE | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF)

    private let descriptor: CInt
    // [read end, write end] of the pipe that `stop` writes to.
    private var stopPipe: [CInt] = [-1, -1]
    // Both guarded by `lock`: the request path adds watches, the watcher thread reads events.
    private let lock = NSLock()
    private var directoriesByWatch: [CInt: String] = [:]
    private var watchedDirectories: Set<String> = []

    init() {
        descriptor = inotify_init1(CInt(IN_CLOEXEC))
        if descriptor >= 0 { _ = pipe(&stopPipe) }
    }

    deinit {
        for fd in [descriptor] + stopPipe where fd >= 0 { close(fd) }
    }

    var isAvailable: Bool { descriptor >= 0 && stopPipe[0] >= 0 }

    /// Starts watching `directory` (no trailing slash, except for `/`); a directory
    /// already watched costs no system call.
    func watch(_ directory: String) -> WatchResult {
        guard isAvailable else { return .refused }
        return lock.withLock {
            if watchedDirectories.contains(directory) { return .watching }
            let watch = inotify_add_watch(descriptor, directory, Self.mask | UInt32(IN_ONLYDIR))
            guard watch >= 0 else {
                return errno == ENOENT || errno == ENOTDIR || errno == EACCES ? .notADirectory : .refused
            }
            directoriesByWatch[watch] = directory
            watchedDirectories.insert(directory)
            return .watching
        }
    }

    /// Blocks until changes arrive or `stop` is called (then returns nil), or `timeout`
    /// milliseconds pass (then returns an empty list; -1 waits without a limit).
    func waitForChanges(timeout: CInt) -> [Change]? {
        var fds = [pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: stopPipe[0], events: Int16(POLLIN), revents: 0)]
        let ready = poll(&fds, 2, timeout)
        if ready < 0 { return errno == EINTR ? [] : nil }
        if fds[1].revents != 0 { return nil }
        guard fds[0].revents != 0 else { return [] }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard count > 0 else { return count < 0 && (errno == EINTR || errno == EAGAIN) ? [] : nil }
        return lock.withLock { parse(buffer[..<count]) }
    }

    /// Wakes `waitForChanges` for good.
    func stop() {
        guard stopPipe[1] >= 0 else { return }
        var byte: UInt8 = 1
        _ = write(stopPipe[1], &byte, 1)
    }

    /// The events in one read: `struct inotify_event` records (wd, mask, cookie, len,
    /// then `len` bytes of NUL-padded name). Called under the lock.
    private func parse(_ bytes: ArraySlice<UInt8>) -> [Change] {
        var changes: [Change] = []
        let headerSize = MemoryLayout<inotify_event>.size
        var offset = bytes.startIndex
        while offset + headerSize <= bytes.endIndex {
            let event = bytes[offset..<(offset + headerSize)].withUnsafeBytes { $0.loadUnaligned(as: inotify_event.self) }
            let nameStart = offset + headerSize
            let nameEnd = min(nameStart + Int(event.len), bytes.endIndex)
            offset = nameEnd
            if event.mask & UInt32(IN_Q_OVERFLOW) != 0 {
                changes.append(.overflow)
                continue
            }
            guard let directory = directoriesByWatch[event.wd] else { continue }
            if event.mask & UInt32(IN_IGNORED) != 0 {
                // The directory went away (or was unmounted): its watch is gone; watch again when needed.
                directoriesByWatch[event.wd] = nil
                watchedDirectories.remove(directory)
                changes.append(.entry(directory: directory, name: ""))
                continue
            }
            let nameBytes = bytes[nameStart..<nameEnd].prefix { $0 != 0 }
            changes.append(.entry(directory: directory, name: String(decoding: nameBytes, as: UTF8.self)))
        }
        return changes
    }
}
