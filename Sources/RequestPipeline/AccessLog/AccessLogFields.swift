/// The parts of an ``AccessLogRecord`` that cost something to gather (an allocation, a
/// system call, a scan of the headers) and that a format prints only through some of its
/// directives. Computed once per format when it is compiled (``AccessLogFormat/fields``),
/// so a request builds only what the configured CustomLogs will print; the rest of the
/// record keeps its empty default, which no directive of those formats reads.
public struct AccessLogFields: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// `%r`: the request line, put together from method, target and protocol.
    public static let requestLine = AccessLogFields(rawValue: 1 << 0)
    /// `%q`: the query string with its `?`.
    public static let query = AccessLogFields(rawValue: 1 << 1)
    /// `%t`, `%{format}t` (local time): the server's offset from UTC at the request time.
    public static let localTime = AccessLogFields(rawValue: 1 << 2)
    /// `%V`: the Host header without its port.
    public static let requestServerName = AccessLogFields(rawValue: 1 << 3)
    /// `%{Name}i`, `%{Name}C`: the request's header fields.
    public static let requestHeaders = AccessLogFields(rawValue: 1 << 4)
    /// `%{Name}o`: the response's header fields.
    public static let responseHeaders = AccessLogFields(rawValue: 1 << 5)
    /// `%{VAR}e`: the environment (merged with mod_ssl's variables on TLS).
    public static let environment = AccessLogFields(rawValue: 1 << 6)
    /// `%{Name}n`: the notes.
    public static let notes = AccessLogFields(rawValue: 1 << 7)
    /// `%P`: the process id.
    public static let processID = AccessLogFields(rawValue: 1 << 8)
    /// `%{tid}P`, `%{hextid}P`: the serving thread.
    public static let threadID = AccessLogFields(rawValue: 1 << 9)

    /// Everything: for callers that hand the record on (an ISAPI filter's SF_NOTIFY_LOG)
    /// or do not know the formats.
    public static let all = AccessLogFields(rawValue: (1 << 10) - 1)
}

extension AccessLogFormat.Directive {
    /// What this directive reads of the costly parts of a record.
    var fields: AccessLogFields {
        switch self {
        case .requestLine: return .requestLine
        case .query: return .query
        case .time(let spec):
            switch spec.kind {
            case .clf, .custom: return .localTime
            case .seconds, .milliseconds, .microseconds, .millisecondFraction, .microsecondFraction: return []
            }
        case .requestServerName: return .requestServerName
        case .requestHeader, .cookie: return .requestHeaders
        case .responseHeader: return .responseHeaders
        case .environment: return .environment
        case .note: return .notes
        case .process(let field): return field == .pid ? .processID : .threadID
        case .literal, .remoteHost, .remoteAddress, .localAddress, .remoteLogname, .remoteUser, .peerHost,
             .peerAddress, .filename, .bodyBytesCLF, .bodyBytes, .logID, .virtualHost, .port, .requestProtocol,
             .method, .connectionStatus, .keepAliveCount, .duration, .urlPath, .status, .handler, .ioBytes,
             .timeToFirstByte, .sslVariable, .sslConnectionVariable, .absent:
            return []
        }
    }
}
