import Foundation

/// Phase 8's data: what one finished request gives to every CustomLog.
public enum AccessLogRecordBuilder {
    /// The record of a finished request, with the costly parts (``AccessLogFields``) only
    /// where `fields` asks for them; the others keep their empty defaults.
    /// - Parameter fields: the union of the configured formats' ``AccessLogFormat/fields``;
    ///   `.all` when the record goes further (an ISAPI filter's SF_NOTIFY_LOG).
    public static func record(
        _ context: RequestContext, response: Response, bytesSent: Int64, wireBytesSent: Int64? = nil,
        connection: AccessLogRecord.ConnectionStatus, serverPort: Int, fields: AccessLogFields = .all
    ) -> AccessLogRecord {
        var record = AccessLogRecord()
        fillIn(&record, context, response: response, bytesSent: bytesSent, wireBytesSent: wireBytesSent,
               connection: connection, serverPort: serverPort, fields: fields)
        return record
    }

    /// ``record(_:response:bytesSent:wireBytesSent:connection:serverPort:fields:)`` into a
    /// record the caller holds (a fresh `AccessLogRecord()`), for a context and response that
    /// live in a class (the connection's exchange). All three are `inout` so that nothing is
    /// copied: a by-value argument read from a class property is copied first (a
    /// `RequestContext` costs ~3k instructions, a `Response` ~300), and a returned record was
    /// copied on its way out (~25 reference counts and back). The context and response are
    /// not changed.
    public static func fill(
        _ record: inout AccessLogRecord, inPlace context: inout RequestContext, response: inout Response,
        bytesSent: Int64, wireBytesSent: Int64? = nil, connection: AccessLogRecord.ConnectionStatus, serverPort: Int,
        fields: AccessLogFields = .all
    ) {
        fillIn(&record, context, response: response, bytesSent: bytesSent, wireBytesSent: wireBytesSent,
               connection: connection, serverPort: serverPort, fields: fields)
    }

    /// Both functions above: inlined into each, so the `inout` one reads in place. Each
    /// field is set once over the record's default (an immortal literal or empty value).
    @inline(__always)
    private static func fillIn(
        _ r: inout AccessLogRecord, _ context: RequestContext, response: Response, bytesSent: Int64,
        wireBytesSent: Int64?, connection: AccessLogRecord.ConnectionStatus, serverPort: Int, fields: AccessLogFields
    ) {
        let nowMicroseconds = WallClock.microseconds()
        let started = context.request.receivedAtMicroseconds
        let startSeconds = started / 1_000_000
        r.remoteIP = context.request.connection.remoteAddress
        r.remotePort = context.request.connection.userAgentPort
        r.peerIP = context.request.connection.peerAddress
        r.localIP = context.request.connection.localAddress
        r.localPort = context.request.connection.localPort
        r.requestTimeSeconds = startSeconds
        r.requestTimeMicroseconds = started % 1_000_000
        if fields.contains(.localTime) { r.utcOffsetSeconds = LogTimeCache.shared.utcOffset(atSeconds: startSeconds) }
        r.protocolVersion = protocolName(context.request)
        // %r: a record that goes no further than the formats keeps the target, and %r
        // prints method, target and protocol one after the other (no line is put together).
        if fields.contains(.requestLine) {
            if context.request.method == "-" {
                r.requestLine = "-"
            } else if fields == .all {
                r.requestLine = requestLine(context.request, r.protocolVersion)
            } else {
                r.requestTarget = context.request.target
            }
        }
        r.method = context.request.method
        r.urlPath = context.originalPath ?? context.path
        if fields.contains(.query) { r.query = (context.originalQuery ?? context.query).map { "?" + $0 } ?? "" }
        r.originalStatus = response.status
        r.finalStatus = response.status
        r.bodyBytesSent = bytesSent
        r.bytesSent = wireBytesSent
        r.durationMicroseconds = max(0, nowMicroseconds - started)
        r.serverName = context.host.serverName ?? context.request.connection.localAddress
        r.requestServerName = fields.contains(.requestServerName)
            ? context.headers["Host"].flatMap(hostWithoutPort) ?? r.serverName : r.serverName
        r.canonicalPort = serverPort
        if fields.contains(.processID) { r.pid = processID }
        if fields.contains(.threadID) { r.threadID = UInt64(pthread_self()) }
        r.connectionStatus = connection
        r.filename = context.filePath
        r.handler = context.handler ?? "default-handler"
        r.keepAliveCount = context.request.connection.keepAliveCount
        if fields.contains(.requestHeaders) { r.requestHeaders = context.headers.entries }
        if fields.contains(.responseHeaders) { r.responseHeaders = response.headers.entries }
        if fields.contains(.notes) { r.notes = context.notes }
        if fields.contains(.environment) { r.environment = context.environmentWithTLS }
        // Not read on plain HTTP: the getter copies out of its box even when it is nil.
        if context.request.connection.isSecure { r.tls = context.request.connection.tls }
    }

    /// ``IncomingRequest/protocolName`` without formatting the usual versions.
    static func protocolName(_ request: IncomingRequest) -> String {
        switch (request.versionMajor, request.versionMinor) {
        case (1, 1): return "HTTP/1.1"
        case (1, 0): return "HTTP/1.0"
        default: return request.protocolName
        }
    }

    /// ``IncomingRequest/requestLine`` (`GET /x?y HTTP/1.1`) in one allocation.
    static func requestLine(_ request: IncomingRequest, _ protocolName: String) -> String {
        let parts = [request.method, request.target, protocolName]
        let length = parts.reduce(2) { $0 + $1.utf8.count }
        return String(unsafeUninitializedCapacity: length) { buffer in
            var at = 0
            for (index, part) in parts.enumerated() {
                if index > 0 {
                    buffer[at] = UInt8(ascii: " ")
                    at += 1
                }
                at = buffer[at...].initialize(fromContentsOf: part.utf8)
            }
            return at
        }
    }

    /// `%P`: asked of the kernel once. The serving process never forks (children are
    /// spawned, posix_spawn then exec, and start their own runtime), so it cannot change.
    static let processID: Int32 = getpid()

    /// `%V`: the Host header's name without its port (`[::1]:8080` → `[::1]`, `a.b:80` →
    /// `a.b`), as ``hostWithoutPortSplitting(_:)`` has it, without splitting into arrays
    /// for an ASCII header (a name of up to 15 bytes then needs no allocation at all).
    static func hostWithoutPort(_ header: String) -> String? {
        let utf8 = header.utf8
        // Beyond ASCII, Character boundaries (a combining mark after `:` or `]`) matter.
        guard utf8.allSatisfy({ $0 < 0x80 }) else { return hostWithoutPortSplitting(header) }
        if utf8.first == UInt8(ascii: "[") {
            guard let close = utf8.firstIndex(of: UInt8(ascii: "]")) else { return header + "]" }
            return String(header[...close])
        }
        // split(separator:) drops empty pieces: the first piece is the first non-empty one.
        guard let start = utf8.firstIndex(where: { $0 != UInt8(ascii: ":") }) else { return nil }
        let end = utf8[start...].firstIndex(of: UInt8(ascii: ":")) ?? utf8.endIndex
        if start == utf8.startIndex && end == utf8.endIndex { return header }
        return String(header[start..<end])
    }

    /// The reference: the first piece of the header split at `]` (then given its `]` back)
    /// for an IPv6 literal, else at `:`; nil for an empty header.
    static func hostWithoutPortSplitting(_ header: String) -> String? {
        guard !header.isEmpty else { return nil }
        if header.hasPrefix("[") { return header.split(separator: "]").first.map { $0 + "]" } }
        return header.split(separator: ":").first.map(String.init)
    }
}
