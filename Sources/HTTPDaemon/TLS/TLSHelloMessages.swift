/// The few facts of a ClientHello that tell a resumed session from a new one
/// (RFC 8446 §4.1.2, RFC 5246 §7.4.1.2).
struct ClientHelloFacts: Equatable {
    /// legacy_session_id: the TLS 1.2 session the client asks to resume (empty for none;
    /// TLS 1.3 clients send 32 random bytes in middlebox-compatibility mode).
    var sessionID: [UInt8]
    /// The client offered a pre_shared_key (TLS 1.3 resumption).
    var offersPreSharedKey: Bool

    /// Parses a ClientHello body (the handshake message without its 4-byte header).
    init(body: [UInt8]) throws(TLSHandshakeStream.Malformed) {
        var reader = HelloReader(body, message: "ClientHello")
        _ = try reader.uint16()  // legacy_version
        try reader.skip(32)  // random
        sessionID = try reader.vector(lengthBytes: 1, maximum: 32)
        let cipherSuites = try reader.vector(lengthBytes: 2)
        guard !cipherSuites.isEmpty, cipherSuites.count % 2 == 0 else {
            throw reader.malformed("cipher_suites of \(cipherSuites.count) bytes")
        }
        let compressionMethods = try reader.vector(lengthBytes: 1)
        guard !compressionMethods.isEmpty else { throw reader.malformed("no compression method") }
        let extensions = try reader.extensions()
        offersPreSharedKey = extensions.contains { $0.type == TLSExtension.preSharedKey }
    }
}

/// What a ServerHello chose (RFC 8446 §4.1.3, RFC 5246 §7.4.1.3).
struct ServerHelloFacts: Equatable {
    /// legacy_version: the TLS 1.2-or-older version, 0x0303 for TLS 1.3.
    var legacyVersion: UInt16
    /// The random is RFC 8446's special value: a HelloRetryRequest, not a ServerHello.
    var isHelloRetryRequest: Bool
    /// legacy_session_id_echo.
    var sessionID: [UInt8]
    var cipherSuiteID: UInt16
    /// supported_versions' selected_version (TLS 1.3), nil when the extension is absent.
    var selectedVersion: UInt16?
    /// The server accepted one of the client's pre-shared keys (TLS 1.3 resumption).
    var acceptsPreSharedKey: Bool

    /// The version the connection speaks: supported_versions wins over legacy_version.
    var negotiatedVersion: UInt16 { selectedVersion ?? legacyVersion }

    /// HelloRetryRequest's random: SHA-256 of "HelloRetryRequest" (RFC 8446 §4.1.3).
    static let helloRetryRequestRandom: [UInt8] = [
        0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
        0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
    ]

    /// Parses a ServerHello body (the handshake message without its 4-byte header).
    init(body: [UInt8]) throws(TLSHandshakeStream.Malformed) {
        var reader = HelloReader(body, message: "ServerHello")
        legacyVersion = try reader.uint16()
        isHelloRetryRequest = try reader.bytes(32).elementsEqual(Self.helloRetryRequestRandom)
        sessionID = try reader.vector(lengthBytes: 1, maximum: 32)
        cipherSuiteID = try reader.uint16()
        _ = try reader.bytes(1)  // legacy_compression_method
        selectedVersion = nil
        acceptsPreSharedKey = false
        for item in try reader.extensions() {
            let data = Array(item.data)
            switch item.type {
            case TLSExtension.supportedVersions:
                guard data.count == 2 else { throw reader.malformed("supported_versions of \(data.count) bytes") }
                selectedVersion = UInt16(data[0]) << 8 | UInt16(data[1])
            case TLSExtension.preSharedKey:
                guard data.count == 2 else { throw reader.malformed("pre_shared_key of \(data.count) bytes") }
                acceptsPreSharedKey = true
            default:
                break
            }
        }
    }
}

/// The extension numbers the observer reads (IANA "TLS ExtensionType Values").
enum TLSExtension {
    static let preSharedKey: UInt16 = 41
    static let supportedVersions: UInt16 = 43
}

/// A bounds-checked reader over one handshake message's body.
private struct HelloReader {
    private let body: [UInt8]
    private let message: String
    private var index = 0

    init(_ bytes: [UInt8], message: String) {
        self.body = bytes
        self.message = message
    }

    func malformed(_ what: String) -> TLSHandshakeStream.Malformed {
        TLSHandshakeStream.Malformed(reason: "\(message): \(what)")
    }

    mutating func bytes(_ count: Int) throws(TLSHandshakeStream.Malformed) -> ArraySlice<UInt8> {
        guard body.count - index >= count else { throw malformed("truncated at byte \(index)") }
        defer { index += count }
        return body[index..<(index + count)]
    }

    mutating func skip(_ count: Int) throws(TLSHandshakeStream.Malformed) {
        _ = try bytes(count)
    }

    mutating func uint16() throws(TLSHandshakeStream.Malformed) -> UInt16 {
        let two = try bytes(2)
        return UInt16(two[two.startIndex]) << 8 | UInt16(two[two.startIndex + 1])
    }

    /// A vector with a 1- or 2-byte length prefix (RFC 8446 §3.4).
    mutating func vector(lengthBytes: Int, maximum: Int = .max) throws(TLSHandshakeStream.Malformed) -> [UInt8] {
        let length = lengthBytes == 1 ? Int(try bytes(1).first!) : Int(try uint16())
        guard length <= maximum else { throw malformed("a vector of \(length) bytes where \(maximum) is the most") }
        return Array(try bytes(length))
    }

    /// The extensions block, which ends the message; TLS 1.2 hellos may omit it entirely.
    mutating func extensions() throws(TLSHandshakeStream.Malformed) -> [(type: UInt16, data: ArraySlice<UInt8>)] {
        guard index < body.count else { return [] }
        let length = Int(try uint16())
        guard body.count - index == length else { throw malformed("extensions of \(length) bytes, \(body.count - index) present") }
        var found: [(type: UInt16, data: ArraySlice<UInt8>)] = []
        while index < body.count {
            let type = try uint16()
            let dataLength = Int(try uint16())
            found.append((type, try bytes(dataLength)))
        }
        return found
    }
}
