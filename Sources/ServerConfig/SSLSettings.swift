/// A setting together with the line that wrote it: TLS settings are checked (and the
/// certificate files read) after the whole configuration is compiled, and their errors
/// still name the directive's file and line.
public struct Located<Value: Sendable & Equatable>: Sendable, Equatable {
    public var value: Value
    public var location: SourceLocation

    public init(_ value: Value, at location: SourceLocation) {
        self.value = value
        self.location = location
    }
}

/// mod_ssl's per-server settings (main server or `<VirtualHost>`); nil where unset, so a
/// virtual host takes what it leaves unset from the main server, as mod_ssl merges them.
public struct SSLSettings: Sendable, Equatable {
    /// `SSLEngine on|off`.
    public var engine: Located<Bool>?
    /// `SSLCertificateFile`, `SSLCertificateKeyFile`, `SSLCertificateChainFile`,
    /// `SSLCACertificateFile`: absolute paths.
    public var certificateFile: Located<String>?
    public var certificateKeyFile: Located<String>?
    public var certificateChainFile: Located<String>?
    public var caCertificateFile: Located<String>?
    /// `SSLProtocol`, reduced to what can be served.
    public var protocols: Located<Set<SSLProtocolVersion>>?
    /// `SSLCipherSuite [SSL] spec`: the OpenSSL cipher string for TLS 1.2.
    public var cipherSuite: Located<String>?
    /// `SSLHonorCipherOrder`.
    public var honorCipherOrder: Located<Bool>?
    /// `SSLVerifyClient`.
    public var verifyClient: Located<SSLVerifyClient>?
    /// `SSLVerifyDepth`.
    public var verifyDepth: Located<Int>?
    /// `SSLStrictSNIVHostCheck`.
    public var strictSNIVHostCheck: Bool?

    public init() {}

    /// Whether this host speaks TLS (`SSLEngine on`).
    public var isEnabled: Bool { engine?.value == true }
    public var effectiveVerifyClient: SSLVerifyClient { verifyClient?.value ?? .none }
    /// `SSLVerifyDepth`, Apache's default 1: a client certificate signed directly by a CA
    /// of SSLCACertificateFile.
    public var effectiveVerifyDepth: Int { verifyDepth?.value ?? 1 }
    public var effectiveProtocols: Set<SSLProtocolVersion> { protocols?.value ?? [.tlsv12, .tlsv13] }
    public var effectiveStrictSNIVHostCheck: Bool { strictSNIVHostCheck ?? false }

    /// This host's settings over the main server's (mod_ssl's `ssl_config_server_merge`).
    func merged(over main: SSLSettings) -> SSLSettings {
        var result = self
        result.engine = engine ?? main.engine
        result.certificateFile = certificateFile ?? main.certificateFile
        // The key and chain belong with their certificate: a host with its own
        // certificate does not take the main server's key.
        if certificateFile == nil {
            result.certificateKeyFile = certificateKeyFile ?? main.certificateKeyFile
            result.certificateChainFile = certificateChainFile ?? main.certificateChainFile
        }
        result.caCertificateFile = caCertificateFile ?? main.caCertificateFile
        result.protocols = protocols ?? main.protocols
        result.cipherSuite = cipherSuite ?? main.cipherSuite
        result.honorCipherOrder = honorCipherOrder ?? main.honorCipherOrder
        result.verifyClient = verifyClient ?? main.verifyClient
        result.verifyDepth = verifyDepth ?? main.verifyDepth
        result.strictSNIVHostCheck = strictSNIVHostCheck ?? main.strictSNIVHostCheck
        return result
    }
}

/// The protocol versions swift-nio-ssl (BoringSSL) can serve; SSLv3, TLSv1 and TLSv1.1
/// are accepted in `SSLProtocol` only as removals or inside `all`.
public enum SSLProtocolVersion: String, Sendable, Hashable, CaseIterable, Comparable {
    case tlsv12 = "TLSv1.2"
    case tlsv13 = "TLSv1.3"

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs == .tlsv12 && rhs == .tlsv13 }
}

/// `SSLVerifyClient`: whether the client must present a certificate.
public enum SSLVerifyClient: String, Sendable, Equatable, CaseIterable {
    case none
    case optional
    case require
    /// Asked for, not verified (mod_ssl's `optional_no_ca`): SSL_CLIENT_VERIFY is GENEROUS.
    case optionalNoCA = "optional_no_ca"
}

/// `SSLOptions` names.
public enum SSLOption: String, Sendable, Hashable, CaseIterable {
    case stdEnvVars = "StdEnvVars"
    case exportCertData = "ExportCertData"
    case fakeBasicAuth = "FakeBasicAuth"
    case strictRequire = "StrictRequire"
    case optRenegotiate = "OptRenegotiate"
    case legacyDNStringFormat = "LegacyDNStringFormat"
}

/// `SSLOptions` at one level: absolute (`SSLOptions StdEnvVars`) or relative
/// (`+StdEnvVars -ExportCertData`), merged child over parent as mod_ssl does.
public struct SSLOptionsSetting: Sendable, Equatable {
    public var absolute: Set<SSLOption>?
    public var added: Set<SSLOption> = []
    public var removed: Set<SSLOption> = []

    public init(absolute: Set<SSLOption>? = nil, added: Set<SSLOption> = [], removed: Set<SSLOption> = []) {
        self.absolute = absolute
        self.added = added
        self.removed = removed
    }

    /// The options in force at this level.
    public var resolved: Set<SSLOption> { (absolute ?? []).union(added).subtracting(removed) }

    func applied(to parent: SSLOptionsSetting?) -> SSLOptionsSetting {
        if absolute != nil { return self }
        guard let parent else { return self }
        return SSLOptionsSetting(
            absolute: parent.absolute.map { $0.union(parent.added).subtracting(parent.removed) },
            added: parent.added.subtracting(removed).union(added),
            removed: parent.removed.subtracting(added).union(removed))
    }
}

/// `SSLSessionCache`: server-wide. BoringSSL keeps an in-memory session cache and issues
/// TLS 1.3 tickets per context whatever is written here (swift-nio-ssl offers no switch),
/// so resumption works within one serving process; `none` cannot turn it off (a warning says so).
public enum SSLSessionCacheSetting: Sendable, Equatable {
    case none
    case noneNotNull
    /// `shmcb:/path(512000)`, `dbm:/path`, …: a store shared between processes, as written.
    case store(String)
}

extension DirectoryConfig {
    /// `SSLOptions` in force once every level has been merged.
    public var effectiveSSLOptions: Set<SSLOption> { sslOptions?.resolved ?? [] }
}
