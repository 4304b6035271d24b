import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// An upstream on 127.0.0.1:0 for reverse-proxy tests: each connection runs `script` on a
/// thread of its own with a `GatedConnection`, which can read a request, write, and wait
/// until the test opens the gate (an upstream that answers only when the test says so).
/// It counts the request heads and body bytes it read, for tests to wait on.
final class GatedUpstream: @unchecked Sendable {
    let port: Int
    private let listenFD: Int32
    // Guarded by `condition`.
    private let condition = NSCondition()
    private var isOpen = false
    private var heads = 0
    private var bodyBytes = 0
    private var connections: [Int32] = []
    private var stopped = false

    init(_ script: @escaping @Sendable (GatedConnection) -> Void) throws {
        listenFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let fd = listenFD
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(fd, generic, length) == 0 && listen(fd, 128) == 0 && getsockname(fd, generic, &length) == 0
            }
        }
        guard bound else { throw E2EError("GatedUpstream: cannot listen") }
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread.detachNewThread { [self] in
            while true {
                let connection = accept(fd, nil, nil)
                if connection < 0 {
                    if errno == EINTR { continue }
                    return
                }
                condition.withLock { connections.append(connection) }
                Thread.detachNewThread {
                    script(GatedConnection(fd: connection, upstream: self))
                    _ = Glibc.shutdown(connection, Int32(SHUT_RDWR))
                }
            }
        }
    }

    /// Request heads read so far.
    var headsRead: Int { condition.withLock { heads } }
    /// Request body bytes read so far.
    var bodyBytesRead: Int { condition.withLock { bodyBytes } }

    /// Lets every connection waiting at the gate (and every later one) go on.
    func open() {
        condition.withLock {
            isOpen = true
            condition.broadcast()
        }
    }

    /// Stops accepting, opens the gate and ends every connection.
    func stop() {
        let open = condition.withLock { () -> [Int32] in
            stopped = true
            isOpen = true
            condition.broadcast()
            return connections
        }
        _ = Glibc.shutdown(listenFD, Int32(SHUT_RDWR))
        _ = Glibc.close(listenFD)
        for fd in open { _ = Glibc.shutdown(fd, Int32(SHUT_RDWR)) }
    }

    fileprivate func waitForGate() {
        condition.withLock {
            while !isOpen { condition.wait() }
        }
    }

    fileprivate func noteHead() { condition.withLock { heads += 1 } }
    fileprivate func noteBody(_ count: Int) { condition.withLock { bodyBytes += count } }
}

/// One connection to a `GatedUpstream`, used by its script's thread.
final class GatedConnection: @unchecked Sendable {
    private let fd: Int32
    private let upstream: GatedUpstream
    private var buffer: [UInt8] = []

    fileprivate init(fd: Int32, upstream: GatedUpstream) {
        self.fd = fd
        self.upstream = upstream
    }

    /// Reads a request head; its Content-Length (0 without one), or nil when the proxy closed.
    func readHead() -> Int? {
        while true {
            if let end = HTTPResponseParser.find(Array("\r\n\r\n".utf8), in: buffer, from: 0) {
                let head = String(decoding: buffer[..<end], as: UTF8.self)
                buffer.removeFirst(end + 4)
                upstream.noteHead()
                for line in head.split(separator: "\r\n") where line.lowercased().hasPrefix("content-length:") {
                    return Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) ?? 0
                }
                return 0
            }
            guard receive() else { return nil }
        }
    }

    /// Reads and counts `count` body bytes; false when the proxy closed first.
    func readBody(_ count: Int) -> Bool {
        var remaining = count
        while remaining > 0 {
            if buffer.isEmpty && !receive() { return false }
            let taken = min(remaining, buffer.count)
            buffer.removeFirst(taken)
            remaining -= taken
            upstream.noteBody(taken)
        }
        return true
    }

    func waitForGate() { upstream.waitForGate() }

    @discardableResult
    func write(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { return false }
            offset += sent
        }
        return true
    }

    @discardableResult
    func write(_ text: String) -> Bool { write(Array(text.utf8)) }

    private func receive() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return false }
        buffer += chunk[..<count]
        return true
    }
}
