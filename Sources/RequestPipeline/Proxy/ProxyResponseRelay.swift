/// Streams an upstream response body to a sink through the connection's buffer:
/// Content-Length bodies exactly, chunked ones decoded, others until the upstream closes.
enum ProxyResponseRelay {
    enum Outcome: Equatable {
        /// The body was read to its end (the connection may serve another request).
        case complete
        /// The sink refused bytes (the client went away): the rest was not read.
        case stopped
        /// The upstream failed or broke the framing.
        case failed(ProxyFailure)
    }

    /// Passes the body to `sink` in pieces; `sink` returns false to stop.
    static func stream(_ framing: ResponseBodyFraming, from connection: UpstreamConnection,
                       to sink: (UnsafeRawBufferPointer) -> Bool) -> Outcome {
        do throws(ProxyFailure) {
            switch framing {
            case .none:
                return .complete
            case .length(let length):
                return try relay(length, from: connection, to: sink) ? .complete : .stopped
            case .untilClose:
                while true {
                    if connection.buffered.isEmpty {
                        guard try connection.fill() else { return .complete }
                    }
                    let piece = connection.buffered
                    guard sink(piece) else { return .stopped }
                    connection.consume(piece.count)
                }
            case .chunked:
                return try relayChunks(from: connection, to: sink) ? .complete : .stopped
            }
        } catch {
            return .failed(error)
        }
    }

    /// Exactly `length` bytes; false when the sink stopped.
    private static func relay(_ length: Int64, from connection: UpstreamConnection,
                              to sink: (UnsafeRawBufferPointer) -> Bool) throws(ProxyFailure) -> Bool {
        var remaining = length
        while remaining > 0 {
            if connection.buffered.isEmpty {
                guard try connection.fill() else {
                    throw .closed("closed the connection after \(length - remaining) of \(length) body bytes",
                                  upstream: connection.upstream)
                }
            }
            let piece = UnsafeRawBufferPointer(rebasing: connection.buffered.prefix(Int(clamping: remaining)))
            guard sink(piece) else { return false }
            connection.consume(piece.count)
            remaining -= Int64(piece.count)
        }
        return true
    }

    /// A chunked body, decoded: sizes (extensions ignored), data, and the trailer
    /// section, which is read and dropped.
    private static func relayChunks(from connection: UpstreamConnection,
                                    to sink: (UnsafeRawBufferPointer) -> Bool) throws(ProxyFailure) -> Bool {
        while true {
            let line = try connection.readLine()
            guard let size = chunkSize(line) else {
                throw .malformed("a bad chunk size line", upstream: connection.upstream)
            }
            if size == 0 {
                while try !connection.readLine().isEmpty {}
                return true
            }
            guard try relay(size, from: connection, to: sink) else { return false }
            guard try connection.readLine().isEmpty else {
                throw .malformed("no line end after a chunk", upstream: connection.upstream)
            }
        }
    }

    /// The hex size before any `;extension`; nil when malformed or absurdly large.
    static func chunkSize(_ line: [UInt8]) -> Int64? {
        var digits = line.prefix { $0 != UInt8(ascii: ";") }[...]
        while let last = digits.last, last == 0x20 || last == 0x09 { digits.removeLast() }
        guard !digits.isEmpty, digits.count <= 15 else { return nil }
        var size: Int64 = 0
        for byte in digits {
            let value: UInt8
            switch byte {
            case 48...57: value = byte - 48
            case 65...70: value = byte - 55
            case 97...102: value = byte - 87
            default: return nil
            }
            size = size * 16 + Int64(value)
        }
        return size
    }
}
