import Foundation
import NIOPosix
import RequestPipeline

/// Appends lines to a log file from its own writer thread, so that no event loop ever
/// waits for a disk; `reopen()` (on reload) starts a new file descriptor for the same
/// path, which is what log rotation needs.
///
/// The queue (``LogFileQueue``) is bounded and batched: a line is formatted straight into
/// one pending buffer, and whatever has gathered by the time the writer thread gets to it
/// goes out in one `write(2)`. At most `Limits.queueBytes` wait (a file on a stuck NFS
/// mount blocks the writer, not the event loops); a line beyond that is dropped, counted,
/// and reported (see `DropReport`).
///
/// `BufferedLogs` decides when the writer writes: Off (`.prompt`), as soon as a line is
/// there, so a line reaches the file right after its request; On (`.buffered`), when
/// `Limits.bufferBytes` (Apache's `LOG_BUFSIZE`, 4 KiB) have gathered, or
/// `Limits.bufferMilliseconds` after the first line waiting, and always on `flush()` and
/// `reopen()` (graceful stop, reload, rotation), so nothing is lost but to a crash.
final class LogFileWriter: Sendable {
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

    let path: String?
    private let queue: LogFileQueue
    /// The end-of-turn task an event loop runs after it appended a batch's first line.
    /// Only one loop at a time has a flush scheduled (the queue's `flushScheduled`), so
    /// one closure, made here, serves every turn of every loop.
    private let flushScheduledBatch: @Sendable () -> Void

    /// A writer to a file, or to standard error when `path` is nil.
    init(path: String?, limits: Limits = Limits()) throws {
        self.path = path
        let queue = LogFileQueue(path: path, descriptor: try path.map(Self.open) ?? STDERR_FILENO, limits: limits)
        self.queue = queue
        flushScheduledBatch = { queue.flushScheduledBatch() }
        queue.start()
    }

    deinit {
        queue.stop()
    }

    /// `BufferedLogs`: changed by each configuration (re)load; lines already waiting go
    /// out promptly when it turns Off.
    func setBuffering(_ buffering: Buffering) { queue.setBuffering(buffering) }

    /// Who hears about dropped lines (nil: nobody; they are still counted).
    func reportDrops(to report: (@Sendable (DropReport) -> Void)?) { queue.reportDrops(to: report) }

    /// Lines dropped since the start because the queue was full or a write failed.
    var droppedLines: Int { queue.droppedLines }

    /// Queues a line; a newline is added.
    func write(_ line: String) { queue.append { $0.append(line) } }

    /// Queues the line `format` appends (without its newline) straight into the queue's
    /// batch: no line of its own is built. `format` runs under the queue's lock, so it
    /// must only append.
    func write(_ format: (inout LogLineWriter) -> Void) { queue.append(format) }

    /// `write(_:)` from an event loop (the access log): the loop that starts a batch
    /// writes it at the end of its turn, so the lines of one turn cost one `write(2)` and
    /// no thread wake-up. A caller that is not an event loop writes the batch it starts
    /// at once, in-line, as Apache's mod_log_config does.
    func writeFromEventLoop(_ format: (inout LogLineWriter) -> Void) {
        guard queue.append(callerFlushes: true, format) else { return }
        // Which loop this is is asked only by the line that starts a batch, not by every
        // line (a thread-local look-up and an existential's reference counts).
        if let loop = MultiThreadedEventLoopGroup.currentEventLoop {
            // The one closure made at start-up: no allocation per turn; and isolated, since
            // this is the loop's own thread: no second asking which thread this is.
            loop.assumeIsolatedUnsafeUnchecked().execute(flushScheduledBatch)
        } else {
            queue.flushScheduledBatch()
        }
    }

    /// An access-log line, `format` applied to `record`, written (as ``writeFromEventLoop(_:)``)
    /// straight into the batch. The record is `inout` only so that it is read where it is,
    /// never copied (a copy is ~25 reference counts and back); nothing in it changes.
    func writeAccessLine(_ format: AccessLogFormat, _ record: inout AccessLogRecord) {
        writeFromEventLoop { format.append(inPlace: &record, to: &$0) }
    }

    /// An access-log line of values read in place (``LiveAccessLogValues``), written as
    /// ``writeFromEventLoop(_:)`` straight into the batch.
    func writeAccessLine(_ format: AccessLogFormat, _ values: LiveAccessLogValues) {
        writeFromEventLoop { format.append(live: values, to: &$0) }
    }

    /// Reopens the file by its path (log rotation). Synchronous, so that every line
    /// queued before the call goes to the old file and every line after it to the new one.
    func reopen() {
        guard let path else { return }
        queue.withDrainedFile { descriptor in
            guard let fresh = try? Self.open(path) else { return }
            Foundation.close(descriptor)
            descriptor = fresh
        }
    }

    /// Makes `target` (standard error) a duplicate of this file's descriptor, after every
    /// line and reopen queued before; returns `errno` when `dup2` fails. The duplicate
    /// shares the open file (and its O_APPEND) and is inherited by child processes.
    func duplicateDescriptor(onto target: Int32) -> Int32? {
        queue.withDrainedFile { (descriptor: inout Int32) -> Int32? in
            while dup2(descriptor, target) < 0 {
                if errno != EINTR { return errno }
            }
            return nil
        }
    }

    /// Writes every line queued so far, buffered or not (graceful stop, child exit).
    func flush() { queue.withDrainedFile { _ in } }

    /// Closes the file after writing what was queued; later lines fail and are counted as dropped.
    func close() {
        queue.withDrainedFile { descriptor in
            if descriptor > STDERR_FILENO { Foundation.close(descriptor) }
            descriptor = -1
        }
    }

    /// The `write(2)` calls made so far (tests: one per batch, not per line).
    var writeCallCount: Int { queue.writeCallCount }
    var isIdle: Bool { queue.isIdle }

    /// Bytes waiting for a drain (tests).
    var queuedBytes: Int { queue.queuedBytes }

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
