import Foundation

/// Phase 8's data: what one finished request gives to every CustomLog.
public enum AccessLogRecordBuilder {
    public static func record(
        _ context: RequestContext, response: Response, bytesSent: Int64, wireBytesSent: Int64? = nil,
        connection: AccessLogRecord.ConnectionStatus, serverPort: Int
    ) -> AccessLogRecord {
        let request = context.request
        let nowMicroseconds = WallClock.microseconds()
        let started = request.receivedAtMicroseconds
        let startSeconds = started / 1_000_000
        var record = AccessLogRecord(
            remoteIP: request.connection.remoteAddress, remotePort: request.connection.userAgentPort,
            localIP: request.connection.localAddress, localPort: request.connection.localPort,
            requestTimeSeconds: startSeconds, requestTimeMicroseconds: started % 1_000_000,
            utcOffsetSeconds: ErrorLogLine.localUTCOffset(atSeconds: startSeconds),
            requestLine: request.method == "-" ? "-" : request.requestLine, method: request.method,
            protocolVersion: request.protocolName,
            urlPath: context.originalPath ?? context.path,
            query: (context.originalQuery ?? context.query).map { "?" + $0 } ?? "",
            originalStatus: response.status, finalStatus: response.status,
            bodyBytesSent: bytesSent, bytesSent: wireBytesSent,
            durationMicroseconds: max(0, nowMicroseconds - started),
            serverName: context.host.serverName ?? request.connection.localAddress,
            requestServerName: context.headers["Host"].flatMap { hostWithoutPort($0) }
                ?? context.host.serverName ?? request.connection.localAddress,
            canonicalPort: serverPort, pid: getpid(), threadID: UInt64(pthread_self()),
            connectionStatus: connection,
            filename: context.filePath, handler: context.handler ?? "default-handler",
            keepAliveCount: request.connection.keepAliveCount,
            requestHeaders: context.headers.entries.map { ($0.name, $0.value) },
            responseHeaders: response.headers.entries.map { ($0.name, $0.value) },
            notes: context.notes, environment: context.environmentWithTLS, tls: request.connection.tls)
        record.peerIP = request.connection.peerAddress
        return record
    }

    private static func hostWithoutPort(_ header: String) -> String? {
        guard !header.isEmpty else { return nil }
        if header.hasPrefix("[") { return header.split(separator: "]").first.map { $0 + "]" } }
        return header.split(separator: ":").first.map(String.init)
    }
}
