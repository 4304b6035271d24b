import Foundation

/// Reads configuration text into a tree of `ConfigNode`s, resolving everything that
/// Apache resolves while it reads: `Include`/`IncludeOptional`, `<IfModule>`,
/// `<IfDefine>`, `Define`/`UnDefine`, `${VAR}` and `ServerRoot` for relative paths.
struct ConfigTreeBuilder {
    /// Module names that `<IfModule>` finds, both as `mod_x.c` and `x_module`.
    let modules: Set<String>
    var serverRoot: String
    var defines: [String: String]
    private(set) var warnings: [ConfigError] = []
    private var includeStack: [String] = []
    /// Reading an access file (`.htaccess`): the directives acted on while reading
    /// (`Include`, `Define`, `ServerRoot`, ...) are not allowed there, as in Apache.
    var isAccessFile = false

    /// The directives this builder acts on itself, which an access file may not use.
    static let readTimeDirectives: Set<String> = ["include", "includeoptional", "define", "undefine", "serverroot"]

    static let maxIncludeDepth = 64

    init(modules: Set<String>, serverRoot: String, defines: [String: String]) {
        self.modules = Set(modules.map { $0.lowercased() })
        self.serverRoot = serverRoot
        self.defines = defines
    }

    /// Parses a file; `location` is where it was included from, if anywhere.
    mutating func parseFile(_ path: String, includedFrom location: SourceLocation?) throws(ConfigError) -> [ConfigNode] {
        let canonical = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        let at = location ?? SourceLocation(file: path, line: 0)
        if includeStack.contains(canonical) {
            throw .syntax("Include cycle: \(path) includes itself (through \(includeStack.joined(separator: " -> ")))", at: at)
        }
        if includeStack.count >= Self.maxIncludeDepth {
            throw .syntax("Exceeded the maximum include directory nesting level of \(Self.maxIncludeDepth)", at: at)
        }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .syntax("Could not open configuration file \(path): \(Self.reason(error))", at: at)
        }
        includeStack.append(canonical)
        defer { includeStack.removeLast() }
        return try parseText(text, file: path)
    }

    mutating func parseText(_ text: String, file: String) throws(ConfigError) -> [ConfigNode] {
        let lines = ConfigLexer.logicalLines(text)
        var index = 0
        let nodes = try parseBlock(lines, &index, file: file, open: nil, active: true)
        return nodes
    }

    /// Parses lines until the close tag of `open` (or the end of the file at top level).
    /// In an inactive block (a false `<IfModule>`), structure is still checked but nothing
    /// takes effect: no Define, no Include.
    private mutating func parseBlock(
        _ lines: [ConfigLexer.LogicalLine], _ index: inout Int, file: String, open: ConfigNode?, active: Bool
    ) throws(ConfigError) -> [ConfigNode] {
        var nodes: [ConfigNode] = []
        while index < lines.count {
            let line = lines[index]
            index += 1
            let location = SourceLocation(file: file, line: line.number)
            let text = active ? substitute(line.text, at: location) : line.text

            if text.hasPrefix("</") {
                let name = closeTagName(text)
                guard let open else {
                    throw .syntax("</\(name)> without matching <\(name)> section", at: location)
                }
                guard name.caseInsensitiveCompare(open.name) == .orderedSame else {
                    throw .syntax("Expected </\(open.name)> but saw </\(name)>", at: location)
                }
                return nodes
            }
            if text.hasPrefix("<") {
                let (name, arguments) = try sectionHead(text, at: location)
                let head = ConfigNode(name: name, arguments: arguments, location: location, children: [])
                switch name.lowercased() {
                case "ifmodule":
                    let holds = active ? try condition(arguments, head) { modules.contains($0.lowercased()) } : false
                    let body = try parseBlock(lines, &index, file: file, open: head, active: holds)
                    if holds { nodes += body }
                case "ifdefine":
                    let holds = active ? try condition(arguments, head) { defines[$0] != nil } : false
                    let body = try parseBlock(lines, &index, file: file, open: head, active: holds)
                    if holds { nodes += body }
                case "iffile":
                    let holds = active ? try condition(arguments, head) { FileManager.default.fileExists(atPath: resolve($0)) } : false
                    let body = try parseBlock(lines, &index, file: file, open: head, active: holds)
                    if holds { nodes += body }
                default:
                    let body = try parseBlock(lines, &index, file: file, open: head, active: active)
                    nodes.append(ConfigNode(name: name, arguments: arguments, location: location, children: body))
                }
                continue
            }

            let nameEnd = text.firstIndex(where: { $0.isConfigWhitespace }) ?? text.endIndex
            let name = String(text[..<nameEnd])
            let rawArguments = ConfigLexer.rawArgumentDirectives.contains(name.lowercased())
                ? ConfigLexer.rewriteWords(text[nameEnd...]) : ConfigLexer.words(text[nameEnd...])
            guard let arguments = rawArguments else {
                throw .syntax("\(name): unterminated quoted string", at: location)
            }
            guard active else { continue }
            if isAccessFile && Self.readTimeDirectives.contains(name.lowercased()) {
                throw .notAllowed(name, "in .htaccess context", at: location)
            }
            switch name.lowercased() {
            case "include", "includeoptional":
                guard arguments.count == 1 else {
                    throw .arguments(name, "takes one argument, the file or wildcard to include", at: location)
                }
                nodes += try include(arguments[0], optional: name.lowercased() == "includeoptional", at: location)
            case "define":
                guard (1...2).contains(arguments.count), !arguments[0].contains(":") else {
                    throw .arguments(name, "takes a variable name and an optional value (no ':' in the name)", at: location)
                }
                defines[arguments[0]] = arguments.count == 2 ? arguments[1] : ""
            case "undefine":
                guard arguments.count == 1 else { throw .arguments(name, "takes one argument, a variable name", at: location) }
                defines[arguments[0]] = nil
            case "serverroot":
                guard arguments.count == 1 else { throw .arguments(name, "takes one argument, a directory", at: location) }
                var isDirectory: ObjCBool = false
                let root = resolve(arguments[0])
                guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
                    throw .arguments(name, "ServerRoot must be a valid directory: \(root)", at: location)
                }
                serverRoot = root
                nodes.append(ConfigNode(name: name, arguments: [root], location: location))
            default:
                nodes.append(ConfigNode(name: name, arguments: arguments, location: location))
            }
        }
        if let open {
            throw .syntax("<\(open.name)> was not closed (opened at line \(open.location.line))", at: open.location)
        }
        return nodes
    }

    /// `<IfModule>`/`<IfDefine>`/`<IfFile>` take one test, optionally negated with `!`.
    private func condition(
        _ arguments: [String], _ head: ConfigNode, _ test: (String) -> Bool
    ) throws(ConfigError) -> Bool {
        guard arguments.count == 1 else {
            throw .arguments(head.displayName, "takes exactly one argument", at: head.location)
        }
        var argument = Substring(arguments[0])
        let negated = argument.first == "!"
        if negated { argument = argument.dropFirst() }
        guard !argument.isEmpty else {
            throw .arguments(head.displayName, "requires a name", at: head.location)
        }
        return test(String(argument)) != negated
    }

    private func sectionHead(_ text: String, at location: SourceLocation) throws(ConfigError) -> (String, [String]) {
        let body = text.dropFirst()
        let nameEnd = body.firstIndex(where: { $0.isConfigWhitespace || $0 == ">" }) ?? body.endIndex
        let name = String(body[..<nameEnd])
        guard let close = body.lastIndex(of: ">") else {
            throw .syntax("<\(name)> directive missing closing '>'", at: location)
        }
        guard body[body.index(after: close)...].allSatisfy({ $0.isConfigWhitespace }) else {
            throw .syntax("<\(name)> has text after its closing '>'", at: location)
        }
        guard !name.isEmpty else { throw .syntax("Section with no name: \(text)", at: location) }
        let inner = nameEnd < close ? body[nameEnd..<close] : ""
        guard let arguments = ConfigLexer.words(inner) else {
            throw .syntax("<\(name)>: unterminated quoted string", at: location)
        }
        return (name, arguments)
    }

    private func closeTagName(_ text: String) -> String {
        var name = text.dropFirst(2)
        if let close = name.firstIndex(of: ">") { name = name[..<close] }
        return String(name.trimmingTrailingWhitespace())
    }

    private mutating func include(_ pattern: String, optional: Bool, at location: SourceLocation) throws(ConfigError) -> [ConfigNode] {
        let path = resolve(pattern)
        var nodes: [ConfigNode] = []
        let hasWildcard = path.contains(where: { "*?[".contains($0) })
        let files: [String]
        if hasWildcard {
            files = Self.glob(path)
            if files.isEmpty && !optional {
                throw .syntax("Include: no matches for the wildcard '\(pattern)' (use IncludeOptional to allow none)", at: location)
            }
        } else {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
                if isDirectory.boolValue {
                    files = Self.glob(path + "/*")
                } else {
                    files = [path]
                }
            } else if optional {
                files = []
            } else {
                throw .syntax("Include: could not open \(path): no such file or directory", at: location)
            }
        }
        for file in files {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory), isDirectory.boolValue {
                nodes += try include(file, optional: optional, at: location)
            } else {
                nodes += try parseFile(file, includedFrom: location)
            }
        }
        return nodes
    }

    /// Replaces `${NAME}` with a Define, else an environment variable; an unknown name is
    /// left as written and reported once as a warning, as Apache does.
    private mutating func substitute(_ text: String, at location: SourceLocation) -> String {
        guard text.contains("${") else { return text }
        var result = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            result += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                result += rest[start.lowerBound...]
                return result
            }
            let name = String(rest[start.upperBound..<end])
            if let value = defines[name] ?? ProcessInfo.processInfo.environment[name] {
                result += value
            } else {
                warnings.append(.syntax("Config variable ${\(name)} is not defined", at: location))
                result += rest[start.lowerBound...end]
            }
            rest = rest[rest.index(after: end)...]
        }
        return result + rest
    }

    /// A path relative to ServerRoot, as Apache's `ap_server_root_relative`.
    func resolve(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        return (serverRoot.hasSuffix("/") ? serverRoot : serverRoot + "/") + path
    }

    static func glob(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard Foundation.glob(pattern, 0, nil, &result) == 0 else { return [] }
        var paths: [String] = []
        for i in 0..<Int(result.gl_pathc) {
            if let cString = result.gl_pathv[i] { paths.append(String(cString: cString)) }
        }
        return paths.sorted()
    }

    static func reason(_ error: Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return nsError.localizedDescription
    }
}
