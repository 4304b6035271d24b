import Foundation
import Glibc

/// A response as read off a client socket.
struct RawResponse: Sendable {
    var status: Int
    var reason: String
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    var text: String { String(decoding: body, as: UTF8.self) }

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// Whether the server said it closes the connection after this response.
    var closes: Bool { header("Connection")?.lowercased() == "close" }
}

/// A blocking HTTP/1.1 client connection to 127.0.0.1 (10 s receive timeout).
final class RawClient: @unchecked Sendable {
    private let fd: Int32
    private var buffer: [UInt8] = []

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw RawClientError.connectFailed }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    func close() { _ = Glibc.close(fd) }

    /// Sends every byte; false when the server is gone.
    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            guard sent > 0 else { return false }
            offset += sent
        }
        return true
    }

    @discardableResult
    func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    /// The head of a request through the test proxy to `url`.
    static func head(
        _ url: String, follows: Bool = false, method: String = "GET", headers: [(String, String)] = [],
        contentLength: Int? = nil, chunked: Bool = false
    ) -> String {
        var text = "\(method) /front HTTP/1.1\r\nHost: www.example.test\r\nX-Test-Target: \(url)\r\n"
        if follows { text += "X-Test-Follow: 1\r\n" }
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        if let contentLength { text += "Content-Length: \(contentLength)\r\n" }
        if chunked { text += "Transfer-Encoding: chunked\r\n" }
        return text + "\r\n"
    }

    /// Sends a request through the test proxy and reads its answer.
    func exchange(
        _ url: String, follows: Bool = false, method: String = "GET", headers: [(String, String)] = [],
        body: [UInt8]? = nil, chunked: Bool = false
    ) throws -> RawResponse {
        let length = chunked ? nil : body.map(\.count)
        send(
            Self.head(url, follows: follows, method: method, headers: headers, contentLength: length, chunked: chunked))
        if let body {
            if chunked {
                var offset = 0
                while offset < body.count {
                    let piece = body[offset..<min(body.count, offset + 30_000)]
                    send(Array(String(piece.count, radix: 16).utf8) + [13, 10] + Array(piece) + [13, 10])
                    offset += piece.count
                }
                send("0\r\n\r\n")
            } else {
                send(body)
            }
        }
        return try readResponse(method: method)
    }

    /// Reads one response (Content-Length, chunked, or until the server closes).
    func readResponse(method: String = "GET") throws -> RawResponse {
        let head = try readHead()
        let lines = String(decoding: head, as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ", maxSplits: 2).map(String.init)
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw RawClientError.malformed }
        var response = RawResponse(
            status: status, reason: statusParts.count > 2 ? statusParts[2] : "", headers: [],
            body: [])
        for line in lines.dropFirst() where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { continue }
            response.headers.append(
                (String(line[..<colon]), String(line[line.index(after: colon)...].drop { $0 == " " })))
        }
        if method == "HEAD" || status == 204 || status == 304 || status < 200 { return response }
        if response.header("Transfer-Encoding")?.lowercased() == "chunked" {
            while true {
                let line = String(decoding: try readLine(), as: UTF8.self)
                guard let size = Int(line.prefix { $0 != ";" }, radix: 16) else { throw RawClientError.malformed }
                if size == 0 {
                    while try !readLine().isEmpty {}
                    return response
                }
                response.body += try read(size)
                _ = try readLine()
            }
        }
        if let length = response.header("Content-Length").flatMap({ Int($0) }) {
            response.body = try read(length)
            return response
        }
        while let more = receive() { buffer += more }
        response.body = buffer
        buffer = []
        return response
    }

    /// Some bytes as they arrive: nil at the end of the stream or after the timeout.
    func receive() -> [UInt8]? {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        return Array(chunk[..<count])
    }

    /// Whether the server closed the connection (within the receive timeout).
    func isClosedByServer() -> Bool {
        while let more = receive() { buffer += more }
        return true
    }

    func readHead() throws -> [UInt8] {
        while true {
            if let end = find([13, 10, 13, 10]) {
                let head = Array(buffer[..<end])
                buffer.removeFirst(end + 4)
                return head
            }
            guard let more = receive() else { throw RawClientError.closed }
            buffer += more
        }
    }

    private func readLine() throws -> [UInt8] {
        while true {
            if let end = find([13, 10]) {
                let line = Array(buffer[..<end])
                buffer.removeFirst(end + 2)
                return line
            }
            guard let more = receive() else { throw RawClientError.closed }
            buffer += more
        }
    }

    func read(_ count: Int) throws -> [UInt8] {
        while buffer.count < count {
            guard let more = receive() else { throw RawClientError.closed }
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
}

enum RawClientError: Error {
    case connectFailed
    case closed
    case malformed
}
