/// One directive or section of a configuration file, before it has any meaning.
///
/// `Include`, `<IfModule>`, `<IfDefine>`, `Define` and `${VAR}` are already resolved
/// when nodes are built, so a tree is exactly what the server will act on.
public struct ConfigNode: Sendable, Equatable {
    /// The directive or section name as written, without `<` for sections.
    public let name: String
    public let arguments: [String]
    public let location: SourceLocation
    /// Nil for a directive; the enclosed nodes for a section.
    public let children: [ConfigNode]?

    public init(name: String, arguments: [String], location: SourceLocation, children: [ConfigNode]? = nil) {
        self.name = name
        self.arguments = arguments
        self.location = location
        self.children = children
    }

    public var isSection: Bool { children != nil }
    /// How the node is named in messages: `<Directory>` for a section, `Listen` for a directive.
    public var displayName: String { isSection ? "<\(name)>" : name }
}
