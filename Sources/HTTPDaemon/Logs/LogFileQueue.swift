import Dispatch
import Foundation
import NIOConcurrencyHelpers
import Observability
import RequestPipeline
import Synchronization

/// One log file's bounded queue and the thread that writes it (``LogFileWriter`` is its
/// face). A line is formatted straight into the pending batch under `state`'s lock; the
/// writer thread is woken only when it is parked and the line gives it work (the batch
/// became non-empty, or full with `BufferedLogs On`), so a busy server wakes it once per
/// batch, not once per line. An event loop that appends the first line of a batch
/// (`BufferedLogs Off`) writes the batch itself at the end of its turn instead
/// (``flushScheduledBatch()``), as Apache and nginx write in-line: every line its turn
/// logged leaves in one `write(2)`, with no thread woken at all. With `BufferedLogs On`
/// the loop whose line fills the buffer writes it the same way, as Apache's
/// mod_log_config writes a full buffer in-line; the thread only ticks (once every
/// `bufferMilliseconds`) to send what has waited that long, and writes for callers that
/// are not event loops.
///
/// Two locks: `state` guards the pending batch and the thread's state (held for the
/// length of one line's formatting); `fileLock` serializes the taking of a batch with its
/// `write(2)` and guards the descriptor, so batches reach the file in the order they were
/// taken, whichever thread writes them (the writer thread, or a caller of `flush`,
/// `reopen`, `close`). `state` is a `Mutex` (a compare-and-swap each way, taken once per
/// line) and the thread sleeps on a semaphore of its own, not on a condition variable:
/// a condition's lock is a `pthread_mutex`, several times the cost per line. The
/// semaphore counts, so a wake-up given between the thread's last look at the state and
/// its wait is not lost; one given when the thread is not asleep only makes it look again.
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

    /// What `state` guards.
    private struct State: ~Copyable {
        var pending = LogLineWriter(capacity: 0)
        var writer = Writer.busy
        var life = Life.open
        var buffering = LogFileWriter.Buffering.prompt
        var overflow = Overflow.none
        var droppedTotal = 0
        var report: (@Sendable (LogFileWriter.DropReport) -> Void)?
    }

    /// What the writer thread does next, decided under `state`'s lock.
    private enum Step {
        case stop, waitForLine, waitForTick, lookAgain, drain
    }

    let limits: LogFileWriter.Limits
    private let path: String?
    private let state = Mutex(State())
    /// Where the writer thread sleeps; signalled when it is given work (see the header).
    private let wakeUps = DispatchSemaphore(value: 0)
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
        var wake = false
        let limits = limits
        let flushByCaller = state.withLock { state in
            let before = state.pending.count
            format(&state.pending)
            state.pending.append(byte: UInt8(ascii: "\n"))
            if state.pending.count > limits.queueBytes {
                state.pending.truncate(to: before)
                state.droppedTotal += 1
                ServerFigures.shared.logLinesDropped.add(1, ordering: .relaxed)
                if case .dropping(let lines) = state.overflow {
                    state.overflow = .dropping(lines: lines + 1)
                } else {
                    state.overflow = .dropping(lines: 1)
                    started = state.report
                }
            }
            switch state.writer {
            case .parked where state.pending.count > before && callerFlushes && state.buffering == .prompt:
                state.writer = .flushScheduled(resuming: .parked)
                return true
            case .holding where state.pending.count >= limits.bufferBytes && callerFlushes:
                state.writer = .flushScheduled(resuming: .holding)
                return true
            case .parked where state.pending.count > before,
                 .holding where state.pending.count >= limits.bufferBytes:
                state.writer = .busy
                wake = true
                return false
            case .busy, .parked, .holding, .flushScheduled, .stopped:
                return false
            }
        }
        // Signalled after the unlock: the woken thread does not run into the lock still
        // held here.
        if wake { wakeUps.signal() }
        started?(.started(queueBytes: limits.queueBytes))
        return flushByCaller
    }

    /// The event loop's write of the batch it started (see ``append(callerFlushes:_:)``).
    /// Lines that came after the batch was taken go to the writer thread.
    func flushScheduledBatch() {
        var wake = false
        let limits = limits
        fileLock.withLock {
            // The writer's state changes under the lock the drain takes last anyway.
            drainLocked { state in
                guard case .flushScheduled(let resuming) = state.writer else { return }
                switch resuming {
                case .parked where state.pending.isEmpty:
                    state.writer = .parked
                case .holding where state.pending.count < limits.bufferBytes:
                    state.writer = .holding
                case .parked, .holding:
                    state.writer = .busy
                    wake = true
                }
            }
        }
        if wake { wakeUps.signal() }
    }

    /// `BufferedLogs`; turning it Off sends what waits. A waiting writer thread is woken
    /// to wait the new way (a tick, or for a first line).
    func setBuffering(_ value: LogFileWriter.Buffering) {
        let wake = state.withLock { state -> Bool in
            guard state.buffering != value else { return false }
            state.buffering = value
            switch state.writer {
            case .parked, .holding, .flushScheduled:
                state.writer = .busy
                return true
            case .busy, .stopped:
                return false
            }
        }
        if wake { wakeUps.signal() }
    }

    func reportDrops(to report: (@Sendable (LogFileWriter.DropReport) -> Void)?) {
        state.withLock { $0.report = report }
    }
    var droppedLines: Int { state.withLock { $0.droppedTotal } }
    var queuedBytes: Int { state.withLock { $0.pending.count } }
    var writeCallCount: Int { fileLock.withLock { writeCalls } }
    /// Nothing pending and the writer thread waiting (a test waits for it before it counts writes).
    var isIdle: Bool {
        state.withLock { state in
            switch state.writer {
            case .parked, .holding: state.pending.isEmpty
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
        state.withLock { $0.life = .stopping }
        wakeUps.signal()
    }

    /// The writer thread. `BufferedLogs Off`: writes each batch as it gathers, parks when
    /// there is none. On: ticks every `bufferMilliseconds` and writes what waits at the end
    /// of a tick (so no line waits longer), or at once when woken for a full buffer.
    private func run() {
        var tickEnded = false
        let limits = limits
        while true {
            let step = state.withLock { state -> Step in
                if state.pending.isEmpty && state.life == .stopping {
                    state.writer = .stopped
                    return .stop
                }
                switch state.buffering {
                case .prompt:
                    if state.pending.isEmpty {
                        state.writer = .parked
                        return .waitForLine
                    }
                case .buffered:
                    if state.life == .open && !tickEnded && state.pending.count < limits.bufferBytes {
                        state.writer = .holding
                        return .waitForTick
                    }
                    tickEnded = false
                    if state.pending.isEmpty { return .lookAgain }
                }
                state.writer = .busy
                return .drain
            }
            switch step {
            case .stop:
                return
            case .waitForLine:
                wakeUps.wait()
            case .waitForTick:
                tickEnded = wakeUps.wait(timeout: .now() + .milliseconds(limits.bufferMilliseconds)) == .timedOut
            case .lookAgain:
                continue
            case .drain:
                fileLock.withLock { drainLocked() }
            }
        }
    }

    /// Under `fileLock`: takes everything pending and writes it in one `write(2)` (more
    /// only when the kernel takes part of it), then reports the end of a dropping episode.
    /// `then` runs under `state`'s lock after the write (the lines that came meanwhile
    /// are in `pending`), and when nothing was pending.
    private func drainLocked(then: (inout State) -> Void = { _ in }) {
        let taken = state.withLock { state -> Bool in
            swap(&state.pending, &batch)
            if batch.isEmpty { then(&state) }
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
        let count = state.withLock { state -> Int in
            state.droppedTotal += lost
            if lost > 0 { ServerFigures.shared.logLinesDropped.add(lost, ordering: .relaxed) }
            var dropped = lost
            if case .dropping(let lines) = state.overflow { dropped += lines }
            state.overflow = .none
            ended = state.report
            then(&state)
            return dropped
        }
        if count > 0 { ended?(.ended(lines: count)) }
    }
}
