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
        var context = context
        var response = response
        fill(&record, inPlace: &context, response: &response, bytesSent: bytesSent, wireBytesSent: wireBytesSent,
             connection: connection, serverPort: serverPort, fields: fields)
        return record
    }

    /// ``record(_:response:bytesSent:wireBytesSent:connection:serverPort:fields:)`` into a
    /// record the caller holds (a fresh `AccessLogRecord()`), for a context and response that
    /// live in a class (the connection's exchange). All three are `inout` so that nothing is
    /// copied: a by-value argument read from a class property is copied first (a
    /// `RequestContext` costs ~3k instructions, a `Response` ~300), and a returned record was
    /// copied on its way out (~25 reference counts and back). The context and response are
    /// not changed. Each value is ``LiveAccessLogValues``'s; each field is set once over the
    /// record's default (an immortal literal or empty value).
    public static func fill(
        _ record: inout AccessLogRecord, inPlace context: inout RequestContext, response: inout Response,
        bytesSent: Int64, wireBytesSent: Int64? = nil, connection: AccessLogRecord.ConnectionStatus, serverPort: Int,
        fields: AccessLogFields = .all
    ) {
        LiveAccessLogValues.withValues(
            of: &context, response: &response, bytesSent: bytesSent, wireBytesSent: wireBytesSent,
            connection: connection, serverPort: serverPort
        ) { v in
            let started = v.requestStartMicroseconds
            record.remoteIP = v.remoteIP
            record.remotePort = v.remotePort
            record.peerIP = v.peerIP
            record.localIP = v.localIP
            record.localPort = v.localPort
            record.requestTimeSeconds = started / 1_000_000
            record.requestTimeMicroseconds = started % 1_000_000
            if fields.contains(.localTime) { record.utcOffsetSeconds = v.utcOffsetSeconds }
            record.protocolVersion = v.protocolVersion
            // %r: a record that goes no further than the formats keeps the target, and %r
            // prints method, target and protocol one after the other (no line is put together).
            if fields.contains(.requestLine) {
                if let target = v.requestTarget {
                    if fields == .all {
                        record.requestLine = requestLine(v.method, target, record.protocolVersion)
                    } else {
                        record.requestTarget = target
                    }
                } else {
                    record.requestLine = v.requestLine
                }
            }
            record.method = v.method
            record.urlPath = v.urlPath
            if fields.contains(.query) { record.query = v.query }
            record.originalStatus = v.originalStatus
            record.finalStatus = v.finalStatus
            record.bodyBytesSent = v.bodyBytesSent
            record.bytesSent = v.bytesSent
            record.durationMicroseconds = v.durationMicroseconds
            record.serverName = v.serverName
            record.requestServerName = fields.contains(.requestServerName) ? v.requestServerName : record.serverName
            record.canonicalPort = v.canonicalPort
            if fields.contains(.processID) { record.pid = v.pid }
            if fields.contains(.threadID) { record.threadID = v.threadID }
            record.connectionStatus = v.connectionStatus
            record.filename = v.filename
            record.handler = v.handler
            record.keepAliveCount = v.keepAliveCount
            if fields.contains(.requestHeaders) { record.requestHeaders = v.requestHeaders }
            if fields.contains(.responseHeaders) { record.responseHeaders = v.responseHeaders }
            if fields.contains(.notes) { record.notes = v.notes }
            if fields.contains(.environment) { record.environment = v.environment }
            if let tls = v.tls { record.tls = tls }
        }
    }

    /// ``IncomingRequest/protocolName`` without formatting the usual versions. Given the
    /// two numbers, not the request: a request read through a pointer is copied whole
    /// to be passed.
    static func protocolName(major: Int, minor: Int) -> String {
        switch (major, minor) {
        case (1, 1): return "HTTP/1.1"
        case (1, 0): return "HTTP/1.0"
        default: return IncomingRequest.protocolName(major: major, minor: minor)
        }
    }

    /// Whether `%r` ends with the protocol: an HTTP/0.9 request line names none
    /// (``IncomingRequest/requestLine``).
    @inline(__always)
    static func requestLineNamesVersion(_ protocolName: String) -> Bool { protocolName != "HTTP/0.9" }

    /// ``IncomingRequest/requestLine`` (`GET /x?y HTTP/1.1`) in one allocation.
    static func requestLine(_ method: String, _ target: String, _ protocolName: String) -> String {
        let parts = requestLineNamesVersion(protocolName) ? [method, target, protocolName] : [method, target]
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
