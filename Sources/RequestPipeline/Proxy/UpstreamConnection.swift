/// One upstream connection: its socket and a fixed 64 KiB buffer of bytes read from it
/// but not used yet. The buffer bounds the response head, chunk-size lines and each
/// piece of body relayed, so a response of any size passes through in constant memory.
final class UpstreamConnection: @unchecked Sendable {
    /// The response head may not exceed this (Apache's default LimitRequestFieldSize
    /// times a few lines is far less; 64 KiB is generous).
    static let bufferSize = 64 * 1024

    let socket: UpstreamSocket
    /// The pool key: lower-cased `host:port`.
    let key: String
    private let storage: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0
    /// How far `readHead` already looked for the end of the head.
    private var scanned = 0
    /// Whether any byte arrived for the current request (a stale reused connection fails
    /// before any did).
    private(set) var receivedAny = false
    /// Set when the connection may not serve another request whatever the upstream says
    /// (the request body was not sent in full).
    var mustClose = false

    init(socket: UpstreamSocket, key: String) {
        self.socket = socket
        self.key = key
        storage = .allocate(byteCount: Self.bufferSize, alignment: 8)
    }

    deinit { storage.deallocate() }

    var upstream: String { socket.upstream }

    /// Forgets what the previous request saw; a new request begins.
    func beginRequest() {
        receivedAny = false
        mustClose = false
    }

    func close() { socket.close() }

    /// The bytes read and not consumed yet.
    var buffered: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: storage[start..<end]) }

    /// Whether bytes arrived that no response used (the upstream sent more than it framed).
    var hasLeftover: Bool { end > start }

    func consume(_ count: Int) {
        start += count
        if start >= end {
            start = 0
            end = 0
        }
        scanned = 0
    }

    /// Reads more bytes after the buffered ones: false at the end of the stream, or when
    /// the buffer is full (the caller checks `buffered.count` against its limit).
    func fill() throws(ProxyFailure) -> Bool {
        if end == storage.count && start > 0 {
            let count = end - start
            UnsafeMutableRawBufferPointer(rebasing: storage[0..<count])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: storage[start..<end]))
            start = 0
            end = count
        }
        guard end < storage.count else { return false }
        let count = try socket.receive(into: UnsafeMutableRawBufferPointer(rebasing: storage[end...]))
        guard count > 0 else { return false }
        end += count
        receivedAny = true
        return true
    }

    /// The bytes of one response head up to and including its empty line (CRLF or bare
    /// LF line ends). Fails when it grows past the buffer or the stream ends first.
    func readHead() throws(ProxyFailure) -> [UInt8] {
        while true {
            if let length = headLength() {
                let head = Array(buffered[0..<length])
                consume(length)
                return head
            }
            if end - start >= storage.count {
                let message = "response head from upstream \(upstream) is larger than \(storage.count) bytes"
                throw ProxyFailure(kind: .badGateway, id: "IS03008", message: message)
            }
            guard try fill() else {
                if !receivedAny { throw .closed("closed the connection before answering", upstream: upstream) }
                throw .malformed("the connection closed inside the response head", upstream: upstream)
            }
        }
    }

    /// The length of the head in the buffer when its empty line has arrived.
    private func headLength() -> Int? {
        let bytes = buffered
        var index = max(0, scanned - 1)
        while index < bytes.count {
            if bytes[index] == 0x0A {
                if index + 1 < bytes.count && bytes[index + 1] == 0x0A { return index + 2 }
                if index + 2 < bytes.count && bytes[index + 1] == 0x0D && bytes[index + 2] == 0x0A { return index + 3 }
            }
            index += 1
        }
        scanned = max(0, bytes.count - 2)
        return nil
    }

    /// One line (a chunk size, a trailer field) without its line end; at most `limit` bytes.
    func readLine(limit: Int = 8192) throws(ProxyFailure) -> [UInt8] {
        while true {
            if let newline = buffered.firstIndex(of: 0x0A) {
                var line = Array(buffered[0..<newline])
                consume(newline + 1)
                if line.last == 0x0D { line.removeLast() }
                return line
            }
            if end - start >= min(limit, storage.count) {
                throw .malformed("a chunk line longer than \(limit) bytes", upstream: upstream)
            }
            guard try fill() else { throw .closed("closed the connection inside a chunked body", upstream: upstream) }
        }
    }
}
