import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RequestPipeline
import Testing

@testable import HTTPDaemon

/// The bridge between a handler's pool thread and the event loop, on its own: what a write
/// reports, and which keep-alive the head announces.
@Suite struct BlockingExchangeTests {
    /// An exchange on a real event loop whose writes never complete (a socket that has not
    /// drained yet); `written` collects what reached the "socket".
    final class Fixture: @unchecked Sendable {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let written = NIOLockedValueBox<[String]>([])
        /// The header fields of every head the exchange had encoded.
        let heads = NIOLockedValueBox<[HeaderFields]>([])
        let wrote = DispatchSemaphore(value: 0)
        /// How the response ended, once it did.
        let ending = NIOLockedValueBox<BlockingExchange.Ending?>(nil)
        var exchange: BlockingExchange!

        /// - Parameter writesComplete: whether the "socket" takes each write at once.
        init(writesComplete: Bool = false) {
            exchange = BlockingExchange(
                returns: LoopReturns(eventLoop: group.next()), allocator: ByteBufferAllocator(), requestIsBeforeHTTP11: false, isHead: false,
                keepAlive: true, connection: Socket(fixture: self, writesComplete: writesComplete))
        }

        /// The "socket": records what is written, completes writes or not. It keeps the
        /// fixture's boxes, not the fixture: the loop may call it after a test ends.
        final class Socket: BlockingExchangeConnection, @unchecked Sendable {
            let written: NIOLockedValueBox<[String]>
            let heads: NIOLockedValueBox<[HeaderFields]>
            let wrote: DispatchSemaphore
            let ending: NIOLockedValueBox<BlockingExchange.Ending?>
            let writesComplete: Bool

            init(fixture: Fixture, writesComplete: Bool) {
                written = fixture.written
                heads = fixture.heads
                wrote = fixture.wrote
                ending = fixture.ending
                self.writesComplete = writesComplete
            }

            func makeHead(status: Int, reason: String?, headers: HeaderFields, keepAlive: Bool) -> ByteBuffer {
                heads.withLockedValue { $0.append(headers) }
                return ByteBuffer(string: "head \(status) keepAlive=\(keepAlive)")
            }

            func writeParts(_ parts: [IOData], bodyBytes: Int, completion: @escaping @Sendable (Bool) -> Void) {
                written.withLockedValue { list in
                    for case .byteBuffer(let buffer) in parts { list.append(String(buffer: buffer)) }
                }
                wrote.signal()
                if writesComplete { completion(true) }
            }

            func resumeReading() {}
            func completed(_ ending: BlockingExchange.Ending) { self.ending.withLockedValue { $0 = ending } }
            func respondNormally(_ response: Response) {}
        }

        deinit { try? group.syncShutdownGracefully() }
    }

    /// The call's bytes were taken: TRUE, even though the client leaves while the call
    /// waits for room (it used to report the connection's state on waking: FALSE, 64).
    @Test func aWriteWhoseBytesWereTakenIsTrueThoughTheClientThenLeaves() throws {
        let fixture = Fixture()
        let exchange = fixture.exchange!
        #expect(exchange.sendHead(status: 200, reason: nil, headers: ["Content-Length": "\(1 << 20)"]))
        let result = NIOLockedValueBox<Bool?>(nil)
        let thread = Thread {
            let body = [UInt8](repeating: 0x62, count: BlockingExchange.outgoingHighWater)
            let accepted = body.withUnsafeBytes { exchange.sendBody($0) }
            result.withLockedValue { $0 = accepted }
        }
        thread.start()
        #expect(fixture.wrote.wait(timeout: .now() + 5) == .success, "nothing reached the socket")
        // The writer is blocked (a full outgoing buffer); now the client goes away.
        #expect(result.withLockedValue { $0 } == nil)
        try fixture.group.next().submit { exchange.connectionClosed() }.wait()
        #expect(eventually(timeout: 5) { result.withLockedValue { $0 } != nil })
        #expect(result.withLockedValue { $0 } == true)
        // The next call finds the client gone.
        let next = [UInt8](repeating: 0x62, count: 10).withUnsafeBytes { exchange.sendBody($0) }
        #expect(next == false)
    }

    /// The flush timer's hand-over of held writes never waits for room: it serves every
    /// session; the extension's next write waits instead.
    @Test func aTimersHandOverDoesNotWaitForRoom() throws {
        let fixture = Fixture()
        let exchange = fixture.exchange!
        #expect(exchange.sendHead(status: 200, reason: nil, headers: [:]))
        let body = [UInt8](repeating: 0x62, count: BlockingExchange.outgoingHighWater)
        #expect(body.withUnsafeBytes { exchange.sendBodyWithoutWaiting($0) })
        #expect(body.withUnsafeBytes { exchange.sendBodyWithoutWaiting($0) })
        #expect(exchange.bodyBytesSent == Int64(2 * body.count))
    }

    /// A close learnt after the head was encoded but before it left is announced in it.
    @Test func aHeadHeldBackAnnouncesACloseLearntMeanwhile() throws {
        let fixture = Fixture()
        let exchange = fixture.exchange!
        #expect(exchange.sendHead(status: 200, reason: nil, headers: [:]))
        #expect(exchange.keepsConnection)
        exchange.closeAfterResponse()
        #expect(!exchange.keepsConnection)
        let accepted = [UInt8](repeating: 0x62, count: 3).withUnsafeBytes { exchange.sendBody($0) }
        #expect(accepted)
        #expect(fixture.wrote.wait(timeout: .now() + 5) == .success)
        // The head leaves in one buffer with the first body bytes (their chunk behind it).
        let first = fixture.written.withLockedValue { $0.first } ?? ""
        #expect(first == "head 200 keepAlive=false3\r\nbbb\r\n", "\(first.debugDescription)")
    }

    /// A streamed chunked response ends with its last chunk, and the connection goes on.
    @Test func aChunkedResponseEndsWithItsLastChunk() throws {
        let fixture = Fixture(writesComplete: true)
        let exchange = fixture.exchange!
        #expect(exchange.sendHead(status: 200, reason: nil, headers: [:]))
        #expect([UInt8]("part".utf8).withUnsafeBytes { exchange.sendBody($0) })
        exchange.finish(closeConnection: false)
        #expect(eventually(timeout: 5) { fixture.ending.withLockedValue { $0 } != nil })
        let written = fixture.written.withLockedValue { $0 }.joined()
        #expect(written.contains("part\r\n"))
        #expect(written.hasSuffix("0\r\n\r\n"), "\(written.debugDescription)")
        #expect(fixture.ending.withLockedValue { $0 } == .written(keepAlive: true))
    }

    /// The handler's last bytes wait for the end it sends next: the head, the body and
    /// the last chunk leave in one write (one return to the event loop), not two.
    @Test func theLastBytesLeaveWithTheEnd() throws {
        let fixture = Fixture(writesComplete: true)
        let exchange = fixture.exchange!
        #expect(exchange.sendHead(status: 200, reason: nil, headers: [:]))
        #expect([UInt8]("last".utf8).withUnsafeBytes { exchange.sendBodyBeforeEnd($0) })
        #expect(fixture.written.withLockedValue { $0 }.isEmpty, "nothing leaves before the end")
        exchange.finish(closeConnection: false)
        #expect(eventually(timeout: 5) { fixture.ending.withLockedValue { $0 } != nil })
        #expect(fixture.written.withLockedValue { $0 } == ["head 200 keepAlive=true4\r\nlast\r\n0\r\n\r\n"])
        #expect(fixture.ending.withLockedValue { $0 } == .written(keepAlive: true))
        #expect(exchange.bodyBytesSent == 4)
    }

    /// A handler's own `Connection: close` is honoured and not sent twice.
    @Test func aHandlersConnectionCloseIsHonoured() throws {
        let fixture = Fixture()
        let exchange = fixture.exchange!
        #expect(exchange.sendHead(status: 200, reason: nil, headers: ["Connection": "close", "Content-Length": "0"]))
        #expect(!exchange.keepsConnection)
        #expect(!exchange.responseHeaders.contains("Connection"))
    }

    /// Date, Server, Keep-Alive and Connection are the connection's own fields: a
    /// handler's are not sent beside them (REDbot: "Only one Date field is allowed").
    @Test func aHandlersDateServerAndKeepAliveFieldsAreDropped() throws {
        let fixture = Fixture()
        let exchange = fixture.exchange!
        #expect(exchange.sendHead(status: 200, reason: nil, headers: HeaderFields([
            (name: "date", value: "Tue, 01 Jan 2000 00:00:00 GMT"), (name: "X-App", value: "1"),
            (name: "Server", value: "probe/1"), (name: "Keep-Alive", value: "timeout=99"),
            (name: "Connection", value: "keep-alive"), (name: "Content-Length", value: "0"),
        ])))
        #expect(exchange.keepsConnection)
        #expect(exchange.responseHeaders.map(\.name) == ["X-App", "Content-Length"])
        #expect(fixture.heads.withLockedValue { $0.map { $0.map(\.name) } } == [["X-App", "Content-Length"]])
    }

    /// A 204 or 304 ends at its head (RFC 9112 §6.3): the handler's body bytes are taken
    /// (its call succeeds) and dropped, its framing fields too, and the connection goes on.
    @Test(arguments: [204, 304])
    func aStatusWithoutBodyEndsAtItsHead(_ status: Int) throws {
        let fixture = Fixture(writesComplete: true)
        let exchange = fixture.exchange!
        #expect(exchange.sendHead(status: status, reason: nil, headers: HeaderFields([
            (name: "Content-Type", value: "text/plain"), (name: "Content-Length", value: "17"),
            (name: "Transfer-Encoding", value: "chunked"),
        ])))
        #expect(exchange.responseHeaders.map(\.name) == ["Content-Type"])
        #expect([UInt8]("should not appear".utf8).withUnsafeBytes { exchange.sendBody($0) })
        exchange.finish(closeConnection: false)
        #expect(eventually(timeout: 5) { fixture.ending.withLockedValue { $0 } != nil })
        #expect(fixture.written.withLockedValue { $0 }.joined() == "head \(status) keepAlive=true")
        #expect(fixture.ending.withLockedValue { $0 } == .written(keepAlive: true))
        #expect(exchange.bodyBytesSent == 0)
    }

    /// Bytes beyond the Content-Length the head announced never reach the client (they
    /// would read as the start of the next response); the exchange ends broken (a close).
    @Test func bytesBeyondTheAnnouncedLengthDoNotLeave() throws {
        let fixture = Fixture(writesComplete: true)
        let exchange = fixture.exchange!
        #expect(exchange.sendHead(status: 200, reason: nil, headers: ["Content-Length": "3"]))
        #expect([UInt8]("ab".utf8).withUnsafeBytes { exchange.sendBody($0) })
        #expect([UInt8]("cdef".utf8).withUnsafeBytes { exchange.sendBody($0) })
        #expect([UInt8]("gh".utf8).withUnsafeBytes { exchange.sendBody($0) })
        exchange.finish(closeConnection: false)
        #expect(eventually(timeout: 5) { fixture.ending.withLockedValue { $0 } != nil })
        #expect(fixture.written.withLockedValue { $0 }.joined() == "head 200 keepAlive=trueabc")
        #expect(fixture.ending.withLockedValue { $0 } == .broken)
    }

    /// A body exactly as long as announced ends the exchange normally.
    @Test func aBodyOfTheAnnouncedLengthKeepsTheConnection() throws {
        let fixture = Fixture(writesComplete: true)
        let exchange = fixture.exchange!
        #expect(exchange.sendHead(status: 200, reason: nil, headers: ["Content-Length": "3"]))
        #expect([UInt8]("abc".utf8).withUnsafeBytes { exchange.sendBody($0) })
        exchange.finish(closeConnection: false)
        #expect(eventually(timeout: 5) { fixture.ending.withLockedValue { $0 } != nil })
        #expect(fixture.written.withLockedValue { $0 }.joined() == "head 200 keepAlive=trueabc")
        #expect(fixture.ending.withLockedValue { $0 } == .written(keepAlive: true))
    }
}

/// Polls `condition` until it holds or `timeout` seconds pass (the HTTPDaemonTests share it).
func eventually(timeout: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if condition() { return true }
        usleep(10_000)
    }
    return condition()
}
