import Logging
import NIOConcurrencyHelpers

/// Open log files by path, shared by every configuration generation so that a reload
/// reuses (and reopens) the same writers instead of leaking descriptors.
final class LogFiles: Sendable {
    private let writers = NIOLockedValueBox<[String: LogFileWriter]>([:])
    private let standardError: LogFileWriter

    init() {
        // Standard error cannot fail to open.
        standardError = try! LogFileWriter(path: nil)
    }

    /// The writer for a path (nil for standard error), opened on first use.
    func writer(for path: String?) throws -> LogFileWriter {
        guard let path else { return standardError }
        return try writers.withLockedValue { writers in
            if let existing = writers[path] { return existing }
            let writer = try LogFileWriter(path: path)
            writers[path] = writer
            return writer
        }
    }

    /// The writer of an access log (`CustomLog`, `TransferLog`): buffered as
    /// `BufferedLogs` says, and reporting dropped lines to `errorLog` (IS02360, IS02361).
    func accessLogWriter(for path: String, bufferedLogs: Bool, errorLog: Logger) throws -> LogFileWriter {
        let writer = try writer(for: path)
        writer.setBuffering(bufferedLogs ? .buffered : .prompt)
        writer.reportDrops { report in
            switch report {
            case .started(let queueBytes):
                errorLog.error(
                    "access log \(path) is not keeping up: \(queueBytes) bytes wait for it; further lines are dropped until it takes writes again",
                    metadata: ["id": "IS02360"])
            case .ended(let lines):
                errorLog.error("access log \(path): \(lines) lines were dropped (its queue was full, or a write failed)",
                               metadata: ["id": "IS02361"])
            }
        }
        return writer
    }

    /// Lines every log file dropped since the start (server-status, metrics).
    var droppedLines: Int {
        writers.withLockedValue { $0.values.reduce(0) { $0 + $1.droppedLines } }
    }

    /// Reopens every file (on SIGHUP, SIGUSR1), so rotated logs are written to the new
    /// file; what was queued, buffered or not, goes to the old one first.
    func reopenAll() {
        writers.withLockedValue { $0.values.forEach { $0.reopen() } }
    }

    /// Writes everything queued, buffered lines included (graceful stop, child exit).
    func flushAll() {
        writers.withLockedValue { $0.values.forEach { $0.flush() } }
        standardError.flush()
    }
}
