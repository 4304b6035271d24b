import PCRE2Regex

/// mod_alias: Alias, AliasMatch, Redirect, RedirectMatch, RedirectPermanent, RedirectTemp.
let aliasDirectives: [DirectiveSpec] = [
    DirectiveSpec("Alias", module: "mod_alias.c", contexts: .serverConfig, arity: 2...2,
                  syntax: "takes two arguments, a URL path and a file or directory path") { d, t in
        t.host.aliases.append(AliasRule(match: .prefix(d.arguments[0]), target: t.resolvePath(d.arguments[1]), location: d.location))
    },
    DirectiveSpec("AliasMatch", module: "mod_alias.c", contexts: .serverConfig, arity: 2...2,
                  syntax: "takes two arguments, a regular expression and a file path with $1..$9") { d, t in
        t.host.aliases.append(AliasRule(match: .regex(try compileRegex(d, d.arguments[0])), target: d.arguments[1], location: d.location))
    },
    DirectiveSpec("Redirect", module: "mod_alias.c", contexts: .anywhere.union(.htaccess), override: .fileInfo,
                  arity: 1...3, syntax: "takes [status] URL-path URL; status is permanent, temp, seeother, gone or a number") { d, t in
        try addRedirect(d, t, regex: false, defaultStatus: 302)
    },
    DirectiveSpec("RedirectMatch", module: "mod_alias.c", contexts: .anywhere.union(.htaccess), override: .fileInfo,
                  arity: 1...3, syntax: "takes [status] regex URL; status is permanent, temp, seeother, gone or a number") { d, t in
        try addRedirect(d, t, regex: true, defaultStatus: 302)
    },
    DirectiveSpec("RedirectPermanent", module: "mod_alias.c", contexts: .anywhere.union(.htaccess), override: .fileInfo,
                  arity: 1...2, syntax: "takes URL-path URL") { d, t in
        try addRedirect(d, t, regex: false, defaultStatus: 301)
    },
    DirectiveSpec("RedirectTemp", module: "mod_alias.c", contexts: .anywhere.union(.htaccess), override: .fileInfo,
                  arity: 1...2, syntax: "takes URL-path URL") { d, t in
        try addRedirect(d, t, regex: false, defaultStatus: 302)
    },
]

private func compileRegex(_ d: Directive, _ pattern: String) throws(ConfigError) -> RegexPattern {
    do {
        return try RegexPattern(pattern, options: .dotAll)
    } catch {
        throw d.invalid("Regular expression could not be compiled: \(error.description)")
    }
}

/// Apache's rules: an optional status word or number first; 3xx statuses need a URL,
/// others must not have one. Inside `<Location>` the URL path may be left out.
private func addRedirect(_ d: Directive, _ t: DirectiveTarget, regex: Bool, defaultStatus: Int) throws(ConfigError) {
    var words = d.arguments
    var status = defaultStatus
    let statusWords = ["permanent": 301, "temp": 302, "seeother": 303, "gone": 410]
    if d.name == "Redirect" || d.name == "RedirectMatch", words.count > 1 || !words[0].hasPrefix("/") {
        if let named = statusWords[words[0].lowercased()] {
            status = named
            words.removeFirst()
        } else if let number = Int(words[0]) {
            guard (300...599).contains(number) else { throw d.invalid("invalid status code \(words[0])") }
            status = number
            words.removeFirst()
        }
    }
    let needsURL = (300...399).contains(status)
    let pathAndURL: (String?, String?)
    switch (words.count, needsURL) {
    case (2, true): pathAndURL = (words[0], words[1])
    case (1, true) where t.context == .location: pathAndURL = (nil, words[0])
    case (1, false): pathAndURL = (words[0], nil)
    case (0, false) where t.context == .location: pathAndURL = (nil, nil)
    default:
        throw d.invalid(needsURL ? "URL to redirect to is missing" : "Redirect to non-URL with a status of \(status) takes no URL")
    }
    if let url = pathAndURL.1, !(url.contains("://") || url.hasPrefix("/")) {
        throw d.invalid("Redirect to non-URL '\(url)'")
    }
    let match: RedirectRule.Match
    if regex {
        match = .regex(try compileRegex(d, pathAndURL.0 ?? "^"))
    } else {
        match = .prefix(pathAndURL.0 ?? "/")
    }
    let rule = RedirectRule(status: status, match: match, target: pathAndURL.1, location: d.location)
    if t.context == .server || t.context == .virtualHost {
        guard pathAndURL.0 != nil else { throw d.invalid("needs a URL path outside <Location>") }
        t.host.redirects.append(rule)
    } else {
        t.directory.redirects = (t.directory.redirects ?? []) + [rule]
    }
}
