import NIOCore
import RequestPipeline

/// What every response head carries besides the response's own headers: Date, Server,
/// Content-Length and the keep-alive headers, written straight into bytes (isapid frames
/// its responses itself: no HTTP encoder sits in the channel). Immutable, so a pool
/// thread can encode a blocking handler's head as well as the event loop can.
struct ResponseHeadContext: Sendable {
    let daemon: DaemonContext
    let serverHeader: String
    let keepAliveTimeout: Int
    /// Requests left on this connection under MaxKeepAliveRequests; nil for unlimited.
    let remainingRequests: Int?
    let isHTTP10: Bool

    /// The status line, the fields and the blank line.
    func encode(status: Int, reason: String?, headers: HeaderFields, contentLength: Int64?, keepAlive: Bool,
                into out: inout ByteBuffer) {
        var head = LogLineWriter(capacity: 384)
        head.append("HTTP/1.1 " as StaticString)
        head.appendDecimal(Int64(status))
        head.append(byte: UInt8(ascii: " "))
        head.append(reason ?? StatusText.reason(status))
        head.append("\r\n" as StaticString)
        Self.appendField("Date", daemon.dateHeader(), to: &head)
        Self.appendField("Server", serverHeader, to: &head)
        if let encoded = headers.encoded {
            // Encoded once for many responses (a static file's validators and type).
            head.bytes.append(contentsOf: encoded)
        } else {
            for (name, value) in headers { Self.appendField(name, value, to: &head) }
        }
        if let contentLength {
            head.append("Content-Length: " as StaticString)
            head.appendDecimal(contentLength)
            head.append("\r\n" as StaticString)
        }
        if keepAlive {
            head.append("Keep-Alive: timeout=" as StaticString)
            head.appendDecimal(Int64(keepAliveTimeout))
            if let remainingRequests {
                head.append(", max=" as StaticString)
                head.appendDecimal(Int64(remainingRequests))
            }
            head.append("\r\n" as StaticString)
            if isHTTP10 { head.append("Connection: Keep-Alive\r\n" as StaticString) }
        } else {
            head.append("Connection: close\r\n" as StaticString)
        }
        head.append("\r\n" as StaticString)
        out.writeBytes(head.bytes)
    }

    private static func appendField(_ name: String, _ value: String, to head: inout LogLineWriter) {
        head.append(name)
        head.append(": " as StaticString)
        head.append(value)
        head.append("\r\n" as StaticString)
    }
}
