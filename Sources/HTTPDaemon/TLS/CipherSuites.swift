/// The TLS cipher suites swift-nio-ssl can negotiate, by their IANA number, with the names
/// and key sizes mod_ssl exports (SSL_CIPHER, SSL_CIPHER_USEKEYSIZE, SSL_CIPHER_ALGKEYSIZE)
/// and IIS answers as HTTPS_KEYSIZE.
///
/// Why a table of our own instead of BoringSSL's `SSL_get_current_cipher`: NIOSSL does not
/// expose the connection's `SSL` object, and `CNIOBoringSSL` is not a product of
/// swift-nio-ssl, so it cannot be imported. The connection's cipher is read instead from the
/// ServerHello (see `TLSHelloObserver`) and named here.
///
/// The list is every entry of `kCiphers` in BoringSSL's `ssl/ssl_cipher.cc` as vendored by
/// swift-nio-ssl 2.37.6 (25 suites; BoringSSL cannot negotiate any other). Numbers are
/// IANA's (the same as BoringSSL's `SSL_CIPHER_*` constants); names are OpenSSL's, as
/// `openssl ciphers -V` prints them and mod_ssl's SSL_CIPHER shows them (BoringSSL's own
/// names are the IANA ones). Key sizes are OpenSSL's `SSL_CIPHER_get_bits`: the bits in use
/// and the bits of the algorithm, which differ only for 3DES (112 of 168).
public struct CipherSuite: Sendable, Equatable {
    /// The IANA number, as it appears on the wire in the ServerHello.
    public let id: UInt16
    /// The OpenSSL name: "ECDHE-RSA-AES128-GCM-SHA256", "TLS_AES_128_GCM_SHA256".
    public let name: String
    /// Bits of the key in use (SSL_CIPHER_USEKEYSIZE, IIS's HTTPS_KEYSIZE).
    public let keyBits: Int
    /// Bits the algorithm supports (SSL_CIPHER_ALGKEYSIZE).
    public let algorithmKeyBits: Int

    public init(id: UInt16, name: String, keyBits: Int, algorithmKeyBits: Int) {
        self.id = id
        self.name = name
        self.keyBits = keyBits
        self.algorithmKeyBits = algorithmKeyBits
    }

    /// The suite with this IANA number, nil for one BoringSSL does not implement.
    public static func withID(_ id: UInt16) -> CipherSuite? {
        byID[id]
    }

    /// Every suite BoringSSL can negotiate, in BoringSSL's table order.
    public static let all: [CipherSuite] = [
        // RSA key exchange.
        CipherSuite(id: 0x000A, name: "DES-CBC3-SHA", keyBits: 112, algorithmKeyBits: 168),
        CipherSuite(id: 0x002F, name: "AES128-SHA", keyBits: 128, algorithmKeyBits: 128),
        CipherSuite(id: 0x0035, name: "AES256-SHA", keyBits: 256, algorithmKeyBits: 256),
        // Pre-shared keys.
        CipherSuite(id: 0x008C, name: "PSK-AES128-CBC-SHA", keyBits: 128, algorithmKeyBits: 128),
        CipherSuite(id: 0x008D, name: "PSK-AES256-CBC-SHA", keyBits: 256, algorithmKeyBits: 256),
        // RSA key exchange, GCM (RFC 5288).
        CipherSuite(id: 0x009C, name: "AES128-GCM-SHA256", keyBits: 128, algorithmKeyBits: 128),
        CipherSuite(id: 0x009D, name: "AES256-GCM-SHA384", keyBits: 256, algorithmKeyBits: 256),
        // TLS 1.3 (OpenSSL uses the IANA names for these).
        CipherSuite(id: 0x1301, name: "TLS_AES_128_GCM_SHA256", keyBits: 128, algorithmKeyBits: 128),
        CipherSuite(id: 0x1302, name: "TLS_AES_256_GCM_SHA384", keyBits: 256, algorithmKeyBits: 256),
        CipherSuite(id: 0x1303, name: "TLS_CHACHA20_POLY1305_SHA256", keyBits: 256, algorithmKeyBits: 256),
        // ECDHE, CBC with SHA-1.
        CipherSuite(id: 0xC009, name: "ECDHE-ECDSA-AES128-SHA", keyBits: 128, algorithmKeyBits: 128),
        CipherSuite(id: 0xC00A, name: "ECDHE-ECDSA-AES256-SHA", keyBits: 256, algorithmKeyBits: 256),
        CipherSuite(id: 0xC013, name: "ECDHE-RSA-AES128-SHA", keyBits: 128, algorithmKeyBits: 128),
        CipherSuite(id: 0xC014, name: "ECDHE-RSA-AES256-SHA", keyBits: 256, algorithmKeyBits: 256),
        // ECDHE, CBC with SHA-256 (RFC 5289).
        CipherSuite(id: 0xC023, name: "ECDHE-ECDSA-AES128-SHA256", keyBits: 128, algorithmKeyBits: 128),
        CipherSuite(id: 0xC027, name: "ECDHE-RSA-AES128-SHA256", keyBits: 128, algorithmKeyBits: 128),
        // ECDHE, GCM (RFC 5289).
        CipherSuite(id: 0xC02B, name: "ECDHE-ECDSA-AES128-GCM-SHA256", keyBits: 128, algorithmKeyBits: 128),
        CipherSuite(id: 0xC02C, name: "ECDHE-ECDSA-AES256-GCM-SHA384", keyBits: 256, algorithmKeyBits: 256),
        CipherSuite(id: 0xC02F, name: "ECDHE-RSA-AES128-GCM-SHA256", keyBits: 128, algorithmKeyBits: 128),
        CipherSuite(id: 0xC030, name: "ECDHE-RSA-AES256-GCM-SHA384", keyBits: 256, algorithmKeyBits: 256),
        // ECDHE with pre-shared keys.
        CipherSuite(id: 0xC035, name: "ECDHE-PSK-AES128-CBC-SHA", keyBits: 128, algorithmKeyBits: 128),
        CipherSuite(id: 0xC036, name: "ECDHE-PSK-AES256-CBC-SHA", keyBits: 256, algorithmKeyBits: 256),
        // ChaCha20-Poly1305 (RFC 7905). BoringSSL's comment says "CCAB" for the ECDHE-PSK
        // suite; its number (SSL_CIPHER_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256) is 0xCCAC.
        CipherSuite(id: 0xCCA8, name: "ECDHE-RSA-CHACHA20-POLY1305", keyBits: 256, algorithmKeyBits: 256),
        CipherSuite(id: 0xCCA9, name: "ECDHE-ECDSA-CHACHA20-POLY1305", keyBits: 256, algorithmKeyBits: 256),
        CipherSuite(id: 0xCCAC, name: "ECDHE-PSK-CHACHA20-POLY1305", keyBits: 256, algorithmKeyBits: 256),
    ]

    private static let byID: [UInt16: CipherSuite] = Dictionary(uniqueKeysWithValues: all.map { ($0.id, $0) })
}
