/// One access file (`.htaccess`), compiled: the per-directory settings it makes, the
/// `<Files>`/`<FilesMatch>` sections written in it, and what each of its directives
/// needs from `AllowOverride`.
///
/// A file is compiled once, whatever `AllowOverride` is in force, and checked against
/// it per request (`problem(allowOverride:allowOverrideList:)`): the same file may sit
/// under different `<Directory>` settings in different virtual hosts, and checking a
/// short list is cheaper than compiling again. The first problem in file order wins, as
/// when Apache walks the file: a directive `AllowOverride` does not allow before a bad
/// argument further down is what gets reported.
public struct HtaccessFile: Sendable {
    /// The file's absolute path.
    public let path: String
    /// The directory it configures: absolute, ending in `/`.
    public let directory: String
    /// What the file sets, to merge like a `<Directory>` section for `directory`.
    public let config: DirectoryConfig
    /// The `<Files>`/`<FilesMatch>` sections of the file, in file order.
    public let fileSections: [ConfigSection]
    /// Each directive and `<Files>` section, in file order, with the override it needs.
    let needs: [Need]
    /// A syntax error, an unknown directive, a directive never allowed in `.htaccess`,
    /// or bad arguments: nil when the file compiled.
    let failure: ConfigError?

    /// What one directive (or `<Files>` section) of the file needs to be allowed.
    struct Need: Sendable {
        enum Kind: Sendable {
            /// A directive enabled by this `AllowOverride` class.
            case override(Override)
            /// `<Files>`/`<FilesMatch>`: enabled by any class (Apache's OR_ALL).
            case anyOverride
            /// A directive with no class: only `AllowOverrideList` can enable it.
            case listOnly
        }

        /// The name in messages: `Options`, `<Files>`.
        let name: String
        /// The name as `AllowOverrideList` holds it: lower-cased, `<files` for a section.
        let listKey: String
        let kind: Kind
        let location: SourceLocation
    }

    /// The first reason this file may not apply under these overrides: a directive they
    /// do not allow (`file:line: Options not allowed here`), or the compile failure; nil
    /// when it applies.
    public func problem(allowOverride: Set<Override>, allowOverrideList: Set<String>) -> ConfigError? {
        for need in needs {
            if let failure, need.location.line > failure.line { break }
            let allowed: Bool
            switch need.kind {
            case .override(let override): allowed = allowOverride.contains(override)
            case .anyOverride: allowed = !allowOverride.isEmpty
            case .listOnly: allowed = false
            }
            if allowed || allowOverrideList.contains(need.listKey) { continue }
            return ConfigError(
                file: need.location.file, line: need.location.line, kind: .notAllowedHere,
                message: "\(need.name) not allowed here")
        }
        return failure
    }
}

/// Compiles access files with what the loaded configuration knows: the directive table,
/// the modules `<IfModule>` finds, the `Define`s `<IfDefine>` sees, and ServerRoot.
struct HtaccessCompiler: Sendable {
    let table: DirectiveTable
    let modules: Set<String>
    let configuration: ServerConfiguration

    init(configuration: ServerConfiguration, table: DirectiveTable) {
        self.table = table
        self.modules = table.modules
        self.configuration = configuration
    }

    /// Compiles the text of the access file at `path`, which configures `directory`
    /// (absolute, ending in `/`). Never throws: a broken file is a file with a failure.
    func compile(_ text: String, path: String, directory: String) -> HtaccessFile {
        var builder = ConfigTreeBuilder(
            modules: modules, serverRoot: configuration.serverRoot, defines: configuration.defines)
        builder.isAccessFile = true
        let nodes: [ConfigNode]
        do {
            nodes = try builder.parseText(text, file: path)
        } catch {
            return HtaccessFile(path: path, directory: directory, config: DirectoryConfig(), fileSections: [],
                                needs: [], failure: error)
        }
        let root = configuration.serverRoot
        let compiler = ConfigCompiler(table: table, resolvePath: { ConfigLoader.absolute($0, relativeTo: root) })
        let needs = self.needs(nodes)
        do {
            let (config, sections) = try compiler.compileAccessFile(nodes, directory: directory, server: configuration)
            return HtaccessFile(path: path, directory: directory, config: config, fileSections: sections,
                                needs: needs, failure: nil)
        } catch {
            return HtaccessFile(path: path, directory: directory, config: DirectoryConfig(), fileSections: [],
                                needs: needs, failure: error)
        }
    }

    /// The override each known directive and `<Files>` section needs, in file order.
    /// Unknown directives and other sections are left to the compiler, which rejects them.
    private func needs(_ nodes: [ConfigNode]) -> [HtaccessFile.Need] {
        var needs: [HtaccessFile.Need] = []
        for node in nodes {
            if node.isSection {
                let lowered = node.name.lowercased()
                guard lowered == "files" || lowered == "filesmatch" else { continue }
                needs.append(.init(name: "<\(node.name)>", listKey: "<" + lowered, kind: .anyOverride,
                                   location: node.location))
                needs += self.needs(node.children ?? [])
            } else if let spec = table.spec(named: node.name) {
                let kind: HtaccessFile.Need.Kind = spec.override.map { .override($0) } ?? .listOnly
                needs.append(.init(name: spec.name, listKey: spec.name.lowercased(), kind: kind,
                                   location: node.location))
            }
        }
        return needs
    }
}

extension ConfigCompiler {
    /// The directives of an access file, compiled in the `.htaccess` context with the
    /// file's directory as `sectionPath`: the per-directory settings and the `<Files>`
    /// sections written in it. `server` is the loaded configuration, read-only here.
    func compileAccessFile(
        _ nodes: [ConfigNode], directory: String, server: ServerConfiguration
    ) throws(ConfigError) -> (DirectoryConfig, [ConfigSection]) {
        let target = DirectiveTarget(
            server: server, host: VirtualHost(), directory: DirectoryConfig(), context: .htaccess,
            resolvePath: resolvePath, sectionPath: directory)
        for node in nodes {
            if node.isSection && node.name.lowercased() == "virtualhost" {
                throw .notAllowed("<VirtualHost>", "cannot occur within .htaccess section", at: node.location)
            }
            try compileNode(node, target)
        }
        return (target.directory, target.host.fileSections)
    }
}
