import Foundation
import Glibc
import RequestPipeline

/// A request as the test upstream read it off the socket.
struct ReceivedRequest: Sendable {
    var method: String
    var target: String
    var version: String
    var headers: HeaderFields
    var body: [UInt8]
    var wasChunked: Bool
}

/// One connection the test upstream accepted, driven by the test's script.
final class UpstreamPeer: @unchecked Sendable {
    // Used by the script's thread only, except `shutdown()`; `isClosed` is guarded by
    // `lock`, so that no one shuts down a descriptor number already reused elsewhere.
    private let fd: Int32
    private let lock = NSLock()
    private var isClosed = false
    private var buffer: [UInt8] = []
    private let server: TestUpstream

    init(fd: Int32, server: TestUpstream) {
        self.fd = fd
        self.server = server
    }

    /// Reads one request, head and body (Content-Length or chunked), and records it;
    /// nil when the proxy closed the connection first.
    func readRequest() -> ReceivedRequest? {
        guard let head = readHead() else { return nil }
        let lines = String(decoding: head, as: UTF8.self).components(separatedBy: "\r\n").filter { !$0.isEmpty }
        guard let first = lines.first else { return nil }
        let parts = first.split(separator: " ").map(String.init)
        guard parts.count == 3 else { return nil }
        var headers = HeaderFields()
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.add(String(line[..<colon]), String(line[line.index(after: colon)...].drop { $0 == " " }))
        }
        var request = ReceivedRequest(method: parts[0], target: parts[1], version: parts[2], headers: headers,
                                      body: [], wasChunked: false)
        if headers["Transfer-Encoding"]?.lowercased() == "chunked" {
            request.wasChunked = true
            while true {
                guard let line = readLine(), let size = Int(line.prefix { $0 != ";" }, radix: 16) else {
                    return nil
                }
                if size == 0 {
                    while let trailer = readLine(), !trailer.isEmpty {}
                    break
                }
                guard let data = read(size), readLine() == "" else { return nil }
                request.body += data
            }
        } else if let length = headers["Content-Length"].flatMap({ Int($0) }), length > 0 {
            guard let data = read(length) else { return nil }
            request.body = data
        }
        server.record(request)
        return request
    }

    /// Sends bytes; false when the proxy is gone.
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

    /// Waits until the proxy closes its end (or `seconds` pass); true when it did.
    func waitForClose(seconds: Double = 5) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            guard let more = receive() else { return true }
            buffer += more
        }
        return false
    }

    /// Ends the connection both ways (the proxy sees the end of the stream).
    func shutdown() { lock.withLock { if !isClosed { _ = Glibc.shutdown(fd, Int32(SHUT_RDWR)) } } }

    func close() {
        lock.withLock {
            if !isClosed { _ = Glibc.close(fd) }
            isClosed = true
        }
    }

    private func readHead() -> [UInt8]? {
        while true {
            if let end = find([13, 10, 13, 10]) {
                let head = Array(buffer[..<end])
                buffer.removeFirst(end + 4)
                return head
            }
            guard let more = receive() else { return nil }
            buffer += more
        }
    }

    private func readLine() -> String? {
        while true {
            if let end = find([13, 10]) {
                let line = String(decoding: buffer[..<end], as: UTF8.self)
                buffer.removeFirst(end + 2)
                return line
            }
            guard let more = receive() else { return nil }
            buffer += more
        }
    }

    private func read(_ count: Int) -> [UInt8]? {
        while buffer.count < count {
            guard let more = receive() else { return nil }
            buffer += more
        }
        defer { buffer.removeFirst(count) }
        return Array(buffer[..<count])
    }

    private func find(_ pattern: [UInt8]) -> Int? {
        guard buffer.count >= pattern.count else { return nil }
        for index in 0...(buffer.count - pattern.count) where buffer[index] == pattern[0] {
            if buffer[index..<(index + pattern.count)].elementsEqual(pattern) { return index }
        }
        return nil
    }

    /// Some bytes, or nil at the end of the stream (or after 10 s of silence).
    private func receive() -> [UInt8]? {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        return Array(chunk[..<count])
    }
}

/// A scripted HTTP upstream on 127.0.0.1, port 0: every accepted connection runs the
/// script on a thread of its own; requests read are recorded.
final class TestUpstream: @unchecked Sendable {
    let port: Int
    private let listenFD: Int32
    // Guarded by `lock`.
    private let lock = NSLock()
    private var acceptedCount = 0
    private var recorded: [ReceivedRequest] = []
    private var peers: [UpstreamPeer] = []
    private var listenerClosed = false

    /// - Parameter script: runs for each connection with its 0-based index; the
    ///   connection closes when it returns.
    init(script: @escaping @Sendable (UpstreamPeer, Int) -> Void) {
        let listenFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(listenFD, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                precondition(bind(listenFD, generic, length) == 0, "bind failed")
                precondition(listen(listenFD, 16) == 0, "listen failed")
                precondition(getsockname(listenFD, generic, &length) == 0)
            }
        }
        self.listenFD = listenFD
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread.detachNewThread { [self] in
            while true {
                let fd = accept(listenFD, nil, nil)
                if fd < 0 {
                    if errno == EINTR { continue }
                    // stop() shut the socket down; only this thread closes it, so that no
                    // accept ever runs on a descriptor number reused by another test.
                    lock.withLock {
                        _ = Glibc.close(listenFD)
                        listenerClosed = true
                    }
                    return
                }
                var timeout = timeval(tv_sec: 10, tv_usec: 0)
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                let peer = UpstreamPeer(fd: fd, server: self)
                let index = lock.withLock { () -> Int in
                    acceptedCount += 1
                    peers.append(peer)
                    return acceptedCount - 1
                }
                Thread.detachNewThread {
                    script(peer, index)
                    peer.close()
                }
            }
        }
    }

    var url: String { "http://127.0.0.1:\(port)" }
    /// Connections accepted so far.
    var accepted: Int { lock.withLock { acceptedCount } }
    var requests: [ReceivedRequest] { lock.withLock { recorded } }

    func record(_ request: ReceivedRequest) { lock.withLock { recorded.append(request) } }

    /// Stops accepting and wakes every script blocked on its connection.
    func stop() {
        lock.withLock { if !listenerClosed { _ = Glibc.shutdown(listenFD, Int32(SHUT_RDWR)) } }
        for peer in lock.withLock({ peers }) { peer.shutdown() }
    }

    /// A port nothing listens on: bound, then closed.
    static func refusedPort() -> Int {
        let upstream = TestUpstream { _, _ in }
        upstream.stop()
        return upstream.port
    }
}

extension UpstreamPeer {
    /// Answers every request on the connection with `response` until the proxy closes it.
    func serve(_ response: @escaping (ReceivedRequest) -> String) {
        while let request = readRequest() {
            guard write(response(request)) else { return }
        }
    }
}

/// A response with a Content-Length body.
func httpResponse(_ status: String = "200 OK", _ body: String = "", headers: [String] = []) -> String {
    var text = "HTTP/1.1 \(status)\r\n"
    for header in headers { text += header + "\r\n" }
    return text + "Content-Length: \(body.utf8.count)\r\n\r\n" + body
}
