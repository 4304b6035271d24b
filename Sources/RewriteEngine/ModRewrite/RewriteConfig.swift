/// The mod_rewrite settings of one context: the server, a virtual host, a
/// `<Directory>`-like section or an `.htaccess` file.
public struct RewriteConfig: Sendable, Equatable {
    /// RewriteEngine; nil when this context does not say.
    public var engine: Bool?
    /// RewriteOptions; nil when this context does not say.
    public var options: RewriteOptions?
    /// RewriteBase (per-directory only); nil when not set.
    public var base: String?
    /// ISAPI_Rewrite 3's RewriteCompatibility2: server-context rules match the URL as
    /// sent (not decoded, query included), as ISAPI_Rewrite 2 did; nil when not set.
    public var compatibility2: Bool?
    public var rules: [RewriteRule] = [] {
        didSet { literalIndex = nil }
    }
    /// The literal pre-filter over `rules` (server context), built by `prepareIndex()`
    /// once the rules are complete; nil when not built or when the rules changed since.
    private(set) var literalIndex: LiteralRuleIndex?
    /// RewriteConds waiting for their RewriteRule while the context is read.
    public var pendingConditions: [RewriteCondition] = []
    /// RewriteMap definitions (server and virtual host only), by name.
    public var maps: [String: RewriteMapDefinition] = [:]
    /// The per-directory prefix (`<Directory>` path or `.htaccess` directory, ending in
    /// `/`); nil at server level.
    public var directory: String?

    public init(directory: String? = nil) {
        self.directory = directory
    }

    /// Adds a rule in place. (`rules.append` from another module goes through the
    /// observed property's getter and setter, copying every rule so far each time.)
    public mutating func append(_ rule: RewriteRule) {
        rules.append(rule)
    }

    public var isEnabled: Bool { engine ?? false }

    /// Builds the literal pre-filter, when it can be used: rules chained with [C] or
    /// skipping with [S] depend on their neighbours, so such lists are tried rule by rule.
    public mutating func prepareIndex() {
        guard !rules.isEmpty, !rules.contains(where: { $0.flags.chain || $0.flags.skip > 0 }) else { return }
        let index = LiteralRuleIndex(entries: rules.map { .init(literal: $0.requiredLiteral) })
        literalIndex = index
    }

    /// Apache's `config_perdir_merge`: state, options and base come from the child when
    /// it sets them; the rules are the child's only, unless Inherit (child then parent)
    /// or InheritBefore (parent then child) is in force.
    public func merged(over parent: RewriteConfig?) -> RewriteConfig {
        guard let parent else { return self }
        var result = self
        result.engine = engine ?? parent.engine
        result.options = options ?? parent.options
        result.base = base ?? parent.base
        result.compatibility2 = compatibility2 ?? parent.compatibility2
        let effective = result.options ?? []
        if effective.contains(.inheritBefore) || parent.options?.contains(.inheritDownBefore) == true {
            result.rules = parent.rules + rules
        } else if effective.contains(.inherit) || parent.options?.contains(.inheritDown) == true {
            result.rules = rules + parent.rules
        }
        return result
    }

    /// Apache's `config_server_merge` for a virtual host over the main server: nothing is
    /// inherited unless the host says Inherit / InheritBefore (or the main server says
    /// InheritDown / InheritDownBefore).
    public func mergedForVirtualHost(over main: RewriteConfig) -> RewriteConfig {
        var result = self
        let own = options ?? []
        let down = main.options ?? []
        if own.contains(.ignoreInherit) { return result }
        if own.contains(.inheritBefore) || down.contains(.inheritDownBefore) {
            result.rules = main.rules + rules
            result.maps = maps.merging(main.maps) { own, _ in own }
            result.engine = engine ?? main.engine
        } else if own.contains(.inherit) || down.contains(.inheritDown) {
            result.rules = rules + main.rules
            result.maps = maps.merging(main.maps) { own, _ in own }
            result.engine = engine ?? main.engine
        }
        return result
    }

    public static func == (a: RewriteConfig, b: RewriteConfig) -> Bool {
        a.engine == b.engine && a.options == b.options && a.base == b.base && a.directory == b.directory
            && a.rules.map(\.location) == b.rules.map(\.location) && a.rules.map(\.text) == b.rules.map(\.text)
            && a.maps.keys.sorted() == b.maps.keys.sorted()
    }
}

/// RewriteOptions.
public struct RewriteOptions: OptionSet, Sendable, Hashable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let inherit = RewriteOptions(rawValue: 1 << 0)
    public static let inheritBefore = RewriteOptions(rawValue: 1 << 1)
    public static let inheritDown = RewriteOptions(rawValue: 1 << 2)
    public static let inheritDownBefore = RewriteOptions(rawValue: 1 << 3)
    public static let ignoreInherit = RewriteOptions(rawValue: 1 << 4)
    public static let allowNoSlash = RewriteOptions(rawValue: 1 << 5)
    public static let allowAnyURI = RewriteOptions(rawValue: 1 << 6)
    public static let mergeBase = RewriteOptions(rawValue: 1 << 7)
    public static let longURLOptimization = RewriteOptions(rawValue: 1 << 8)

    /// Parses the arguments of RewriteOptions.
    public static func parse(_ words: [String]) throws(RewriteSyntaxError) -> RewriteOptions {
        var options: RewriteOptions = []
        for word in words {
            switch word.lowercased() {
            case "inherit": options.insert(.inherit)
            case "inheritbefore": options.insert(.inheritBefore)
            case "inheritdown": options.insert(.inheritDown)
            case "inheritdownbefore": options.insert(.inheritDownBefore)
            case "ignoreinherit": options.insert(.ignoreInherit)
            case "allownoslash": options.insert(.allowNoSlash)
            case "allowanyuri": options.insert(.allowAnyURI)
            case "mergebase": options.insert(.mergeBase)
            case "longurloptimization": options.insert(.longURLOptimization)
            default:
                if word.lowercased().hasPrefix("maxredirects=") { continue }  // Apache 2.2's, ignored by 2.4 too
                throw RewriteSyntaxError("RewriteOptions: unknown option '\(word)'")
            }
        }
        return options
    }
}
