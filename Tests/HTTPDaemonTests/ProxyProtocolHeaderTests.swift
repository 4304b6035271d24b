import Testing
@testable import HTTPDaemon

/// The PROXY protocol header parser (v1 and v2, as HAProxy sends them and Apache's
/// mod_remoteip reads them), byte by byte; not yet wired into connections.
@Suite struct ProxyProtocolHeaderTests {
    typealias Header = ProxyProtocolHeader

    @Test func v1TCP4AndTCP6GiveTheClientAndTheHeaderLength() {
        let v4 = Array("PROXY TCP4 203.0.113.5 192.0.2.1 56324 443\r\nGET / HTTP/1.1\r\n".utf8)
        #expect(Header.parse(v4) == .header(.init(address: "203.0.113.5", port: 56324), length: 44))
        let v6 = Array("PROXY TCP6 2001:db8::5 2001:db8::1 40000 80\r\n".utf8)
        #expect(Header.parse(v6) == .header(.init(address: "2001:db8::5", port: 40000), length: v6.count))
        let unknown = Array("PROXY UNKNOWN\r\n".utf8)
        #expect(Header.parse(unknown) == .header(nil, length: unknown.count))
    }

    @Test func v1NeedsTheWholeLine() {
        let line = Array("PROXY TCP4 203.0.113.5 192.0.2.1 56324 443\r\n".utf8)
        for count in [0, 1, 3, 6, 20, line.count - 1] {
            #expect(Header.parse(Array(line.prefix(count))) == .needMore, "\(count) bytes")
        }
    }

    @Test(arguments: [
        "PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n", "PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n", "PROXY TCP4 1.2.3.4 5.6.7.8 70000 2\r\n",
        "PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n", "PROXY TCP6 1.2.3.4 5.6.7.8 1 2\r\n", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX",
        "GET / HTTP/1.1\r\n", "PROXZ TCP4\r\n",
    ])
    func malformedV1HeadersAreInvalid(_ text: String) {
        guard case .invalid = Header.parse(Array(text.utf8)) else {
            Issue.record("accepted \(text.debugDescription)")
            return
        }
    }

    @Test func v1LinesLongerThan107BytesAreInvalid() {
        let long = Array(("PROXY TCP4 " + String(repeating: "1", count: 120)).utf8)
        #expect(Header.parse(long) == .invalid("PROXY header line longer than 107 bytes"))
    }

    static func v2(command: UInt8, family: UInt8, body: [UInt8]) -> [UInt8] {
        Header.v2Signature + [0x20 | command, family, UInt8(body.count >> 8), UInt8(body.count & 0xff)] + body
    }

    @Test func v2TCP4AndTCP6AndLocal() {
        let v4Body: [UInt8] = [203, 0, 113, 5, 192, 0, 2, 1, 0xDC, 0x04, 0x01, 0xBB]
        let v4 = Self.v2(command: 1, family: 0x11, body: v4Body)
        #expect(Header.parse(v4 + Array("GET".utf8)) == .header(.init(address: "203.0.113.5", port: 56324), length: 28))
        var v6Body = [UInt8](repeating: 0, count: 36)
        v6Body[0] = 0x20; v6Body[1] = 0x01; v6Body[2] = 0x0d; v6Body[3] = 0xb8; v6Body[15] = 5
        v6Body[32] = 0x9C; v6Body[33] = 0x40
        // TLVs after the addresses are counted in the length and skipped.
        let v6 = Self.v2(command: 1, family: 0x21, body: v6Body + [0x04, 0x00, 0x01, 0x00])
        #expect(Header.parse(v6) == .header(.init(address: "2001:db8::5", port: 40000), length: 16 + 40))
        let local = Self.v2(command: 0, family: 0x00, body: [])
        #expect(Header.parse(local) == .header(nil, length: 16))
    }

    @Test func v2NeedsTheWholeBlock() {
        let v4 = Self.v2(command: 1, family: 0x11, body: [203, 0, 113, 5, 192, 0, 2, 1, 0, 1, 0, 2])
        for count in [1, 5, 12, 15, 16, v4.count - 1] {
            #expect(Header.parse(Array(v4.prefix(count))) == .needMore, "\(count) bytes")
        }
    }

    @Test func malformedV2HeadersAreInvalid() {
        #expect(Header.parse(Self.v2(command: 1, family: 0x12, body: [UInt8](repeating: 0, count: 12)))
                == .invalid("unsupported PROXY v2 protocol 12"))
        #expect(Header.parse(Self.v2(command: 1, family: 0x11, body: [1, 2, 3]))
                == .invalid("PROXY v2 TCP4 address block too short"))
        #expect(Header.parse(Self.v2(command: 2, family: 0x11, body: [])) == .invalid("unsupported PROXY v2 command 22"))
        var wrongVersion = Self.v2(command: 1, family: 0x11, body: [UInt8](repeating: 0, count: 12))
        wrongVersion[12] = 0x11
        #expect(Header.parse(wrongVersion) == .invalid("unsupported PROXY protocol version 1"))
    }
}
