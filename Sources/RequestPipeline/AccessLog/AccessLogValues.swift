/// What an access-log format reads of a finished request: an ``AccessLogRecord`` (a
/// request's values copied out, for an ISAPI filter's SF_NOTIFY_LOG and for tests), or
/// ``LiveAccessLogValues`` (the same values read where they are, for each line the
/// connection writes: no record is built, copied or destroyed per request).
///
/// ``AccessLogFormat`` and its directives are generic over it and specialized for both,
/// so one implementation prints both the same way.
public protocol AccessLogValues {
    var remoteIP: String { get }
    var remotePort: Int { get }
    var peerIP: String? { get }
    var localIP: String { get }
    var localPort: Int { get }
    var remoteLogname: String? { get }
    var remoteUser: String? { get }
    var requestStartMicroseconds: Int64 { get }
    var requestEndMicroseconds: Int64 { get }
    var utcOffsetSeconds: Int { get }
    var timeZoneAbbreviation: String? { get }
    var requestLine: String { get }
    var requestTarget: String? { get }
    var method: String { get }
    var protocolVersion: String { get }
    /// Whether `%r` ends with ``protocolVersion``: an HTTP/0.9 request line names none.
    var requestLineNamesVersion: Bool { get }
    var urlPath: String { get }
    var query: String { get }
    var originalStatus: Int { get }
    var finalStatus: Int { get }
    var bodyBytesSent: Int64 { get }
    var bytesReceived: Int64? { get }
    var bytesSent: Int64? { get }
    var timeToFirstByteMicroseconds: Int64? { get }
    var durationMicroseconds: Int64 { get }
    var serverName: String { get }
    var requestServerName: String { get }
    var canonicalPort: Int { get }
    var pid: Int32 { get }
    var threadID: UInt64 { get }
    var connectionStatus: AccessLogRecord.ConnectionStatus { get }
    var filename: String? { get }
    var handler: String? { get }
    var keepAliveCount: Int { get }
    var logID: String? { get }
    var requestHeaders: [(name: String, value: String)] { get }
    var responseHeaders: [(name: String, value: String)] { get }
    var notes: [String: String] { get }
    var environment: [String: String] { get }
    var tls: TLSSessionInfo? { get }
}

extension AccessLogRecord: AccessLogValues {}
