import ServerConfig

/// The `SSLOptions` of mod_ssl that decide which TLS variables a request's environment
/// (the CGI variables an extension reads, `%{VAR}e`) carries. mod_ssl always sets
/// `HTTPS=on` on a TLS connection; the SSL_* variables only where `+StdEnvVars` applies,
/// the certificates as PEM only where `+ExportCertData` does. `%{SSL:…}` in mod_rewrite
/// and `%{…}x` in LogFormat read the variables whatever these options say.
///
/// The configuration side (`SSLOptions` in server, virtual-host, directory and .htaccess
/// context, merged as Apache merges it) belongs to ServerConfig; a request reads the
/// options of its merged per-directory configuration (`RequestContext.tlsVariableOptions`).
public struct TLSVariableOptions: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8

    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// `+StdEnvVars`: SSL_PROTOCOL, SSL_CIPHER, SSL_CLIENT_S_DN, … in the environment.
    public static let stdEnvVars = TLSVariableOptions(rawValue: 1 << 0)
    /// `+ExportCertData`: SSL_CLIENT_CERT and SSL_SERVER_CERT (PEM) in the environment.
    public static let exportCertData = TLSVariableOptions(rawValue: 1 << 1)
}

extension TLSVariableOptions {
    /// The options among mod_ssl's `SSLOptions` that decide variables.
    init(_ options: Set<SSLOption>) {
        self = []
        if options.contains(.stdEnvVars) { insert(.stdEnvVars) }
        if options.contains(.exportCertData) { insert(.exportCertData) }
    }
}

extension RequestContext {
    /// mod_ssl's `SSLOptions` in force for this request (`+StdEnvVars`, `+ExportCertData`),
    /// from its merged per-directory configuration: which TLS variables the environment carries.
    public var tlsVariableOptions: TLSVariableOptions { TLSVariableOptions(directoryConfig.effectiveSSLOptions) }

    /// What mod_ssl adds to this request's environment (`HTTPS=on`, SSL_* under
    /// `+StdEnvVars`, PEM under `+ExportCertData`); empty on plain HTTP.
    public var tlsEnvironment: [(name: String, value: String)] {
        request.connection.tls?.environment(tlsVariableOptions) ?? []
    }

    /// The request's environment with mod_ssl's under it, as Apache's subprocess_env
    /// holds both after the fixups: what `%{VAR}e` in LogFormat and Header values read.
    public var environmentWithTLS: [String: String] {
        let tls = tlsEnvironment
        guard !tls.isEmpty else { return environment }
        var merged = environment
        for (name, value) in tls where merged[name] == nil { merged[name] = value }
        return merged
    }
}
