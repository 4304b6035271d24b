import Foundation
import NIOConcurrencyHelpers
import Observability
import RequestPipeline

/// One log file's bounded queue and the thread that writes it (``LogFileWriter`` is its
/// face). A line is formatted straight into the pending batch under `condition`'s lock;
/// the writer thread is woken only when it is parked and the line gives it work (the
/// batch became non-empty, or full with `BufferedLogs On`), so a busy server wakes it
/// once per batch, not once per line. An event loop that appends the first line of a
/// batch (`BufferedLogs Off`) writes the batch itself at the end of its turn instead
/// (``flushScheduledBatch()``), as Apache and nginx write in-line: every line its turn
/// logged leaves in one `write(2)`, with no thread woken at all. With `BufferedLogs On`
/// the loop whose line fills the buffer writes it the same way, as Apache's
/// mod_log_config writes a full buffer in-line; the thread only ticks (once every
/// `bufferMilliseconds`) to send what has waited that long, and writes for callers that
/// are not event loops.
///
/// Two locks: `condition` guards the pending batch and the thread's state (held for the
/// length of one line's formatting); `fileLock` serializes the taking of a batch with its
/// `write(2)` and guards the descriptor, so batches reach the file in the order they were
/// taken, whichever thread writes them (the writer thread, or a caller of `flush`,
/// `reopen`, `close`).
final class LogFileQueue: @unchecked Sendable {
    /// What the writer thread is doing, as the appending side sees it.
    private enum Writer {
        /// Taking or writing a batch, or woken and about to: a new line needs no wake-up.
        case busy
        /// Waiting for a first line, with nothing pending (`BufferedLogs Off`).
        case parked
        /// `BufferedLogs On`: waiting for the end of a tick; lines need no wake-up until
        /// the buffer is full.
        case holding
        /// Waiting (`resuming` says how), and the event loop that appended the line that
        /// gave it work writes the batch at the end of its turn: a new line needs no wake-up.
        case flushScheduled(resuming: Waiting)
        /// Gone (the writer was released).
        case stopped
    }

    /// How the writer thread waits: what it is again once an event loop wrote its batch.
    private enum Waiting {
        case parked, holding
    }

    /// Whether the owner still uses the queue.
    private enum Life { case open, stopping }

    /// Whether lines are being dropped.
    private enum Overflow {
        case none
        case dropping(lines: Int)
    }

    let limits: LogFileWriter.Limits
    private let path: String?
    private let condition = NSCondition()
    // Under `condition`.
    private var pending = LogLineWriter(capacity: 0)
    private var writer = Writer.busy
    private var life = Life.open
    private var buffering = LogFileWriter.Buffering.prompt
    private var overflow = Overflow.none
    private var droppedTotal = 0
    private var report: (@Sendable (LogFileWriter.DropReport) -> Void)?
    // Under `fileLock`.
    private let fileLock = NIOLock()
    private var descriptor: Int32
    private var batch = LogLineWriter(capacity: 0)
    private var writeCalls = 0

    init(path: String?, descriptor: Int32, limits: LogFileWriter.Limits) {
        self.path = path
        self.descriptor = descriptor
        self.limits = limits
    }

    deinit {
        if descriptor > STDERR_FILENO { Foundation.close(descriptor) }
    }

    /// Starts the writer thread; it keeps the queue alive until ``stop()``.
    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "isapid log \(path.map { ($0 as NSString).lastPathComponent } ?? "stderr")"
        thread.start()
    }

    /// Appends one line, which `format` writes (without its newline) into the batch.
    /// Beyond `limits.queueBytes` the line is taken back, dropped and counted. With
    /// `callerFlushes` (an event loop), true means the caller must call
    /// ``flushScheduledBatch()`` once it is done with its turn.
    @discardableResult
    func append(callerFlushes: Bool = false, _ format: (inout LogLineWriter) -> Void) -> Bool {
        var started: (@Sendable (LogFileWriter.DropReport) -> Void)?
        condition.lock()
        let before = pending.count
        format(&pending)
        pending.append(byte: UInt8(ascii: "\n"))
        if pending.count > limits.queueBytes {
            pending.truncate(to: before)
            droppedTotal += 1
            ServerFigures.shared.logLinesDropped.add(1, ordering: .relaxed)
            if case .dropping(let lines) = overflow {
                overflow = .dropping(lines: lines + 1)
            } else {
                overflow = .dropping(lines: 1)
                started = report
            }
        }
        var wake = false
        var flushByCaller = false
        switch writer {
        case .parked where pending.count > before && callerFlushes && buffering == .prompt:
            writer = .flushScheduled(resuming: .parked)
            flushByCaller = true
        case .holding where pending.count >= limits.bufferBytes && callerFlushes:
            writer = .flushScheduled(resuming: .holding)
            flushByCaller = true
        case .parked where pending.count > before,
             .holding where pending.count >= limits.bufferBytes:
            writer = .busy
            wake = true
        case .busy, .parked, .holding, .flushScheduled, .stopped:
            break
        }
        condition.unlock()
        // Signalled after the unlock: the woken thread does not run into the lock still
        // held here (a futex wait and wake more per line). No wake-up is lost: the writer
        // looks at `pending` under the lock before it waits.
        if wake { condition.signal() }
        started?(.started(queueBytes: limits.queueBytes))
        return flushByCaller
    }

    /// The event loop's write of the batch it started (see ``append(callerFlushes:_:)``).
    /// Lines that came after the batch was taken go to the writer thread.
    func flushScheduledBatch() {
        var wake = false
        fileLock.withLock {
            // The writer's state changes under the lock the drain takes last anyway.
            drainLocked {
                guard case .flushScheduled(let resuming) = writer else { return }
                switch resuming {
                case .parked where pending.isEmpty:
                    writer = .parked
                case .holding where pending.count < limits.bufferBytes:
                    writer = .holding
                case .parked, .holding:
                    writer = .busy
                    wake = true
                }
            }
        }
        if wake { condition.signal() }
    }

    /// `BufferedLogs`; turning it Off sends what waits. A waiting writer thread is woken
    /// to wait the new way (a tick, or for a first line).
    func setBuffering(_ value: LogFileWriter.Buffering) {
        locked {
            guard buffering != value else { return }
            buffering = value
            switch writer {
            case .parked, .holding, .flushScheduled:
                writer = .busy
                condition.signal()
            case .busy, .stopped:
                break
            }
        }
    }

    func reportDrops(to report: (@Sendable (LogFileWriter.DropReport) -> Void)?) { locked { self.report = report } }
    var droppedLines: Int { locked { droppedTotal } }
    var queuedBytes: Int { locked { pending.count } }
    var writeCallCount: Int { fileLock.withLock { writeCalls } }
    /// Nothing pending and the writer thread waiting (a test waits for it before it counts writes).
    var isIdle: Bool {
        locked {
            switch writer {
            case .parked, .holding: pending.isEmpty
            case .busy, .flushScheduled, .stopped: false
            }
        }
    }

    /// Runs `body` with the file to itself, after every line queued so far was written.
    func withDrainedFile<T>(_ body: (inout Int32) -> T) -> T {
        fileLock.withLock {
            drainLocked()
            return body(&descriptor)
        }
    }

    /// The owner let go: the thread writes what is left and ends.
    func stop() {
        locked {
            life = .stopping
            condition.signal()
        }
    }

    private func locked<T>(_ body: () -> T) -> T {
        condition.lock()
        defer { condition.unlock() }
        return body()
    }

    /// The writer thread. `BufferedLogs Off`: writes each batch as it gathers, parks when
    /// there is none. On: ticks every `bufferMilliseconds` and writes what waits at the end
    /// of a tick (so no line waits longer), or at once when woken for a full buffer.
    private func run() {
        condition.lock()
        var tickEnded = false
        while true {
            if pending.isEmpty && life == .stopping {
                writer = .stopped
                condition.unlock()
                return
            }
            switch buffering {
            case .prompt:
                if pending.isEmpty {
                    writer = .parked
                    condition.wait()
                    continue
                }
            case .buffered:
                if life == .open && !tickEnded && pending.count < limits.bufferBytes {
                    writer = .holding
                    let tick = Date(timeIntervalSinceNow: Double(limits.bufferMilliseconds) / 1000)
                    tickEnded = !condition.wait(until: tick)
                    continue
                }
                tickEnded = false
                if pending.isEmpty { continue }
            }
            writer = .busy
            condition.unlock()
            fileLock.withLock { drainLocked() }
            condition.lock()
        }
    }

    /// Under `fileLock`: takes everything pending and writes it in one `write(2)` (more
    /// only when the kernel takes part of it), then reports the end of a dropping episode.
    /// `then` runs under `condition`'s lock after the write (the lines that came meanwhile
    /// are in `pending`).
    private func drainLocked(then: () -> Void = {}) {
        let taken = locked { () -> Bool in
            swap(&pending, &batch)
            if batch.isEmpty { then() }
            return !batch.isEmpty
        }
        guard taken else { return }
        var offset = 0
        while offset < batch.count {
            let written = batch.withUnsafeBytes(from: offset) { Foundation.write(descriptor, $0.baseAddress, $0.count) }
            writeCalls += 1
            if written < 0 {
                if errno == EINTR { continue }
                break
            }
            offset += written
        }
        let lost = offset < batch.count ? batch.withUnsafeBytes(from: offset) { $0.count(where: { $0 == UInt8(ascii: "\n") }) } : 0
        // A large batch (a burst, or the queue's bound) is not kept around.
        batch.removeAll(keepingCapacity: batch.capacity <= 4 * limits.bufferBytes)
        var ended: (@Sendable (LogFileWriter.DropReport) -> Void)?
        let count = locked { () -> Int in
            droppedTotal += lost
            if lost > 0 { ServerFigures.shared.logLinesDropped.add(lost, ordering: .relaxed) }
            var dropped = lost
            if case .dropping(let lines) = overflow { dropped += lines }
            overflow = .none
            ended = report
            then()
            return dropped
        }
        if count > 0 { ended?(.ended(lines: count)) }
    }
}
