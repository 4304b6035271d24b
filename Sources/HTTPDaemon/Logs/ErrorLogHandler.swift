import Foundation
import ISAPIHost
import Logging
import RequestPipeline
import ServerConfig

/// A swift-log handler that writes Apache 2.4's error-log layout:
/// `[time] [module:level] [pid N:tid N] [client ip:port] ID: message`.
///
/// The logger's label is the module (`core`, `isapi`, `rewrite`, ...); its level comes
/// from `LogLevel`, per module. Metadata `client` and `id` fill their fields; a message
/// marked with `LogText.escapedMetadataKey` (an extension's bytes already escaped by
/// ISAPIHost) keeps its backslashes single. As in Apache, notice messages (start,
/// reload, stop) are written whatever the level.
struct ErrorLogHandler: LogHandler {
    let module: String
    let writer: LogFileWriter
    /// The level `LogLevel` asks for; the logger itself lets notice through as well.
    let configuredLevel: Logger.Level
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    init(module: String, writer: LogFileWriter, level: ApacheLogLevel) {
        self.module = module
        self.writer = writer
        self.configuredLevel = Self.swiftLogLevel(level)
        self.logLevel = min(configuredLevel, .notice)
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        guard event.level >= configuredLevel || event.level == .notice else { return }
        var now = timeval()
        gettimeofday(&now, nil)
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        let line = ErrorLogLine.format(
            timeSeconds: Int64(now.tv_sec), microseconds: Int(now.tv_usec), module: module,
            level: Self.apacheName(event.level), pid: getpid(), tid: UInt64(pthread_self()),
            client: merged["client"].map { "\($0)" }, messageID: merged["id"].map { "\($0)" },
            message: "\(event.message)", messageIsEscaped: merged[LogText.escapedMetadataKey] != nil)
        writer.write(line)
    }

    static func swiftLogLevel(_ level: ApacheLogLevel) -> Logger.Level {
        switch level {
        case .emerg, .alert, .crit: return .critical
        case .error: return .error
        case .warn: return .warning
        case .notice: return .notice
        case .info: return .info
        case .debug: return .debug
        default: return .trace
        }
    }

    static func apacheName(_ level: Logger.Level) -> String {
        switch level {
        case .critical: return "crit"
        case .error: return "error"
        case .warning: return "warn"
        case .notice: return "notice"
        case .info: return "info"
        case .debug: return "debug"
        case .trace: return "trace1"
        }
    }
}

extension Logger {
    /// A logger for a module of isapid writing to an error log at its configured level.
    static func errorLog(_ module: String, writer: LogFileWriter, levels: LogLevelSetting) -> Logger {
        Logger(label: module) { _ in ErrorLogHandler(module: module, writer: writer, level: levels.level(for: module)) }
    }
}
