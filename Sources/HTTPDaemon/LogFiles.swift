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

    /// Reopens every file (on SIGHUP), so rotated logs are written to the new file.
    func reopenAll() {
        writers.withLockedValue { $0.values.forEach { $0.reopen() } }
    }

    func flushAll() {
        writers.withLockedValue { $0.values.forEach { $0.flush() } }
        standardError.flush()
    }
}
