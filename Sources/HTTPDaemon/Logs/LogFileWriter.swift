import Foundation
import NIOConcurrencyHelpers
import Observability

/// Appends lines to a log file from one background queue, so that no event loop ever
/// waits for a disk; `reopen()` (on reload) starts a new file descriptor for the same
/// path, which is what log rotation needs.
///
/// The queue is bounded and batched: a line is appended to one pending buffer, and
/// whatever has gathered by the time the queue wakes up goes out in one `write(2)`. At
/// most `Limits.queueBytes` wait (a file on a stuck NFS mount blocks the writer, not the
/// event loops); a line beyond that is dropped, counted, and reported (see `DropReport`).
///
/// `BufferedLogs` decides when the queue wakes up: Off (`.prompt`), as soon as a line is
/// there, so a line reaches the file right after its request; On (`.buffered`), when
/// `Limits.bufferBytes` (Apache's `LOG_BUFSIZE`, 4 KiB) have gathered, or
/// `Limits.bufferMilliseconds` after the first line waiting, and always on `flush()` and
/// `reopen()` (graceful stop, reload, rotation), so nothing is lost but to a crash.
final class LogFileWriter: @unchecked Sendable {
    /// When lines are written: `BufferedLogs Off` and `On`.
    enum Buffering: Sendable, Equatable {
        case prompt, buffered
    }

    /// The documented bounds of one file's queue.
    struct Limits: Sendable {
        /// Bytes that may wait for the file (1 MiB: about 5,000 combined-format lines).
        var queueBytes = 1 << 20
        /// With `BufferedLogs On`, a batch is written when this much has gathered (Apache's LOG_BUFSIZE).
        var bufferBytes = 4096
        /// With `BufferedLogs On`, the longest a line waits for a batch to fill (ms).
        var bufferMilliseconds = 1000
    }

    /// What the writer tells its owner about lines it could not keep.
    enum DropReport: Sendable, Equatable {
        /// The queue is full: lines are dropped from now on (reported once per episode).
        case started(queueBytes: Int)
        /// The file took writes again (or a write failed): this many lines were lost.
        case ended(lines: Int)
    }

    /// Whether a drain of the pending buffer is on its way.
    private enum Drain {
        /// Nothing waits, or what waits has no drain yet.
        case idle
        /// A drain is queued on `queue`.
        case queued
        /// `BufferedLogs On`: a drain runs `bufferMilliseconds` after the first line waiting.
        case timed
    }

    /// What a `write` asks of the queue.
    private enum Wake {
        case none
        /// Drain now (a line waits, BufferedLogs Off; or the buffer is full).
        case now
        /// Drain after `bufferMilliseconds` (the first line waiting, BufferedLogs On).
        case later
    }

    /// Whether lines are being dropped.
    private enum Overflow {
        case none
        case dropping(lines: Int)
    }

    /// What `write` and `drain` share, under `state`'s lock.
    private struct Pending {
        var bytes: [UInt8] = []
        var drain = Drain.idle
        var buffering = Buffering.prompt
        var overflow = Overflow.none
        var droppedTotal = 0
        var report: (@Sendable (DropReport) -> Void)?
    }

    let path: String?
    let limits: Limits
    private let queue: DispatchQueue
    private let state = NIOLockedValueBox(Pending())
    // Touched only on `queue`.
    private var descriptor: Int32
    private var batch: [UInt8] = []
    private var writeCalls = 0

    /// A writer to a file, or to standard error when `path` is nil.
    init(path: String?, limits: Limits = Limits()) throws {
        self.path = path
        self.limits = limits
        self.queue = DispatchQueue(label: "isapid.log.\(path ?? "stderr")")
        self.descriptor = path == nil ? STDERR_FILENO : -1
        if let path { descriptor = try Self.open(path) }
    }

    deinit {
        if descriptor > STDERR_FILENO { Foundation.close(descriptor) }
    }

    /// `BufferedLogs`: changed by each configuration (re)load; lines already waiting go
    /// out promptly when it turns Off.
    func setBuffering(_ buffering: Buffering) {
        let wake = state.withLockedValue { pending in
            pending.buffering = buffering
            guard buffering == .prompt, !pending.bytes.isEmpty, pending.drain != .queued else { return false }
            pending.drain = .queued
            return true
        }
        if wake { queue.async { self.drain() } }
    }

    /// Who hears about dropped lines (nil: nobody; they are still counted).
    func reportDrops(to report: (@Sendable (DropReport) -> Void)?) {
        state.withLockedValue { $0.report = report }
    }

    /// Lines dropped since the start because the queue was full or a write failed.
    var droppedLines: Int { state.withLockedValue { $0.droppedTotal } }

    /// Queues a line; a newline is added.
    func write(_ line: String) {
        var started: (@Sendable (DropReport) -> Void)?
        let wake = state.withLockedValue { pending -> Wake in
            let size = line.utf8.count + 1
            guard pending.bytes.count + size <= limits.queueBytes else {
                pending.droppedTotal += 1
                ServerFigures.shared.logLinesDropped.add(1, ordering: .relaxed)
                if case .dropping(let lines) = pending.overflow {
                    pending.overflow = .dropping(lines: lines + 1)
                } else {
                    pending.overflow = .dropping(lines: 1)
                    started = pending.report
                }
                return .none
            }
            pending.bytes.append(contentsOf: line.utf8)
            pending.bytes.append(UInt8(ascii: "\n"))
            switch (pending.drain, pending.buffering) {
            case (.queued, _):
                return .none
            case (_, .buffered) where pending.bytes.count < limits.bufferBytes:
                guard pending.drain == .idle else { return .none }
                pending.drain = .timed
                return .later
            default:
                pending.drain = .queued
                return .now
            }
        }
        switch wake {
        case .now: queue.async { self.drain() }
        case .later: queue.asyncAfter(deadline: .now() + .milliseconds(limits.bufferMilliseconds)) { self.drain() }
        case .none: break
        }
        started?(.started(queueBytes: limits.queueBytes))
    }

    /// Reopens the file by its path (log rotation). Synchronous, so that every line
    /// queued before the call goes to the old file and every line after it to the new one.
    func reopen() {
        guard let path else { return }
        queue.sync { [self] in
            drain()  // what was queued for the old file goes to it
            guard let fresh = try? Self.open(path) else { return }
            Foundation.close(descriptor)
            descriptor = fresh
        }
    }

    /// Makes `target` (standard error) a duplicate of this file's descriptor, after every
    /// line and reopen queued before; returns `errno` when `dup2` fails. The duplicate
    /// shares the open file (and its O_APPEND) and is inherited by child processes.
    func duplicateDescriptor(onto target: Int32) -> Int32? {
        queue.sync {
            drain()
            while dup2(descriptor, target) < 0 {
                if errno != EINTR { return errno }
            }
            return nil
        }
    }

    /// Writes every line queued so far, buffered or not (graceful stop, child exit).
    func flush() { queue.sync { drain() } }

    /// Closes the file after writing what was queued; later lines fail and are counted as dropped.
    func close() {
        queue.sync {
            drain()
            if descriptor > STDERR_FILENO { Foundation.close(descriptor) }
            descriptor = -1
        }
    }

    /// The `write(2)` calls made so far (tests: one per batch, not per line).
    var writeCallCount: Int { queue.sync { writeCalls } }

    /// Bytes waiting for a drain (tests).
    var queuedBytes: Int { state.withLockedValue { $0.bytes.count } }

    /// On `queue`: takes everything pending and writes it in one `write(2)` (more only
    /// when the kernel takes part of it), then reports the end of a dropping episode.
    private func drain() {
        state.withLockedValue { pending in
            swap(&pending.bytes, &batch)
            pending.drain = .idle
        }
        var offset = 0
        while offset < batch.count {
            let written = batch[offset...].withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
            writeCalls += 1
            if written < 0 {
                if errno == EINTR { continue }
                break
            }
            offset += written
        }
        let lost = offset < batch.count ? batch[offset...].count(where: { $0 == UInt8(ascii: "\n") }) : 0
        // A large batch (a burst, or the queue's bound) is not kept around.
        batch.removeAll(keepingCapacity: batch.capacity <= 4 * limits.bufferBytes)
        var ended: (@Sendable (DropReport) -> Void)?
        let count = state.withLockedValue { pending -> Int in
            pending.droppedTotal += lost
            if lost > 0 { ServerFigures.shared.logLinesDropped.add(lost, ordering: .relaxed) }
            var dropped = lost
            if case .dropping(let lines) = pending.overflow { dropped += lines }
            pending.overflow = .none
            ended = pending.report
            return dropped
        }
        if count > 0 { ended?(.ended(lines: count)) }
    }

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
