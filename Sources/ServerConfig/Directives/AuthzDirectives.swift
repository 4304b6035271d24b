/// mod_authz_core / mod_authz_host: Require all, ip, local, method.
let authzDirectives: [DirectiveSpec] = [
    DirectiveSpec("Require", module: "mod_authz_core.c", contexts: [.directory, .files, .location, .htaccess],
                  override: .authConfig, arity: 1...Int.max,
                  syntax: "takes 'all granted', 'all denied', 'ip <address or network> ...', 'local' or 'method <METHOD> ...'") { d, t in
        var words = d.arguments
        if words[0].lowercased() == "not" {
            throw d.invalid("negative Require directive has no effect in <RequireAny> directive (isapid has no <RequireAll>)")
        }
        let kind = words.removeFirst().lowercased()
        let rule: AccessRule
        switch kind {
        case "all":
            guard words.count == 1, ["granted", "denied"].contains(words[0].lowercased()) else {
                throw d.invalid("'Require all' takes granted or denied")
            }
            rule = .all(granted: words[0].lowercased() == "granted")
        case "ip":
            guard !words.isEmpty else { throw d.invalid("'Require ip' needs at least one address or network") }
            var ranges: [IPRange] = []
            for word in words {
                guard let range = IPRange(word) else { throw d.invalid("ip address '\(word)' appears to be invalid") }
                ranges.append(range)
            }
            rule = .ip(ranges)
        case "local":
            guard words.isEmpty else { throw d.invalid("'Require local' takes no arguments") }
            rule = .local
        case "method":
            guard !words.isEmpty else { throw d.invalid("'Require method' needs at least one method") }
            rule = .method(Set(words.map { $0.uppercased() }))
        default:
            throw d.invalid("Unknown Authz provider: \(kind)")
        }
        // Lines in one scope add up (RequireAny); the scope as a whole replaces the parent's.
        var policy = t.directory.access ?? AccessPolicy(rules: [])
        policy.rules.append(rule)
        t.directory.access = policy
    },
]
