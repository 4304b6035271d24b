import RewriteEngine
/// A `<VirtualHost>` (or the main server, which has no addresses): names, roots,
/// URL mappings, logs, and the per-directory sections that apply under it.
public struct VirtualHost: Sendable {
    /// The `<VirtualHost addr:port ...>` arguments; empty for the main server.
    public var addresses: [HostAddress] = []
    public var serverName: String?
    public var serverAliases: [String] = []
    public var serverAdmin: String?
    /// `TraceEnable`; nil when not written (On, Apache's default, unless the main server says otherwise).
    public var traceEnable: TraceEnable?
    public var documentRoot: String?
    /// `AccessFileName`: the per-directory files to look for, first found wins; nil for
    /// the default, `.htaccess`.
    public var accessFileNames: [String]?
    public var aliases: [AliasRule] = []
    public var redirects: [RedirectRule] = []
    /// Per-directory settings written at server or virtual-host level, outside any section.
    public var defaults = DirectoryConfig()
    /// mod_rewrite at server / virtual-host level (already merged with the main server's
    /// per RewriteOptions for a virtual host); nil when no rewrite directive was given.
    public var rewrite: RewriteConfig?
    /// `<Directory>`/`<DirectoryMatch>`, already in Apache's order: non-regex by depth, then regex.
    public var directorySections: [ConfigSection] = []
    public var fileSections: [ConfigSection] = []
    public var locationSections: [ConfigSection] = []
    public var errorLog: String?
    public var customLogs: [CustomLogSpec] = []
    /// mod_ssl's settings (SSLEngine, certificates, …), merged with the main server's.
    public var ssl = SSLSettings()
    /// mod_remoteip (`RemoteIPHeader` and friends), merged with the main server's.
    public var remoteIP = RemoteIPConfig()
    /// `ISAPIFilter` (see Directives/FilterDirectives.swift): the main server's are global.
    public var isapiFilters = ISAPIFilterConfig()
    public var location: SourceLocation?
    /// 0 for the main server, then 1, 2, ... in configuration order: keys per-host state
    /// such as open log files.
    public var id: Int = 0

    public init() {}

    /// `TraceEnable` in force: as written, else On.
    public var effectiveTraceEnable: TraceEnable { traceEnable ?? .on }

    /// The access file names in force: `AccessFileName`, else `.htaccess`.
    public var effectiveAccessFileNames: [String] { accessFileNames ?? [".htaccess"] }

    /// Host names this virtual host answers to: ServerName, then ServerAlias (which may use wildcards).
    public func answers(to host: String) -> Bool {
        if let serverName, serverName.caseInsensitiveEquals(host) { return true }
        return serverAliases.contains { alias in
            alias.contains(where: { $0 == "*" || $0 == "?" })
                ? wildcardMatch(alias.lowercased(), host.lowercased())
                : alias.caseInsensitiveEquals(host)
        }
    }
}

/// An address of `<VirtualHost>`: `*`, `_default_`, an IP, or a name; port nil for any.
public struct HostAddress: Sendable, Equatable {
    public let host: String
    public let port: Int?

    public var isWildcard: Bool { host == "*" || host == "_default_" }
}

/// A `Listen` address: nil host listens on every address.
public struct ListenAddress: Sendable, Equatable, Hashable, CustomStringConvertible {
    public let host: String?
    public let port: Int

    public init(host: String?, port: Int) {
        self.host = host
        self.port = port
    }

    public var description: String {
        guard let host else { return "0.0.0.0:\(port)" }
        return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}

/// The protocol of a `Listen` (its optional second argument): kept beside the address,
/// which stays the key of the inherited sockets.
public enum ListenProtocol: String, Sendable, Equatable {
    case http
    case https
}

/// A `CustomLog` line: where to write and with which format string.
public struct CustomLogSpec: Sendable, Equatable {
    public let path: String
    public let format: String
    /// `env=VAR` / `env=!VAR`: log only requests where the variable is (not) set.
    public let condition: LogCondition?
    public let location: SourceLocation
}

public struct LogCondition: Sendable, Equatable {
    public let variable: String
    public let negated: Bool
}

extension String {
    func caseInsensitiveEquals(_ other: String) -> Bool {
        count == other.count && lowercased() == other.lowercased()
    }
}

/// Shell-style `*` and `?` matching, for host-name wildcards.
func wildcardMatch(_ pattern: String, _ text: String) -> Bool {
    let p = Array(pattern.utf8)
    let t = Array(text.utf8)
    var pi = 0, ti = 0, star = -1, mark = 0
    while ti < t.count {
        if pi < p.count && (p[pi] == UInt8(ascii: "?") || p[pi] == t[ti]) {
            pi += 1
            ti += 1
        } else if pi < p.count && p[pi] == UInt8(ascii: "*") {
            star = pi
            mark = ti
            pi += 1
        } else if star >= 0 {
            pi = star + 1
            mark += 1
            ti = mark
        } else {
            return false
        }
    }
    while pi < p.count && p[pi] == UInt8(ascii: "*") { pi += 1 }
    return pi == p.count
}
