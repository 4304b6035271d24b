import Foundation
@testable import HTTPDaemon
import Logging
import NIOCore
import NIOEmbedded
import Testing

/// The observer in a channel: every byte passes through unchanged in both directions, and
/// the facts are there once the server's hello has gone by.
@Suite struct TLSHelloObserverChannelTests {
    typealias B = TLSBytes

    @Test func bytesPassThroughUnchangedAndTheHelloIsObserved() throws {
        let observer = TLSHelloObserver()
        let channel = EmbeddedChannel(handler: observer)
        defer { _ = try? channel.finish() }

        let clientHello = B.record(22, B.handshake(1, B.clientHello(offeringPSK: true)), version: 0x0301)
        // The ClientHello arrives in two reads.
        for part in [clientHello[0..<7], clientHello[7...]] {
            try channel.writeInbound(B.buffer(Array(part)))
            #expect(try channel.readInbound(as: ByteBuffer.self) == B.buffer(Array(part)))
        }
        #expect(observer.negotiated == nil)

        let serverFlight = B.record(22, B.handshake(2, B.serverHello(cipher: 0x1302, extensions: [B.tls13, B.pskAccepted])))
            + B.record(20, [1]) + B.record(23, [UInt8](repeating: 0x33, count: 64))
        try channel.writeOutbound(B.buffer(serverFlight))
        #expect(try channel.readOutbound(as: ByteBuffer.self) == B.buffer(serverFlight))
        #expect(
            observer.negotiated
                == NegotiatedHello(protocolVersion: "TLSv1.3", cipherSuite: CipherSuite.withID(0x1302)!, sessionReuse: .resumed))

        // Later traffic still passes through untouched.
        let later = B.record(23, [UInt8](repeating: 0x44, count: 100))
        try channel.writeInbound(B.buffer(later))
        #expect(try channel.readInbound(as: ByteBuffer.self) == B.buffer(later))
        try channel.writeOutbound(B.buffer(later))
        #expect(try channel.readOutbound(as: ByteBuffer.self) == B.buffer(later))
    }

    @Test func plainHTTPPassesThroughAndLeavesNoFacts() throws {
        let observer = TLSHelloObserver()
        let channel = EmbeddedChannel(handler: observer)
        defer { _ = try? channel.finish() }
        let request = ByteBuffer(string: "GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        try channel.writeInbound(request)
        #expect(try channel.readInbound(as: ByteBuffer.self) == request)
        let answer = ByteBuffer(string: "HTTP/1.1 400 Bad Request\r\n\r\n")
        try channel.writeOutbound(answer)
        #expect(try channel.readOutbound(as: ByteBuffer.self) == answer)
        #expect(observer.negotiated == nil && observer.abandonment != nil)
    }

    @Test func givingUpIsLoggedOnceWithItsID() throws {
        let collector = LineCollector()
        let channel = EmbeddedChannel(handler: TLSHelloObserver(logger: collector.logger))
        defer { _ = try? channel.finish() }
        for _ in 0..<3 {
            try channel.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\n"))
            _ = try channel.readInbound(as: ByteBuffer.self)
        }
        #expect(collector.lines == ["IS02160 TLS hello not understood, protocol and cipher left unknown: record of content type 71"])
    }
}

/// Keeps each line logged, prefixed with its id.
final class LineCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var kept: [String] = []
    var lines: [String] { lock.withLock { kept } }

    var logger: Logger {
        Logger(label: "tls-test") { _ in Handler(collector: self) }
    }

    struct Handler: LogHandler {
        let collector: LineCollector
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let id = event.metadata?["id"].map { "\($0) " } ?? ""
            collector.lock.withLock { collector.kept.append(id + "\(event.message)") }
        }
    }
}

/// The cipher table against the OpenSSL of this machine: same numbers, same names.
@Suite struct CipherSuiteTests {
    @Test func lookupByNumber() {
        #expect(CipherSuite.withID(0xC02F)?.name == "ECDHE-RSA-AES128-GCM-SHA256")
        #expect(CipherSuite.withID(0x1301)?.name == "TLS_AES_128_GCM_SHA256")
        #expect(CipherSuite.withID(0x000A)?.keyBits == 112 && CipherSuite.withID(0x000A)?.algorithmKeyBits == 168)
        #expect(CipherSuite.withID(0x0005) == nil)
        #expect(CipherSuite.all.count == 25)
        #expect(Set(CipherSuite.all.map(\.id)).count == CipherSuite.all.count)
    }

    @Test func namesAndKeySizesAreOpenSSLs() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = ["ciphers", "-V", "ALL:COMPLEMENTOFALL:@SECLEVEL=0"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        // "          0xC0,0x2F - ECDHE-RSA-AES128-GCM-SHA256    TLSv1.2 Kx=ECDH  Au=RSA  Enc=AESGCM(128)  Mac=AEAD"
        var openSSL: [UInt16: (name: String, bits: Int)] = [:]
        for line in output.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count >= 3, let code = fields.first, code.count == 9,
                let high = UInt16(code.dropFirst(2).prefix(2), radix: 16), let low = UInt16(code.suffix(2), radix: 16),
                let enc = fields.first(where: { $0.hasPrefix("Enc=") }), let open = enc.lastIndex(of: "("),
                let bits = Int(enc[enc.index(after: open)...].dropLast())
            else { continue }
            openSSL[high << 8 | low] = (String(fields[2]), bits)
        }
        #expect(openSSL.count > 20, "openssl ciphers -V printed: \(output)")
        // OpenSSL 3 is built without 3DES; every other suite must be there.
        for suite in CipherSuite.all where suite.id != 0x000A {
            let theirs = try #require(openSSL[suite.id], "0x\(String(suite.id, radix: 16)) unknown to OpenSSL")
            #expect(theirs.name == suite.name)
            #expect(theirs.bits == suite.algorithmKeyBits)
        }
    }
}
