import Foundation
import Logging
import NIOCore
import NIOPosix
import RequestPipeline
import ServerConfig
import Testing

@testable import HTTPDaemon

/// Blocking handlers (what ISAPI extensions will be) on a real event loop and thread
/// pool over loopback: body in at the handler's pace, streamed and coalesced body out.
@Suite struct BlockingHandlerTests {
    /// Echoes the request body back, reading it in small pieces and writing each piece.
    struct Echo: BlockingHandler {
        func run(_ context: Shared<RequestContext>, channel: any ResponseChannel, pipeline: Pipeline) {
            guard channel.sendHead(status: 200, reason: nil, headers: ["Content-Type": "application/octet-stream"]) else { return }
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1000, alignment: 1)
            defer { buffer.deallocate() }
            while let count = channel.readBody(into: buffer), count > 0 {
                guard channel.sendBody(UnsafeRawBufferPointer(rebasing: buffer[0..<count])) else { return }
            }
            channel.finish(closeConnection: false)
        }
    }

    /// Many one-byte writes, the way real extensions write.
    struct TinyWrites: BlockingHandler {
        let count: Int
        func run(_ context: Shared<RequestContext>, channel: any ResponseChannel, pipeline: Pipeline) {
            _ = channel.sendHead(status: 201, reason: "Made", headers: [:])
            var byte: UInt8 = UInt8(ascii: "x")
            for _ in 0..<count {
                guard withUnsafeBytes(of: &byte, { channel.sendBody($0) }) else { return }
            }
            channel.finish(closeConnection: false)
        }
    }

    /// Sends nothing at all: the shell must answer 500.
    struct Silent: BlockingHandler {
        func run(_ context: Shared<RequestContext>, channel: any ResponseChannel, pipeline: Pipeline) {}
    }

    /// Maps `.blk` files to a handler by name.
    struct Route: RequestHandler {
        let handler: any BlockingHandler
        func handle(_ context: inout RequestContext, pipeline: Pipeline) -> Response { .handOff(handler) }
    }

    final class Server {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let pool = ExtensionPool(numberOfThreads: 4)
        let root = NSTemporaryDirectory() + "isapid-blocking-" + UUID().uuidString
        var channel: Channel!
        var port = 0

        init(handler: any BlockingHandler) throws {
            try FileManager.default.createDirectory(atPath: root + "/htdocs", withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: root + "/htdocs/x.blk", contents: Data())
            let configuration = try ConfigLoader.load(
                text: "ErrorLog logs/error_log\nAddHandler blocking .blk\n", serverRoot: root)
            let state = try ServingState(configuration: configuration, logFiles: LogFiles(),
                                         handlers: ["blocking": Route(handler: handler)])
            pool.start()
            let daemon = DaemonContext(state: state, threadPool: pool)
            channel = try ServerBootstrap(group: group)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try Daemon.addConnectionHandlers(to: channel.pipeline.syncOperations, state: state, daemon: daemon)
                    }
                }
                .bind(host: "127.0.0.1", port: 0).wait()
            port = channel.localAddress!.port!
        }

        deinit {
            try? channel.close().wait()
            try? group.syncShutdownGracefully()
            pool.shutDown(deadline: .distantFuture)
            try? FileManager.default.removeItem(atPath: root)
        }

        /// Sends raw bytes and reads until the server closes or `until` matches.
        func exchange(_ request: [UInt8], until done: ([UInt8]) -> Bool) throws -> [UInt8] {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(fd) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var timeout = timeval(tv_sec: 10, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            #expect(connected == 0)
            // Write from another thread: the server may answer while the body is still going in.
            let writer = Thread {
                var offset = 0
                while offset < request.count {
                    let sent = request[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                    if sent <= 0 { return }
                    offset += sent
                }
            }
            writer.start()
            var received: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 65536)
            while !done(received) {
                let count = recv(fd, &chunk, chunk.count, 0)
                if count <= 0 { break }
                received += chunk[0..<count]
            }
            return received
        }
    }

    static func dechunk(_ body: ArraySlice<UInt8>) -> [UInt8]? {
        var rest = body
        var out: [UInt8] = []
        while true {
            guard let lineEnd = rest.firstIndex(of: UInt8(ascii: "\r")) else { return nil }
            guard let size = Int(String(decoding: rest[rest.startIndex..<lineEnd], as: UTF8.self), radix: 16) else { return nil }
            rest = rest[(lineEnd + 2)...]
            if size == 0 { return out }
            guard rest.count >= size + 2 else { return nil }
            out += rest.prefix(size)
            rest = rest.dropFirst(size + 2)
        }
    }

    static func split(_ response: [UInt8]) -> (head: String, body: ArraySlice<UInt8>)? {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        guard let range = response.firstRange(of: separator) else { return nil }
        return (String(decoding: response[..<range.lowerBound], as: UTF8.self), response[range.upperBound...])
    }

    static func endsChunked(_ bytes: [UInt8]) -> Bool { bytes.suffix(5).elementsEqual(Array("0\r\n\r\n".utf8)) }

    @Test func echoesALargeBodyByteExactWithChunkedFraming() throws {
        let server = try Server(handler: Echo())
        let body = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let request = Array("POST /x.blk HTTP/1.1\r\nHost: t\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n".utf8) + body
        let response = try server.exchange(request, until: Self.endsChunked)
        let (head, rawBody) = try #require(Self.split(response))
        #expect(head.hasPrefix("HTTP/1.1 200 OK"))
        #expect(head.contains("Transfer-Encoding: chunked"))
        #expect(head.contains("Connection: close"))
        #expect(Self.dechunk(rawBody) == body)
    }

    @Test func chunkedRequestBodyReachesTheHandler() throws {
        let server = try Server(handler: Echo())
        let request = Array("POST /x.blk HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n".utf8)
        let response = try server.exchange(request, until: Self.endsChunked)
        let (_, rawBody) = try #require(Self.split(response))
        #expect(Self.dechunk(rawBody) == Array("hello world".utf8))
    }

    @Test func manyTinyWritesAreCoalesced() throws {
        let server = try Server(handler: TinyWrites(count: 20_000))
        let response = try server.exchange(Array("GET /x.blk HTTP/1.1\r\nHost: t\r\n\r\n".utf8), until: Self.endsChunked)
        let (head, rawBody) = try #require(Self.split(response))
        #expect(head.hasPrefix("HTTP/1.1 201 Made"))
        #expect(Self.dechunk(rawBody) == [UInt8](repeating: UInt8(ascii: "x"), count: 20_000))
        // One chunk per byte would be 20,000 chunks; coalescing makes far fewer.
        let chunks = rawBody.split(separator: UInt8(ascii: "\n")).count / 2
        #expect(chunks < 2_000)
    }

    @Test func keepAliveContinuesAfterAStreamedResponse() throws {
        let server = try Server(handler: Echo())
        let one = "POST /x.blk HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc"
        let two = "POST /x.blk HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nConnection: close\r\n\r\ndef"
        let response = try server.exchange(Array((one + two).utf8)) { bytes in
            String(decoding: bytes, as: UTF8.self).components(separatedBy: "0\r\n\r\n").count == 3
        }
        let text = String(decoding: response, as: UTF8.self)
        #expect(text.components(separatedBy: "HTTP/1.1 200 OK").count == 3)
        #expect(text.contains("3\r\nabc\r\n") && text.contains("3\r\ndef\r\n"))
    }

    @Test func aHandlerThatSendsNothingGets500() throws {
        let server = try Server(handler: Silent())
        let response = try server.exchange(Array("GET /x.blk HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".utf8)) { _ in false }
        #expect(String(decoding: response, as: UTF8.self).hasPrefix("HTTP/1.1 500 Internal Server Error"))
    }

    @Test func http10GetsAConnectionDelimitedBody() throws {
        let server = try Server(handler: TinyWrites(count: 10))
        let response = try server.exchange(Array("GET /x.blk HTTP/1.0\r\n\r\n".utf8)) { _ in false }
        let (head, body) = try #require(Self.split(response))
        #expect(head.contains("Connection: close"))
        #expect(!head.contains("Transfer-Encoding"))
        #expect(Array(body) == [UInt8](repeating: UInt8(ascii: "x"), count: 10))
    }
}
