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
    /// Requests left on this connection under MaxKeepAliveRequests, as Apache counts them
    /// (MaxKeepAliveRequests minus the ones kept alive before); nil for unlimited.
    let remainingRequests: Int?
    /// The request's Connection field has the `keep-alive` token (an HTTP/1.0 client that
    /// wants its connection kept, or any client that says so): a kept-alive answer then
    /// says `Keep-Alive: timeout=…, max=…` and `Connection: Keep-Alive`, as Apache's
    /// ap_set_keepalive answers it. To a request without the token (an HTTP/1.1 client's
    /// default) neither is sent, as from Apache.
    let answersKeepAlive: Bool
    /// False for an HTTP/0.9 request: its answer is the body alone, as Apache answers one
    /// (`assbackwards`), and the connection closes after it.
    let writesHead: Bool

    /// The status line, the fields and the blank line, copied straight into `out`'s memory
    /// after one capacity check for all of it: a ByteBuffer write per piece cost ~250
    /// instructions each, an intermediate array ~3k a head.
    func encode(status: Int, reason: String?, headers: HeaderFields, contentLength: Int64?, keepAlive: Bool,
                into out: inout ByteBuffer) {
        guard writesHead else { return }
        let reason = reason ?? StatusText.reason(status)
        let date = daemon.dateHeader()
        // The fixed text and the numbers take less than 200 bytes; the rest is counted.
        var bound = 200 + reason.utf8.count + date.utf8.count + serverHeader.utf8.count
        if let encoded = headers.encoded {
            bound += encoded.count
        } else {
            for (name, value) in headers { bound += name.utf8.count + value.utf8.count + 4 }
        }
        out.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { memory in
            var head = HeadBytes(memory)
            head.put("HTTP/1.1 ")
            head.put(decimal: Int64(status))
            head.put(" ")
            head.put(reason)
            head.put("\r\nDate: ")
            head.put(date)
            head.put("\r\nServer: ")
            head.put(serverHeader)
            head.put("\r\n")
            if let encoded = headers.encoded {
                // Encoded once for many responses (a static file's validators and type).
                head.put(encoded)
            } else {
                for (name, value) in headers {
                    head.put(name)
                    head.put(": ")
                    head.put(value)
                    head.put("\r\n")
                }
            }
            if let contentLength {
                head.put("Content-Length: ")
                head.put(decimal: contentLength)
                head.put("\r\n")
            }
            if keepAlive {
                if answersKeepAlive {
                    head.put("Keep-Alive: timeout=")
                    head.put(decimal: Int64(keepAliveTimeout))
                    if let remainingRequests {
                        head.put(", max=")
                        head.put(decimal: Int64(remainingRequests))
                    }
                    head.put("\r\nConnection: Keep-Alive\r\n")
                }
            } else {
                head.put("Connection: close\r\n")
            }
            head.put("\r\n")
            return head.count
        }
    }
}

/// Bytes copied one after another into memory known to be large enough (`encode`
/// counted it): no capacity check or reference count per piece.
private struct HeadBytes {
    let memory: UnsafeMutableRawBufferPointer
    private(set) var count = 0

    init(_ memory: UnsafeMutableRawBufferPointer) { self.memory = memory }

    mutating func put(_ text: StaticString) {
        copy(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    mutating func put(_ text: String) {
        // A native or small string's bytes in place: `withUTF8` on a copy of the string
        // cost a retain, a release and a mutability check per piece.
        if text.utf8.withContiguousStorageIfAvailable({ copy(UnsafeRawBufferPointer($0)) }) != nil { return }
        var text = text
        text.withUTF8 { copy(UnsafeRawBufferPointer($0)) }
    }

    mutating func put(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { copy($0) }
    }

    /// A status, a length or a count in decimal digits (at most 20; a negative one with its sign).
    mutating func put(decimal value: Int64) {
        guard value >= 0 else { return put(String(value)) }
        var divisor: Int64 = 1
        while divisor <= value / 10 { divisor *= 10 }
        var rest = value
        repeat {
            memory[count] = UInt8(truncatingIfNeeded: 48 + rest / divisor)
            count += 1
            rest %= divisor
            divisor /= 10
        } while divisor > 0
    }

    private mutating func copy(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        precondition(count + bytes.count <= memory.count, "response head larger than counted")
        (memory.baseAddress! + count).copyMemory(from: source, byteCount: bytes.count)
        count += bytes.count
    }
}
