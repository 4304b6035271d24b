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
        var bytes: [UInt8] = []
        bytes.reserveCapacity(384)
        bytes += "HTTP/1.1 ".utf8
        ResponseHeadBytes.appendDecimal(Int64(status), to: &bytes)
        bytes.append(UInt8(ascii: " "))
        bytes += (reason ?? StatusText.reason(status)).utf8
        bytes += "\r\n".utf8
        ResponseHeadBytes.appendField("Date", daemon.dateHeader(), to: &bytes)
        ResponseHeadBytes.appendField("Server", serverHeader, to: &bytes)
        for (name, value) in headers { ResponseHeadBytes.appendField(name, value, to: &bytes) }
        if let contentLength {
            bytes += "Content-Length: ".utf8
            ResponseHeadBytes.appendDecimal(contentLength, to: &bytes)
            bytes += "\r\n".utf8
        }
        if keepAlive {
            bytes += "Keep-Alive: timeout=".utf8
            ResponseHeadBytes.appendDecimal(Int64(keepAliveTimeout), to: &bytes)
            if let remainingRequests {
                bytes += ", max=".utf8
                ResponseHeadBytes.appendDecimal(Int64(remainingRequests), to: &bytes)
            }
            bytes += "\r\n".utf8
            if isHTTP10 { bytes += "Connection: Keep-Alive\r\n".utf8 }
        } else {
            bytes += "Connection: close\r\n".utf8
        }
        bytes += "\r\n".utf8
        out.writeBytes(bytes)
    }
}

enum ResponseHeadBytes {
    static func appendField(_ name: String, _ value: String, to bytes: inout [UInt8]) {
        bytes += name.utf8
        bytes += ": ".utf8
        bytes += value.utf8
        bytes += "\r\n".utf8
    }

    /// The decimal digits of a value, without making a String.
    static func appendDecimal(_ value: Int64, to bytes: inout [UInt8]) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var rest = value.magnitude
        let start = bytes.count
        repeat {
            bytes.append(UInt8(ascii: "0") + UInt8(rest % 10))
            rest /= 10
        } while rest > 0
        bytes[start...].reverse()
    }
}
