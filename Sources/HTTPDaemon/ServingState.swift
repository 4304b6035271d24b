import Logging
import RequestPipeline
import ServerConfig

/// Everything a request needs, compiled once per (re)load: the configuration, the
/// pipeline, the open log files and compiled log formats. Immutable; a reload builds a
/// new one and requests in flight keep theirs.
final class ServingState: Sendable {
    let configuration: ServerConfiguration
    let pipeline: Pipeline
    let errorLog: LogFileWriter
    let logger: Logger
    /// Access logs by virtual-host id.
    let accessLogs: [Int: [AccessLogTarget]]
    let serverHeader: String
    let limits: HTTPRequestLimits
    /// The TLS contexts of this generation, by virtual host (built here, so the key files
    /// are read at start-up, before the serving process gives up root).
    let tls: TLSContexts
    /// The reverse proxy's upstream side for this generation: its settings (ProxyTimeout,
    /// ProxySet, SSLProxy*), TLS client context and per-loop connection pools.
    let upstreams: UpstreamClient

    struct AccessLogTarget: Sendable {
        let writer: LogFileWriter
        let format: AccessLogFormat
        let condition: LogCondition?
    }

    /// - Parameter fileCache: the process's file cache, used unless `FileCacheValid 0`.
    /// - Parameter iniFilesFirstRead: `.whenAsked` for the state made before the privilege drop.
    init(configuration: ServerConfiguration, logFiles: LogFiles, handlers: [String: any RequestHandler],
         filterHost: ISAPIFilterHost? = nil, fileCache: FileCache? = nil,
         iniFilesFirstRead: Pipeline.IniFilesFirstRead = .atCreation) throws {
        self.configuration = configuration
        errorLog = try logFiles.writer(for: configuration.errorLog)
        logger = Logger.errorLog("core", writer: errorLog, levels: configuration.logLevel)
        let errorLog = errorLog
        fileCache?.setValidSeconds(configuration.fileCacheValid)
        pipeline = Pipeline(configuration: configuration, handlers: handlers, filterHost: filterHost,
                            fileCache: configuration.fileCacheValid > 0 ? fileCache : nil,
                            iniFilesFirstRead: iniFilesFirstRead, logger: logger) { module in
            Logger.errorLog(module, writer: errorLog, levels: configuration.logLevel)
        }
        var accessLogs: [Int: [AccessLogTarget]] = [:]
        let logger = logger
        for host in configuration.allHosts {
            accessLogs[host.id] = try host.customLogs.map { spec in
                AccessLogTarget(writer: try logFiles.accessLogWriter(for: spec.path, bufferedLogs: configuration.bufferedLogs,
                                                                     errorLog: logger),
                                format: try Self.compile(spec),
                                condition: spec.condition)
            }
        }
        self.accessLogs = accessLogs
        tls = try TLSContexts(configuration: configuration)
        upstreams = try UpstreamClient(configuration: configuration)
        serverHeader = ServerSoftware.banner(configuration.serverTokens)
        limits = HTTPRequestLimits(
            maxRequestLine: configuration.limitRequestLine, maxHeaderFields: configuration.limitRequestFields,
            maxHeaderFieldSize: configuration.limitRequestFieldSize,
            protocolOptions: configuration.httpProtocolOptions)
    }

    /// Compiles a CustomLog's format, failing with its file and line.
    static func compile(_ spec: CustomLogSpec) throws(ConfigError) -> AccessLogFormat {
        do {
            return try AccessLogFormat(spec.format)
        } catch {
            throw ConfigError(file: spec.location.file, line: spec.location.line, kind: .badArguments,
                              message: "CustomLog: \(error)")
        }
    }
}
