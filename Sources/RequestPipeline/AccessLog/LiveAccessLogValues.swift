import Foundation

/// A finished request's access-log values read where they are, in the connection's
/// request context and response: what ``AccessLogRecordBuilder`` copies into a record,
/// worked out only for the directives a format prints. Each is derived here, once, for
/// both: the builder fills a record from these.
///
/// It points at the context and response (they live in the connection's exchange, a
/// class; a copy of the context costs ~3k instructions): valid only inside the
/// `withUnsafePointer` scope that made it (``withValues(of:response:bytesSent:wireBytesSent:connection:serverPort:_:)``).
/// The getters the common and combined formats read are `@inline(__always)`: left to
/// the optimizer, some stayed calls out of the format's loop, each with its spills.
public struct LiveAccessLogValues: AccessLogValues {
    private let context: UnsafePointer<RequestContext>
    private let response: UnsafePointer<Response>
    public let bodyBytesSent: Int64
    public let bytesSent: Int64?
    public let connectionStatus: AccessLogRecord.ConnectionStatus
    public let canonicalPort: Int
    /// When the line was made: `%D`, `%T` and `%{end}t` all count to it.
    private let nowMicroseconds: Int64

    /// Runs `body` with the values of `context` and `response`, read in place. Not
    /// generic over a result: a generic body would make the two `withUnsafePointer`
    /// calls generic too, each an unspecialized call out of line per line logged.
    public static func withValues(
        of context: inout RequestContext, response: inout Response, bytesSent: Int64, wireBytesSent: Int64? = nil,
        connection: AccessLogRecord.ConnectionStatus, serverPort: Int, now: Int64 = WallClock.microseconds(),
        _ body: (LiveAccessLogValues) -> Void
    ) {
        withUnsafePointer(to: &context) { context in
            withUnsafePointer(to: &response) { response in
                body(LiveAccessLogValues(context: context, response: response, bytesSent: bytesSent,
                                         wireBytesSent: wireBytesSent, connection: connection, serverPort: serverPort,
                                         now: now))
            }
        }
    }

    private init(context: UnsafePointer<RequestContext>, response: UnsafePointer<Response>, bytesSent: Int64,
                 wireBytesSent: Int64?, connection: AccessLogRecord.ConnectionStatus, serverPort: Int, now: Int64) {
        self.context = context
        self.response = response
        bodyBytesSent = bytesSent
        self.bytesSent = wireBytesSent
        connectionStatus = connection
        canonicalPort = serverPort
        nowMicroseconds = now
    }

    @inline(__always)
    public var remoteIP: String { context.pointee.request.connection.remoteAddress }
    public var remotePort: Int { context.pointee.request.connection.userAgentPort }
    public var peerIP: String? { context.pointee.request.connection.peerAddress }
    public var localIP: String { context.pointee.request.connection.localAddress }
    public var localPort: Int { context.pointee.request.connection.localPort }
    /// mod_ident's `%l`: never looked up.
    public var remoteLogname: String? { nil }
    /// `%u`: set on a record by an ISAPI filter's SF_NOTIFY_LOG only.
    public var remoteUser: String? { nil }
    public var requestStartMicroseconds: Int64 { context.pointee.request.receivedAtMicroseconds }
    public var requestEndMicroseconds: Int64 { requestStartMicroseconds &+ durationMicroseconds }
    public var utcOffsetSeconds: Int {
        LogTimeCache.shared.utcOffset(atSeconds: context.pointee.request.receivedAtMicroseconds / 1_000_000)
    }
    public var timeZoneAbbreviation: String? { nil }
    /// `%r` prints method, target and protocol one after the other (``requestTarget``):
    /// no line is put together, but for a request that had none.
    @inline(__always)
    public var requestLine: String { hadRequestLine ? "" : "-" }
    @inline(__always)
    public var requestTarget: String? { hadRequestLine ? context.pointee.request.target : nil }
    /// Whether a request line was read: a request answered without one (a 408, a 400 for
    /// a line that could not be parsed) has the method `-`. Compared by its bytes, which
    /// for a short method costs less than `String`'s `==`.
    @inline(__always)
    private var hadRequestLine: Bool {
        let method = context.pointee.request.method.utf8
        return method.count != 1 || method.first != UInt8(ascii: "-")
    }
    @inline(__always)
    public var method: String { context.pointee.request.method }
    @inline(__always)
    public var protocolVersion: String {
        AccessLogRecordBuilder.protocolName(major: context.pointee.request.versionMajor,
                                            minor: context.pointee.request.versionMinor)
    }
    /// The version's major number, not the name's text: no string is made or compared.
    @inline(__always)
    public var requestLineNamesVersion: Bool { context.pointee.request.versionMajor != 0 }
    public var urlPath: String { context.pointee.originalPath ?? context.pointee.path }
    public var query: String { (context.pointee.originalQuery ?? context.pointee.query).map { "?" + $0 } ?? "" }
    @inline(__always)
    public var originalStatus: Int { response.pointee.status }
    @inline(__always)
    public var finalStatus: Int { response.pointee.status }
    public var bytesReceived: Int64? { nil }
    public var timeToFirstByteMicroseconds: Int64? { nil }
    public var durationMicroseconds: Int64 { max(0, nowMicroseconds - context.pointee.request.receivedAtMicroseconds) }
    public var serverName: String { context.pointee.host.serverName ?? context.pointee.request.connection.localAddress }
    public var requestServerName: String {
        context.pointee.headers["Host"].flatMap(AccessLogRecordBuilder.hostWithoutPort) ?? serverName
    }
    public var pid: Int32 { AccessLogRecordBuilder.processID }
    public var threadID: UInt64 { UInt64(pthread_self()) }
    public var filename: String? { context.pointee.filePath }
    public var handler: String? { context.pointee.handler ?? "default-handler" }
    public var keepAliveCount: Int { context.pointee.request.connection.keepAliveCount }
    public var logID: String? { nil }
    @inline(__always)
    public var requestHeaders: [(name: String, value: String)] { context.pointee.headers.entries }
    @inline(__always)
    public var responseHeaders: [(name: String, value: String)] { response.pointee.headers.entries }
    public var notes: [String: String] { context.pointee.notes }
    public var environment: [String: String] { context.pointee.environmentWithTLS }
    /// Not read on plain HTTP: the getter copies out of its box even when it is nil.
    public var tls: TLSSessionInfo? {
        context.pointee.request.connection.isSecure ? context.pointee.request.connection.tls : nil
    }
}
