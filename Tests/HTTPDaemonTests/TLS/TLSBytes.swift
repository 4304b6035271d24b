import NIOCore

/// TLS records and hellos built by hand, byte by byte, as RFC 8446 §4.1.2/§4.1.3 and
/// RFC 5246 §7.4.1 lay them out, for the parser's tests.
enum TLSBytes {
    static func record(_ contentType: UInt8, _ body: [UInt8], version: UInt16 = 0x0303) -> [UInt8] {
        [contentType, UInt8(version >> 8), UInt8(version & 0xFF), UInt8(body.count >> 8), UInt8(body.count & 0xFF)] + body
    }

    static func handshake(_ type: UInt8, _ body: [UInt8]) -> [UInt8] {
        [type, UInt8(body.count >> 16), UInt8((body.count >> 8) & 0xFF), UInt8(body.count & 0xFF)] + body
    }

    static func u16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }

    static func tlsExtension(_ type: UInt16, _ data: [UInt8]) -> [UInt8] {
        u16(type) + u16(UInt16(data.count)) + data
    }

    static func extensionsBlock(_ extensions: [[UInt8]]) -> [UInt8] {
        let all = extensions.flatMap { $0 }
        return u16(UInt16(all.count)) + all
    }

    /// A ClientHello body offering TLS 1.2 and 1.3, with an SNI name and, if asked, a PSK.
    static func clientHello(sessionID: [UInt8] = [], offeringPSK: Bool = false) -> [UInt8] {
        var extensions: [[UInt8]] = [
            tlsExtension(0, [0x00, 0x09, 0x00, 0x00, 0x06] + Array("a.test".utf8)),  // server_name
            tlsExtension(43, [0x04, 0x03, 0x04, 0x03, 0x03]),  // supported_versions: 1.3, 1.2
        ]
        if offeringPSK {
            // identities <7..>: one identity (2-byte length, 4 bytes, 4-byte age); binders: one of 32 bytes.
            let identity = u16(4) + [1, 2, 3, 4] + [0, 0, 0, 0]
            let binders = [32] + [UInt8](repeating: 0xAB, count: 32)
            extensions.append(tlsExtension(41, u16(UInt16(identity.count)) + identity + u16(UInt16(binders.count)) + binders))
        }
        return u16(0x0303) + [UInt8](repeating: 0x11, count: 32) + [UInt8(sessionID.count)] + sessionID
            + u16(4) + u16(0x1301) + u16(0xC02F) + [1, 0] + extensionsBlock(extensions)
    }

    /// A ServerHello body; `extensions` nil leaves the block out (a TLS 1.2 server may).
    static func serverHello(
        version: UInt16 = 0x0303, random: [UInt8] = [UInt8](repeating: 0x22, count: 32), sessionID: [UInt8] = [],
        cipher: UInt16, extensions: [[UInt8]]? = []
    ) -> [UInt8] {
        var body = u16(version) + random + [UInt8(sessionID.count)] + sessionID + u16(cipher) + [0]
        if let extensions { body += extensionsBlock(extensions) }
        return body
    }

    static let tls13: [UInt8] = tlsExtension(43, [0x03, 0x04])
    static let pskAccepted: [UInt8] = tlsExtension(41, [0x00, 0x00])

    static func buffer(_ bytes: [UInt8]) -> ByteBuffer { ByteBuffer(bytes: bytes) }
}
