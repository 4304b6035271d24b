import Foundation

/// Appends lines to a log file from one background queue, so that no event loop ever
/// waits for a disk. `reopen()` (on reload) starts a new file descriptor for the same
/// path, which is what log rotation needs.
final class LogFileWriter: @unchecked Sendable {
    // Mutable state is touched only on `queue`.
    let path: String?
    private let queue: DispatchQueue
    private var descriptor: Int32

    /// A writer to a file, or to standard error when `path` is nil.
    init(path: String?) throws {
        self.path = path
        self.queue = DispatchQueue(label: "isapid.log.\(path ?? "stderr")")
        self.descriptor = path == nil ? STDERR_FILENO : -1
        if let path { descriptor = try Self.open(path) }
    }

    deinit {
        if descriptor > STDERR_FILENO { close(descriptor) }
    }

    /// Queues a line; a newline is added.
    func write(_ line: String) {
        let bytes = Array(line.utf8) + [UInt8(ascii: "\n")]
        queue.async { [self] in
            var offset = 0
            while offset < bytes.count {
                let written = bytes[offset...].withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
                if written < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += written
            }
        }
    }

    func reopen() {
        guard let path else { return }
        queue.async { [self] in
            guard let fresh = try? Self.open(path) else { return }
            close(descriptor)
            descriptor = fresh
        }
    }

    /// Makes `target` (standard error) a duplicate of this file's descriptor, after every
    /// line and reopen queued before; returns `errno` when `dup2` fails. The duplicate
    /// shares the open file (and its O_APPEND) and is inherited by child processes.
    func duplicateDescriptor(onto target: Int32) -> Int32? {
        queue.sync {
            while dup2(descriptor, target) < 0 {
                if errno != EINTR { return errno }
            }
            return nil
        }
    }

    /// Waits until every queued line is written (at shutdown).
    func flush() { queue.sync {} }

    private static func open(_ path: String) throws -> Int32 {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        let fd = Foundation.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw LogFileError(path: path, reason: String(cString: strerror(errno)))
        }
        return fd
    }
}

struct LogFileError: Error, CustomStringConvertible {
    let path: String
    let reason: String
    var description: String { "could not open log file \(path): \(reason)" }
}
