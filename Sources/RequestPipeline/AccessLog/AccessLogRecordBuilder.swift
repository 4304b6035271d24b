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
        let request = context.request
        let nowMicroseconds = WallClock.microseconds()
        let started = request.receivedAtMicroseconds
        let startSeconds = started / 1_000_000
        let serverName = context.host.serverName ?? request.connection.localAddress
        var record = AccessLogRecord(
            remoteIP: request.connection.remoteAddress, remotePort: request.connection.userAgentPort,
            localIP: request.connection.localAddress, localPort: request.connection.localPort,
            requestTimeSeconds: startSeconds, requestTimeMicroseconds: started % 1_000_000,
            method: request.method, protocolVersion: protocolName(request),
            urlPath: context.originalPath ?? context.path,
            originalStatus: response.status, finalStatus: response.status,
            bodyBytesSent: bytesSent, bytesSent: wireBytesSent,
            durationMicroseconds: max(0, nowMicroseconds - started),
            serverName: serverName, requestServerName: serverName,
            canonicalPort: serverPort, connectionStatus: connection,
            filename: context.filePath, handler: context.handler ?? "default-handler",
            keepAliveCount: request.connection.keepAliveCount, tls: request.connection.tls)
        record.peerIP = request.connection.peerAddress
        if fields.contains(.localTime) { record.utcOffsetSeconds = LogTimeCache.shared.utcOffset(atSeconds: startSeconds) }
        if fields.contains(.requestLine) { record.requestLine = request.method == "-" ? "-" : requestLine(request, record.protocolVersion) }
        if fields.contains(.query) { record.query = (context.originalQuery ?? context.query).map { "?" + $0 } ?? "" }
        if fields.contains(.requestServerName), let host = context.headers["Host"].flatMap(hostWithoutPort) {
            record.requestServerName = host
        }
        if fields.contains(.processID) { record.pid = processID }
        if fields.contains(.threadID) { record.threadID = UInt64(pthread_self()) }
        if fields.contains(.requestHeaders) { record.requestHeaders = context.headers.entries.map { ($0.name, $0.value) } }
        if fields.contains(.responseHeaders) { record.responseHeaders = response.headers.entries.map { ($0.name, $0.value) } }
        if fields.contains(.notes) { record.notes = context.notes }
        if fields.contains(.environment) { record.environment = context.environmentWithTLS }
        return record
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
