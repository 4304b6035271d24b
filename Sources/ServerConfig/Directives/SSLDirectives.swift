import Foundation

/// mod_ssl's directives. What swift-nio-ssl (BoringSSL) cannot do as written is an error
/// with the directive's file and line, never silently ignored; the certificate files
/// themselves are read, and the cipher string checked, by HTTPDaemon's TLS contexts
/// (`isapid -t` builds them).
let sslDirectives: [DirectiveSpec] = [
    DirectiveSpec(
        "SSLEngine", module: "mod_ssl.c", contexts: .serverConfig, arity: 1...1,
        syntax: "takes one argument, On, Off or Optional"
    ) { d, t in
        switch d.arguments[0].lowercased() {
        case "on": t.host.ssl.engine = Located(true, at: d.location)
        case "off": t.host.ssl.engine = Located(false, at: d.location)
        case "optional":
            throw d.invalid("'optional' (an upgrade to TLS inside HTTP, RFC 2817) is not supported")
        default: throw d.invalid("Argument must be On, Off, or Optional")
        }
    },
    sslFileDirective("SSLCertificateFile", \.certificateFile, what: "the server certificate (PEM)") { d, t in
        if t.host.ssl.certificateFile != nil {
            throw d.invalid("a second certificate for the same host (another key type) is not supported")
        }
    },
    sslFileDirective("SSLCertificateKeyFile", \.certificateKeyFile, what: "the server's private key (PEM)"),
    sslFileDirective("SSLCertificateChainFile", \.certificateChainFile, what: "the intermediate CA certificates (PEM)"),
    sslFileDirective(
        "SSLCACertificateFile", \.caCertificateFile, what: "the CA certificates for client authentication (PEM)"),
    DirectiveSpec(
        "SSLProtocol", module: "mod_ssl.c", contexts: .serverConfig, arity: 1...Int.max,
        syntax: "takes [+-]all, [+-]TLSv1.2, [+-]TLSv1.3 (and -SSLv3, -TLSv1, -TLSv1.1)"
    ) { d, t in
        t.host.ssl.protocols = Located(try SSLProtocolParser.parse(d), at: d.location)
    },
    DirectiveSpec(
        "SSLCipherSuite", module: "mod_ssl.c", contexts: .serverConfig, arity: 1...2,
        syntax: "takes [protocol] cipher-spec, where protocol is SSL or TLSv1.3"
    ) { d, t in
        let protocolName = d.arguments.count == 2 ? d.arguments[0] : "SSL"
        let spec = d.arguments[d.arguments.count - 1]
        switch protocolName.lowercased() {
        case "ssl", "all":
            guard !spec.isEmpty else { throw d.invalid("the cipher string is empty") }
            t.host.ssl.cipherSuite = Located(spec, at: d.location)
        case "tlsv1.3":
            let asked = Set(spec.split(whereSeparator: { ":, ".contains($0) }).map(String.init))
            guard asked == SSLProtocolParser.tls13CipherSuites else {
                throw d.invalid(
                    "TLSv1.3 cipher suites are not configurable in BoringSSL (swift-nio-ssl): it always "
                        + "offers \(SSLProtocolParser.tls13CipherSuites.sorted().joined(separator: ":")); remove this line"
                )
            }
        default:
            throw d.invalid("protocol '\(protocolName)' is not known (SSL or TLSv1.3)")
        }
    },
    DirectiveSpec(
        "SSLHonorCipherOrder", module: "mod_ssl.c", contexts: .serverConfig, arity: 1...1,
        syntax: "takes one argument, On or Off"
    ) { d, t in
        let on = try d.flag()
        if on {
            throw d.invalid(
                "On is not supported: swift-nio-ssl (BoringSSL) always chooses the cipher by the "
                    + "client's order of preference (Off)")
        }
        t.host.ssl.honorCipherOrder = Located(on, at: d.location)
    },
    DirectiveSpec(
        "SSLVerifyClient", module: "mod_ssl.c", contexts: .anywhere.union(.htaccess), override: .authConfig,
        arity: 1...1, syntax: "takes one argument, none, optional, require or optional_no_ca"
    ) { d, t in
        guard let mode = SSLVerifyClient(rawValue: d.arguments[0].lowercased()) else {
            throw d.invalid("Invalid argument '\(d.arguments[0])'")
        }
        guard t.context == .server || t.context == .virtualHost else {
            throw d.invalid(
                "per-directory client authentication needs a TLS renegotiation (or TLS 1.3 "
                    + "post-handshake authentication), which isapid does not support; set it for the <VirtualHost>")
        }
        t.host.ssl.verifyClient = Located(mode, at: d.location)
    },
    DirectiveSpec(
        "SSLVerifyDepth", module: "mod_ssl.c", contexts: .anywhere.union(.htaccess), override: .authConfig,
        arity: 1...1, syntax: "takes one argument, the maximum number of intermediate CA certificates"
    ) { d, t in
        let depth = try d.integer(in: 0...Int(Int32.max))
        guard t.context == .server || t.context == .virtualHost else {
            throw d.invalid("per-directory client authentication is not supported; set it for the <VirtualHost>")
        }
        t.host.ssl.verifyDepth = Located(depth, at: d.location)
    },
    DirectiveSpec(
        "SSLOptions", module: "mod_ssl.c", contexts: .anywhere.union(.htaccess), override: .options,
        arity: 1...Int.max,
        syntax: "takes one or more of [+-]StdEnvVars, ExportCertData, FakeBasicAuth, "
            + "StrictRequire, OptRenegotiate, LegacyDNStringFormat"
    ) { d, t in
        var setting = t.directory.sslOptions ?? SSLOptionsSetting()
        for word in d.arguments {
            let sign = word.first == "+" || word.first == "-" ? word.first : nil
            let name = sign == nil ? word : String(word.dropFirst())
            guard let option = SSLOption.allCases.first(where: { $0.rawValue.lowercased() == name.lowercased() }) else {
                throw d.invalid("Illegal option '\(name)'")
            }
            switch sign {
            case "+":
                setting.added.insert(option)
                setting.removed.remove(option)
            case "-":
                setting.removed.insert(option)
                setting.added.remove(option)
            default:
                setting = SSLOptionsSetting(absolute: (setting.absolute ?? []).union([option]))
            }
        }
        t.directory.sslOptions = setting
    },
    DirectiveSpec(
        "SSLSessionCache", module: "mod_ssl.c", contexts: .server, arity: 1...1,
        syntax: "takes one argument, none, nonenotnull, or type:arguments (shmcb:/path(size), …)"
    ) { d, t in
        let value = d.arguments[0]
        let cache: SSLSessionCacheSetting
        switch value.lowercased() {
        case "none": cache = .none
        case "nonenotnull": cache = .noneNotNull
        default:
            let known = ["shmcb:", "shm:", "shmht:", "dbm:", "sdbm:", "dc:", "memcache:", "redis:", "default"]
            guard known.contains(where: { value.lowercased().hasPrefix($0) }) else {
                throw d.invalid("'\(value)' is not none, nonenotnull, or one of shmcb:, dbm:, dc:, memcache:, redis:")
            }
            cache = .store(value)
        }
        t.server.sslSessionCache = cache
        // BoringSSL's per-context cache and TLS 1.3 tickets stay on whatever is written.
        if cache == .none || cache == .noneNotNull {
            t.server.warnings.append(
                ConfigError(
                    file: d.location.file, line: d.location.line, kind: .badArguments,
                    message: "SSLSessionCache \(value): swift-nio-ssl cannot turn session resumption off; each TLS "
                        + "context keeps BoringSSL's in-memory session cache and TLS 1.3 tickets"))
        }
    },
    DirectiveSpec(
        "SSLSessionCacheTimeout", module: "mod_ssl.c", contexts: .serverConfig, arity: 1...1,
        syntax: "takes one argument, the lifetime of cached sessions in seconds"
    ) { d, t in
        t.server.sslSessionCacheTimeout = try d.integer(in: 0...Int(Int32.max))
        t.server.warnings.append(
            ConfigError(
                file: d.location.file, line: d.location.line, kind: .badArguments,
                message: "SSLSessionCacheTimeout: swift-nio-ssl cannot set it; BoringSSL's own lifetimes apply "
                    + "(2 hours for TLS 1.2 sessions, 2 days for TLS 1.3 tickets)"))
    },
    DirectiveSpec(
        "SSLStrictSNIVHostCheck", module: "mod_ssl.c", contexts: .serverConfig, arity: 1...1,
        syntax: "takes one argument, On or Off"
    ) { d, t in
        t.host.ssl.strictSNIVHostCheck = try d.flag()
    },
]

/// A directive naming a PEM file: resolved against ServerRoot, and refused when missing
/// or empty, as mod_ssl does while reading the configuration.
private func sslFileDirective(
    _ name: String, _ field: WritableKeyPath<SSLSettings, Located<String>?> & Sendable, what: String,
    check: @escaping @Sendable (Directive, DirectiveTarget) throws -> Void = { _, _ in }
) -> DirectiveSpec {
    DirectiveSpec(
        name, module: "mod_ssl.c", contexts: .serverConfig, arity: 1...1,
        syntax: "takes one argument, the file of \(what)"
    ) { d, t in
        try check(d, t)
        let path = t.resolvePath(d.arguments[0])
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        guard size > 0 else { throw d.invalid("file '\(path)' does not exist or is empty") }
        t.host.ssl[keyPath: field] = Located(path, at: d.location)
    }
}

/// `SSLProtocol` in Apache's syntax (`all -TLSv1 +TLSv1.3`, `-all +TLSv1.2`), and the
/// facts of BoringSSL the TLS directives are checked against.
enum SSLProtocolParser {
    /// What BoringSSL offers for TLS 1.3, always (no API sets it).
    static let tls13CipherSuites: Set<String> = [
        "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
        "TLS_CHACHA20_POLY1305_SHA256",
    ]

    private static let unservable: Set<String> = ["sslv3", "tlsv1", "tlsv1.1"]

    static func parse(_ d: Directive) throws(ConfigError) -> Set<SSLProtocolVersion> {
        var result: Set<SSLProtocolVersion> = []
        for word in d.arguments {
            let sign = word.first == "+" || word.first == "-" ? word.first : nil
            let name = (sign == nil ? word : String(word.dropFirst())).lowercased()
            let these: Set<SSLProtocolVersion>
            if name == "all" {
                these = Set(SSLProtocolVersion.allCases)
            } else if let version = SSLProtocolVersion.allCases.first(where: { $0.rawValue.lowercased() == name }) {
                these = [version]
            } else if unservable.contains(name) {
                guard sign == "-" else {
                    throw d.invalid(
                        "\(word) cannot be served: swift-nio-ssl (BoringSSL) serves TLSv1.2 and TLSv1.3 only")
                }
                these = []
            } else if name == "sslv2" {
                throw d.invalid("SSLv2 no longer supported")
            } else {
                throw d.invalid("Illegal protocol '\(word)'")
            }
            switch sign {
            case "+": result.formUnion(these)
            case "-": result.subtract(these)
            default: result = these
            }
        }
        guard !result.isEmpty else { throw d.invalid("no protocol left to serve (TLSv1.2, TLSv1.3)") }
        return result
    }
}
