import RewriteEngine

/// mod_rewrite (and ISAPI_Rewrite 3, which took its syntax): rules at server and
/// virtual-host level go to the host, rules in `<Directory>`-like sections and
/// `.htaccess` to that scope, which remembers its path for the per-directory prefix.
let rewriteDirectives: [DirectiveSpec] = [
    DirectiveSpec("RewriteEngine", module: "mod_rewrite.c", contexts: .anywhere.union(.htaccess), override: .fileInfo,
                  arity: 1...1, syntax: "must be On or Off") { d, t in
        let on = try d.flag()
        t.updateRewrite { $0.engine = on }
    },
    DirectiveSpec("RewriteBase", module: "mod_rewrite.c", contexts: [.directory, .files, .location, .htaccess],
                  override: .fileInfo, arity: 1...1, syntax: "takes one argument, the base URL of the per-directory context") { d, t in
        let base = d.arguments[0]
        guard base.hasPrefix("/") else { throw d.invalid("argument is not a valid URL") }
        t.updateRewrite { $0.base = base }
    },
    DirectiveSpec("RewriteOptions", module: "mod_rewrite.c", contexts: .anywhere.union(.htaccess), override: .fileInfo,
                  arity: 1...Int.max, syntax: "takes Inherit, InheritBefore, InheritDown, InheritDownBefore, IgnoreInherit, AllowNoSlash, AllowAnyURI, MergeBase or LongURLOptimization") { d, t in
        let options: RewriteOptions
        do { options = try RewriteOptions.parse(d.arguments) } catch { throw d.invalid("\(error)") }
        t.updateRewrite { $0.options = ($0.options ?? []).union(options) }
    },
    DirectiveSpec("RewriteCond", module: "mod_rewrite.c", contexts: .anywhere.union(.htaccess), override: .fileInfo,
                  arity: 2...3, syntax: "takes a TestString, a CondPattern and optional [flags]") { d, t in
        let condition: RewriteCondition
        do {
            condition = try RewriteCondition(d.arguments, text: "RewriteCond " + d.arguments.joined(separator: " "))
        } catch {
            throw d.invalid("\(error)")
        }
        t.updateRewrite { $0.pendingConditions.append(condition) }
    },
    DirectiveSpec("RewriteRule", module: "mod_rewrite.c", contexts: .anywhere.union(.htaccess), override: .fileInfo,
                  arity: 2...3, syntax: "takes a Pattern, a Substitution and optional [flags]") { d, t in
        try addRule(d, t, arguments: d.arguments)
    },
    // ISAPI_Rewrite 3's own: RewriteHeader and RewriteProxy take the RewriteConds before them.
    DirectiveSpec("RewriteHeader", module: "mod_rewrite.c", contexts: .anywhere.union(.htaccess), override: .fileInfo,
                  arity: 3...4, syntax: "takes a header name, a Pattern, a Substitution and optional [flags]") { d, t in
        try addRule(d, t, arguments: Array(d.arguments.dropFirst()), headerTarget: d.arguments[0])
    },
    DirectiveSpec("RewriteProxy", module: "mod_rewrite.c", contexts: .anywhere.union(.htaccess), override: .fileInfo,
                  arity: 2...3, syntax: "takes a Pattern, an absolute URL Substitution and optional [flags]") { d, t in
        try addRule(d, t, arguments: d.arguments, forceProxy: true)
    },
    DirectiveSpec("RewriteCompatibility2", module: "mod_rewrite.c", contexts: .anywhere.union(.htaccess), override: .fileInfo,
                  arity: 1...1, syntax: "must be On or Off") { d, t in
        let on = try d.flag()
        t.updateRewrite { $0.compatibility2 = on }
    },
    DirectiveSpec("RewriteMap", module: "mod_rewrite.c", contexts: .serverConfig, arity: 2...3,
                  syntax: "takes a map name and type:source (txt:, rnd:, int:)") { d, t in
        let map: RewriteMapDefinition
        do { map = try RewriteMapDefinition(d.arguments, resolve: t.resolvePath) } catch { throw d.invalid("\(error)") }
        t.updateRewrite { $0.maps[map.name] = map }
    },
]

/// RewriteRule, RewriteHeader, RewriteProxy: a rule with the conditions waiting for it.
private func addRule(_ d: Directive, _ t: DirectiveTarget, arguments: [String], headerTarget: String? = nil,
                     forceProxy: Bool = false) throws(ConfigError) {
    let rule: RewriteRule
    do {
        rule = try RewriteRule(arguments, conditions: t.currentRewrite.pendingConditions,
                               text: d.name + " " + d.arguments.joined(separator: " "),
                               location: "\(d.location.file):\(d.location.line)", headerTarget: headerTarget,
                               forceProxy: forceProxy)
    } catch {
        throw d.invalid("\(error)")
    }
    t.updateRewrite { config in
        config.pendingConditions.removeAll()
        config.append(rule)
    }
}

extension DirectiveTarget {
    /// The rewrite settings of the scope being compiled: the host's at server and
    /// virtual-host level, the section's (or .htaccess file's) elsewhere.
    /// The settings are taken out while they change, so that appending a rule does not
    /// copy every rule before it (10,000 rules took seconds to load).
    func updateRewrite(_ change: (inout RewriteConfig) -> Void) {
        if context == .server || context == .virtualHost {
            var config = host.rewrite.take() ?? RewriteConfig()
            change(&config)
            host.rewrite = config
        } else {
            var config = directory.rewrite.take() ?? RewriteConfig(directory: sectionPath)
            change(&config)
            directory.rewrite = config
        }
    }

    /// The rewrite settings of the scope being compiled, as they stand.
    var currentRewrite: RewriteConfig {
        if context == .server || context == .virtualHost { return host.rewrite ?? RewriteConfig() }
        return directory.rewrite ?? RewriteConfig(directory: sectionPath)
    }
}
