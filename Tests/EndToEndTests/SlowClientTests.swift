import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Slow clients in small (bench/slow-clients.sh does it with slowhttptest): sockets that
/// trickle a request head or a body a byte at a time are cut off once Timeout has passed
/// since the head's first byte (the head) or since the body began (the body may take
/// longer only by sending at least 500 bytes a second), while a normal request on another
/// connection is answered at once.
@Suite struct SlowClientTests {
    /// One trickling connection: what it sent first, then one byte of `trickle` per tick.
    final class Trickler {
        let name: String
        let client: RawClient
        let trickle: UInt8
        var started = Date()
        var closedAfter: Double?

        init(_ name: String, _ daemon: DaemonProcess, first: String, trickle: Character) throws {
            self.name = name
            client = try daemon.connect()
            self.trickle = trickle.asciiValue!
            try client.send(first)
            started = Date()
        }

        /// Sends the next byte unless the server closed; notes when it did.
        func tick() {
            guard closedAfter == nil else { return }
            if client.waitForClose(timeout: 0.001) || (try? client.send([trickle])) == nil {
                closedAfter = Date().timeIntervalSince(started)
            }
        }
    }

    @Test func tricklingHeadsAndBodiesAreCutOffAfterTimeoutWhileOthersAreServed() throws {
        let timeout = 2.0
        let daemon = try ISAPITests.start(["echo"]) { root in
            ISAPITests.config(root, extra: "Timeout \(Int(timeout))\nKeepAliveTimeout 1")
        }
        var clients: [Trickler] = []
        for index in 0..<3 {
            clients.append(try Trickler("slow head \(index)", daemon,
                                        first: "GET /a.txt HTTP/1.1\r\nHost: localhost\r\nX-Slow: ", trickle: "a"))
        }
        clients.append(try Trickler("slow body (static file)", daemon,
                                    first: "GET /a.txt HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000\r\n\r\n",
                                    trickle: "b"))
        clients.append(try Trickler("slow body (echo.dll)", daemon,
                                    first: "POST /scripts/echo.dll HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000\r\n\r\n",
                                    trickle: "c"))
        let began = Date()
        var normalAnswered: Double?
        var normalStatus: Int?
        while Date().timeIntervalSince(began) < timeout + 4, clients.contains(where: { $0.closedAfter == nil }) {
            for client in clients { client.tick() }
            if normalStatus == nil && Date().timeIntervalSince(began) > timeout / 2 {
                // A normal client, while every trickler is still connected.
                let start = Date()
                normalStatus = try daemon.get("/b.txt").status
                normalAnswered = Date().timeIntervalSince(start)
            }
            usleep(200_000)  // 5 bytes a second per connection
        }
        #expect(normalStatus == 200)
        #expect((normalAnswered ?? 99) < 1, "the normal request took \(normalAnswered ?? -1) s")
        for client in clients {
            let closed = try #require(client.closedAfter, "\(client.name): still open after \(timeout + 4) s")
            #expect(closed >= timeout - 0.5 && closed <= timeout + 2, "\(client.name): closed after \(closed) s")
        }
        for client in clients.prefix(3) where !client.client.buffer.isEmpty {
            #expect(client.client.bufferText.hasPrefix("HTTP/1.1 408 "), "\(client.name): \(client.client.bufferText.prefix(80))")
        }
        #expect(daemon.isRunning)
        #expect(try daemon.get("/a.txt").status == 200)
    }
}
