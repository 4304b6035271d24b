import Foundation

/// What the command line says about loading the configuration, as Apache's httpd takes it.
public struct ConfigLoadOptions: Sendable {
    /// `-f`: the main file, relative to ServerRoot unless absolute.
    public var configFile: String
    /// `-d`: the initial ServerRoot.
    public var serverRoot: String
    /// `-D`: names defined for `<IfDefine>` and `${NAME}`.
    public var defines: [String]
    /// `-C`: directives processed before the file.
    public var preDirectives: [String]
    /// `-c`: directives processed after the file.
    public var postDirectives: [String]

    public init(configFile: String = "conf/httpd.conf", serverRoot: String = FileManager.default.currentDirectoryPath,
                defines: [String] = [], preDirectives: [String] = [], postDirectives: [String] = []) {
        self.configFile = configFile
        self.serverRoot = serverRoot
        self.defines = defines
        self.preDirectives = preDirectives
        self.postDirectives = postDirectives
    }
}

/// Reads, checks and compiles a configuration. Used at start, by `isapid -t`, and on
/// every reload; it never touches the running server.
public enum ConfigLoader {
    public static func load(_ options: ConfigLoadOptions, table: DirectiveTable = .standard) throws(ConfigError) -> ServerConfiguration {
        let root = absolute(options.serverRoot, relativeTo: FileManager.default.currentDirectoryPath)
        var builder = ConfigTreeBuilder(
            modules: table.modules, serverRoot: root,
            defines: Dictionary(options.defines.map { ($0, "") }, uniquingKeysWith: { a, _ in a }))
        var nodes: [ConfigNode] = []
        for (index, directive) in options.preDirectives.enumerated() {
            nodes += try builder.parseText(directive, file: "-C argument \(index + 1)")
        }
        let file = absolute(options.configFile, relativeTo: builder.serverRoot)
        nodes += try builder.parseFile(file, includedFrom: nil)
        for (index, directive) in options.postDirectives.enumerated() {
            nodes += try builder.parseText(directive, file: "-c argument \(index + 1)")
        }
        let serverRoot = builder.serverRoot
        let compiler = ConfigCompiler(table: table, resolvePath: { absolute($0, relativeTo: serverRoot) })
        var server = try compiler.compile(nodes, into: ServerConfiguration(serverRoot: serverRoot, configFile: file))
        server.serverRoot = serverRoot
        server.defines = builder.defines
        server.warnings = builder.warnings + server.warnings  // keep the directives' own (ISAPICacheFile)
        applyDefaults(&server)
        try SSLValidation.apply(&server)
        return server
    }

    /// Parses configuration text with no file behind it: for tests and `-C`-style input.
    public static func load(text: String, file: String = "test.conf", serverRoot: String,
                            table: DirectiveTable = .standard) throws(ConfigError) -> ServerConfiguration {
        var builder = ConfigTreeBuilder(modules: table.modules, serverRoot: serverRoot, defines: [:])
        let nodes = try builder.parseText(text, file: file)
        let root = builder.serverRoot
        let compiler = ConfigCompiler(table: table, resolvePath: { absolute($0, relativeTo: root) })
        var server = try compiler.compile(nodes, into: ServerConfiguration(serverRoot: root, configFile: file))
        server.defines = builder.defines
        server.warnings = builder.warnings + server.warnings  // keep the directives' own (ISAPICacheFile)
        applyDefaults(&server)
        try SSLValidation.apply(&server)
        return server
    }

    /// What Apache compiles in: DocumentRoot `htdocs` and TypesConfig `conf/mime.types`
    /// under ServerRoot.
    private static func applyDefaults(_ server: inout ServerConfiguration) {
        if server.mainHost.documentRoot == nil {
            server.mainHost.documentRoot = absolute("htdocs", relativeTo: server.serverRoot)
            for index in server.virtualHosts.indices where server.virtualHosts[index].documentRoot == nil {
                server.virtualHosts[index].documentRoot = server.mainHost.documentRoot
            }
        }
        if server.mimeTypes.isEmpty {
            let path = absolute("conf/mime.types", relativeTo: server.serverRoot)
            if let text = try? String(contentsOfFile: path, encoding: .utf8) {
                server.mimeTypes = MIMETypesFile.parse(text)
            } else {
                server.warnings.append(ConfigError(
                    file: server.configFile, line: 0, kind: .syntax,
                    message: "no TypesConfig and no \(path): files are served without a media type"))
            }
        }
    }

    static func absolute(_ path: String, relativeTo base: String) -> String {
        if path.hasPrefix("/") { return path }
        return URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: base, isDirectory: true)).standardizedFileURL.path
    }
}
