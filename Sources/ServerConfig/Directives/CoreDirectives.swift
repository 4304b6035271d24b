import Foundation

/// Core directives: names, roots, listeners, options, overrides, error documents, tokens.
let coreDirectives: [DirectiveSpec] = [
    // ServerRoot is acted on while reading (it changes how later Includes resolve);
    // here it only lands in the model.
    DirectiveSpec("ServerRoot", module: "core.c", contexts: .server, arity: 1...1,
                  syntax: "takes one argument, the root directory of the server") { d, t in
        t.server.serverRoot = d.arguments[0]
    },
    DirectiveSpec("ServerName", module: "core.c", contexts: .serverConfig, arity: 1...1,
                  syntax: "takes one argument, the hostname and port of the server") { d, t in
        let value = d.arguments[0]
        let name = value.contains("://") ? String(value.split(separator: "/").dropFirst().first ?? "") : value
        guard let (host, port) = ConfigCompiler.splitHostPort(name), !host.isEmpty else {
            throw d.invalid("'\(value)' is not a host name")
        }
        if let port, Int(port) == nil { throw d.invalid("port must be numeric in '\(value)'") }
        t.host.serverName = host
    },
    DirectiveSpec("ServerAlias", module: "core.c", contexts: .virtualHost, arity: 1...Int.max,
                  syntax: "takes one or more host names, optionally with wildcards") { d, t in
        t.host.serverAliases += d.arguments
    },
    DirectiveSpec("ServerAdmin", module: "core.c", contexts: .serverConfig, arity: 1...1,
                  syntax: "takes one argument, the e-mail address of the administrator") { d, t in
        t.host.serverAdmin = d.arguments[0]
    },
    DirectiveSpec("TraceEnable", module: "core.c", contexts: .serverConfig, arity: 1...1,
                  syntax: "must be On, Off or extended") { d, t in
        switch d.arguments[0].lowercased() {
        case "on": t.host.traceEnable = .on
        case "off": t.host.traceEnable = .off
        case "extended": t.host.traceEnable = .extended
        default: throw d.invalid("must be On, Off or extended")
        }
    },
    DirectiveSpec("DocumentRoot", module: "core.c", contexts: .serverConfig, arity: 1...1,
                  syntax: "takes one argument, the root directory of the document tree") { d, t in
        var root = t.resolvePath(d.arguments[0])
        while root.count > 1 && root.hasSuffix("/") { root.removeLast() }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw d.invalid("DocumentRoot '\(root)' is not a directory, or is not readable")
        }
        t.host.documentRoot = root
    },
    DirectiveSpec("Listen", module: "core.c", contexts: .server, arity: 1...2,
                  syntax: "takes one or two arguments, [IP-address:]port [protocol]") { d, t in
        guard let (host, portText) = ConfigCompiler.splitHostPort(d.arguments[0]) else {
            throw d.invalid("could not parse '\(d.arguments[0])'")
        }
        let (hostPart, portPart) = portText == nil ? (nil, host) : (host, portText!)
        guard let port = Int(portPart), (0...65535).contains(port) else {
            throw d.invalid("Port must be specified (a number from 0 to 65535) in '\(d.arguments[0])'")
        }
        // As Apache: the protocol is http, or https for port 443, unless written.
        let written = d.arguments.count == 2 ? d.arguments[1].lowercased() : (port == 443 ? "https" : "http")
        guard let listenProtocol = ListenProtocol(rawValue: written) else {
            throw d.invalid("protocol '\(d.arguments[1])' is not supported (isapid speaks http and https)")
        }
        let address = ListenAddress(host: hostPart == "*" ? nil : hostPart, port: port)
        if t.server.listeners.contains(address) { throw d.invalid("Cannot define multiple Listeners on the same IP:port") }
        t.server.listeners.append(address)
        t.server.listenProtocols[address] = listenProtocol
        t.server.listenLocations[address] = d.location
    },
    DirectiveSpec("Options", module: "core.c", contexts: .anywhere.union(.htaccess), override: .options,
                  arity: 0...Int.max, syntax: "takes one or more of None, All, ExecCGI, FollowSymLinks, "
                    + "SymLinksIfOwnerMatch, Includes, IncludesNOEXEC, Indexes, MultiViews, each optionally with + or -") { d, t in
        var setting = OptionsSetting()
        var absolute: Set<Option> = []
        var sawAbsolute = false, sawRelative = false
        for word in d.arguments {
            let sign = word.first == "+" || word.first == "-" ? word.first : nil
            let name = sign == nil ? word : String(word.dropFirst())
            let options: Set<Option>
            switch name.lowercased() {
            case "none": options = []
            case "all": options = Option.all
            default:
                guard let option = Option.allCases.first(where: { $0.rawValue.lowercased() == name.lowercased() }) else {
                    throw d.invalid("Illegal option \(name)")
                }
                options = [option]
            }
            if sign == nil { sawAbsolute = true; absolute.formUnion(options) }
            else {
                sawRelative = true
                if name.lowercased() == "none" || name.lowercased() == "all" && sign == "-" {
                    throw d.invalid("Illegal option \(word)")
                }
                if sign == "+" { setting.added.formUnion(options); setting.removed.subtract(options) }
                else { setting.removed.formUnion(options); setting.added.subtract(options) }
            }
        }
        if sawAbsolute && sawRelative {
            throw d.invalid("Either all Options must start with + or -, or no Option may.")
        }
        if sawAbsolute || d.arguments.isEmpty { setting.absolute = absolute }
        t.directory.options = setting
    },
    DirectiveSpec("AllowOverride", module: "core.c", contexts: .directory, arity: 1...Int.max,
                  syntax: "takes None, All, or a list of AuthConfig, FileInfo, Indexes, Limit, Options[=...], Nonfatal=...") { d, t in
        var overrides: Set<Override> = []
        for word in d.arguments {
            let name = word.split(separator: "=", maxSplits: 1).first.map(String.init) ?? word
            switch name.lowercased() {
            case "none": overrides = []
            case "all": overrides = Set(Override.allCases)
            case "nonfatal": continue
            default:
                guard let value = Override.allCases.first(where: { $0.rawValue.lowercased() == name.lowercased() }) else {
                    throw d.invalid("Illegal override option \(word)")
                }
                overrides.insert(value)
            }
        }
        t.directory.allowOverride = overrides
    },
    DirectiveSpec("AllowOverrideList", module: "core.c", contexts: .directory, arity: 1...Int.max,
                  syntax: "takes None, or a list of directive names allowed in .htaccess") { d, t in
        t.directory.allowOverrideList = d.arguments.count == 1 && d.arguments[0].lowercased() == "none"
            ? [] : Set(d.arguments.map { $0.lowercased() })
    },
    DirectiveSpec("AccessFileName", module: "core.c", contexts: .serverConfig, arity: 1...Int.max,
                  syntax: "takes one or more file names, the per-directory configuration files to look for") { d, t in
        if let bad = d.arguments.first(where: { $0.isEmpty || $0.contains("/") || $0 == "." || $0 == ".." }) {
            throw d.invalid("'\(bad)' is not a file name")
        }
        t.host.accessFileNames = d.arguments
    },
    DirectiveSpec("ErrorDocument", module: "core.c", contexts: .anywhere.union(.htaccess), override: .fileInfo,
                  arity: 2...2, syntax: "takes two arguments, an error code and a document (a local URL, a full URL, or a quoted message)") { d, t in
        guard let status = Int(d.arguments[0]), (400...599).contains(status) || (300...399).contains(status) else {
            throw d.invalid("Unsupported HTTP response code \(d.arguments[0])")
        }
        let value = d.arguments[1]
        let document: ErrorDocument
        if value.lowercased() == "default" { document = .builtIn }
        else if value.contains(" ") { document = .text(value) }
        else if value.hasPrefix("/") { document = .localURL(value) }
        else if value.contains("://") { document = .remoteURL(value) }
        else { document = .text(value) }
        t.directory.errorDocuments[status] = document
    },
    DirectiveSpec("AddDefaultCharset", module: "core.c", contexts: .anywhere.union(.htaccess), override: .fileInfo,
                  arity: 1...1, syntax: "takes On, Off or a charset name") { d, t in
        switch d.arguments[0].lowercased() {
        case "off": t.directory.addDefaultCharset = .some(nil)
        case "on": t.directory.addDefaultCharset = .some("iso-8859-1")
        default: t.directory.addDefaultCharset = .some(d.arguments[0])
        }
    },
    DirectiveSpec("ServerTokens", module: "core.c", contexts: .server, arity: 1...1,
                  syntax: "takes one of Prod, Major, Minor, Minimal, OS, Full") { d, t in
        let word = d.arguments[0].lowercased() == "productonly" ? "prod" : d.arguments[0].lowercased()
        guard let tokens = ServerTokens.allCases.first(where: { $0.rawValue.lowercased() == word }) else {
            throw d.invalid("takes one of Prod, Major, Minor, Minimal, OS, Full")
        }
        t.server.serverTokens = tokens
    },
    DirectiveSpec("ServerSignature", module: "core.c", contexts: .server, arity: 1...1,
                  syntax: "takes On, Off or EMail") { d, t in
        switch d.arguments[0].lowercased() {
        case "on", "email": t.server.serverSignature = true
        case "off": t.server.serverSignature = false
        default: throw d.invalid("takes On, Off or EMail")
        }
    },
    DirectiveSpec("PidFile", module: "core.c", contexts: .server, arity: 1...1,
                  syntax: "takes one argument, a file in which the server records its process ID") { d, t in
        t.server.pidFile = t.resolvePath(d.arguments[0])
    },
    DirectiveSpec("User", module: "mod_unixd.c", contexts: .server, arity: 1...1,
                  syntax: "takes one argument, the effective user id for the serving process (a name or #uid)") { d, t in
        switch RunAsUser.resolve(d.arguments[0]) {
        case .failure(let error): throw d.invalid(error.description)
        case .success(let user):
            t.server.user = user
            if user.uid == 0 {
                t.server.warnings.append(ConfigError(
                    file: d.location.file, line: d.location.line, kind: .badArguments,
                    message: "User \(user.name) is root: extensions would run as root; name an unprivileged user"))
            }
        }
    },
    DirectiveSpec("Group", module: "mod_unixd.c", contexts: .server, arity: 1...1,
                  syntax: "takes one argument, the effective group id for the serving process (a name or #gid)") { d, t in
        switch RunAsGroup.resolve(d.arguments[0]) {
        case .failure(let error): throw d.invalid(error.description)
        case .success(let group): t.server.group = group
        }
    },
    DirectiveSpec("HostnameLookups", module: "core.c", contexts: .serverConfig, arity: 1...1,
                  syntax: "takes Off (isapid never resolves client addresses to names)") { d, _ in
        guard d.arguments[0].lowercased() == "off" else {
            throw d.invalid("only Off is supported: isapid logs client IP addresses, never names")
        }
    },
    // Apache reads a request head with the settings of the server the connection
    // arrived at, before Host names a virtual host; isapid reads every head with the
    // main server's, so a <VirtualHost> value is accepted (Apache's syntax) and warned about.
    DirectiveSpec("HttpProtocolOptions", module: "core.c", contexts: .serverConfig, arity: 1...Int.max,
                  syntax: "takes Strict or Unsafe, RegisteredMethods or LenientMethods, Allow0.9 or Require1.0") { d, t in
        var options = t.server.httpProtocolOptions
        if let problem = options.apply(d.arguments) { throw d.invalid(problem) }
        guard t.context != .virtualHost else {
            t.server.warnings.append(ConfigError(
                file: d.location.file, line: d.location.line, kind: .badArguments,
                message: "HttpProtocolOptions in <VirtualHost> has no effect: isapid reads every request head "
                    + "with the main server's HttpProtocolOptions"))
            return
        }
        t.server.httpProtocolOptions = options
    },
    DirectiveSpec("LoadModule", module: "mod_so.c", contexts: .server, arity: 2...2,
                  syntax: "takes two arguments, a module name and the name of a shared object file to load it from") { d, t in
        let name = d.arguments[0].lowercased()
        guard DirectiveTable.standard.modules.contains(name) else {
            throw d.invalid("Cannot load \(d.arguments[1]): \(d.arguments[0]) is not built into isapid")
        }
    },
]
