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
        build(context, response: response, bytesSent: bytesSent, wireBytesSent: wireBytesSent,
              connection: connection, serverPort: serverPort, fields: fields)
    }

    /// ``record(_:response:bytesSent:wireBytesSent:connection:serverPort:fields:)`` for a
    /// context that lives in a class (the connection's exchange): `inout` only so that it is
    /// read in place; a by-value argument read from a class property is copied first (a
    /// `RequestContext` copy costs ~3k instructions). Nothing in it is changed.
    public static func record(
        inPlace context: inout RequestContext, response: Response, bytesSent: Int64, wireBytesSent: Int64? = nil,
        connection: AccessLogRecord.ConnectionStatus, serverPort: Int, fields: AccessLogFields = .all
    ) -> AccessLogRecord {
        build(context, response: response, bytesSent: bytesSent, wireBytesSent: wireBytesSent,
              connection: connection, serverPort: serverPort, fields: fields)
    }

    /// Both `record` functions: inlined into each, so the `inout` one reads in place.
    @inline(__always)
    private static func build(
        _ context: RequestContext, response: Response, bytesSent: Int64, wireBytesSent: Int64?,
        connection: AccessLogRecord.ConnectionStatus, serverPort: Int, fields: AccessLogFields
    ) -> AccessLogRecord {
        let request = context.request
        let nowMicroseconds = WallClock.microseconds()
        let started = request.receivedAtMicroseconds
        let startSeconds = started / 1_000_000
        let serverName = context.host.serverName ?? request.connection.localAddress
        let protocolVersion = protocolName(request)
        // %r: a record that goes no further than the formats keeps the target, and %r
        // prints method, target and protocol one after the other (no line is put together).
        let line: (whole: String, target: String?) =
            !fields.contains(.requestLine) ? ("", nil)
            : request.method == "-" ? ("-", nil)
            : fields == .all ? (requestLine(request, protocolVersion), nil)
            : ("", request.target)
        // Every field is worked out first and the record is built in one initializer call
        // and returned: a record assembled by later mutations was copied on its way out.
        return AccessLogRecord(
            remoteIP: request.connection.remoteAddress, remotePort: request.connection.userAgentPort,
            peerIP: request.connection.peerAddress,
            localIP: request.connection.localAddress, localPort: request.connection.localPort,
            requestTimeSeconds: startSeconds, requestTimeMicroseconds: started % 1_000_000,
            utcOffsetSeconds: fields.contains(.localTime) ? LogTimeCache.shared.utcOffset(atSeconds: startSeconds) : 0,
            requestLine: line.whole, requestTarget: line.target,
            method: request.method, protocolVersion: protocolVersion,
            urlPath: context.originalPath ?? context.path,
            query: fields.contains(.query) ? (context.originalQuery ?? context.query).map { "?" + $0 } ?? "" : "",
            originalStatus: response.status, finalStatus: response.status,
            bodyBytesSent: bytesSent, bytesSent: wireBytesSent,
            durationMicroseconds: max(0, nowMicroseconds - started),
            serverName: serverName,
            requestServerName: fields.contains(.requestServerName)
                ? context.headers["Host"].flatMap(hostWithoutPort) ?? serverName : serverName,
            canonicalPort: serverPort,
            pid: fields.contains(.processID) ? processID : 0,
            threadID: fields.contains(.threadID) ? UInt64(pthread_self()) : 0,
            connectionStatus: connection,
            filename: context.filePath, handler: context.handler ?? "default-handler",
            keepAliveCount: request.connection.keepAliveCount,
            requestHeaders: fields.contains(.requestHeaders) ? context.headers.entries.map { ($0.name, $0.value) } : [],
            responseHeaders: fields.contains(.responseHeaders) ? response.headers.entries.map { ($0.name, $0.value) } : [],
            notes: fields.contains(.notes) ? context.notes : [:],
            environment: fields.contains(.environment) ? context.environmentWithTLS : [:],
            tls: request.connection.tls)
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
