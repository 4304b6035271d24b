import PCRE2Regex

/// mod_headers: `Header` and `RequestHeader`, with Apache 2.4's argument rules
/// (`header_cmd` and `header_inout_cmd` in mod_headers.c). Allowed everywhere, and in
/// `.htaccess` under `AllowOverride FileInfo`.
let headersDirectives: [DirectiveSpec] = [
    DirectiveSpec("Header", module: "mod_headers.c", contexts: .anywhere.union(.htaccess), override: .fileInfo,
                  arity: 2...5,
                  syntax: "takes [always|onsuccess] an action, a header, and a value, a replacement or a condition as the action needs") { d, t in
        var words = d.arguments[...]
        var table = HeaderTable.onSuccess
        switch words.first?.lowercased() {
        case "always": table = .always; words = words.dropFirst()
        case "onsuccess": words = words.dropFirst()
        default: break
        }
        let rule = try HeaderLine.compile(d, Array(words), forResponse: true)
        var rules = t.directory.headers ?? HeaderRules()
        switch table {
        case .always: rules.always.append(rule)
        case .onSuccess: rules.onSuccess.append(rule)
        }
        t.directory.headers = rules
    },
    DirectiveSpec("RequestHeader", module: "mod_headers.c", contexts: .anywhere.union(.htaccess), override: .fileInfo,
                  arity: 2...4,
                  syntax: "takes an action, a header, and a value, a replacement or a condition as the action needs") { d, t in
        let rule = try HeaderLine.compile(d, d.arguments, forResponse: false)
        var rules = t.directory.headers ?? HeaderRules()
        if rule.condition == .early {
            // Apache runs early lines with the virtual host's configuration only.
            guard t.context.isDisjoint(with: [.directory, .files, .location, .htaccess]) else {
                throw d.invalid("early is only allowed in server config and <VirtualHost>")
            }
            rules.hasEarlyRequestLines = true
        }
        rules.request.append(rule)
        t.directory.headers = rules
    },
]

/// Which of Header's two tables a line goes to.
private enum HeaderTable {
    case always
    case onSuccess
}

/// Turns the words after the condition (`action header [value [replacement]] [condition]`)
/// into a rule, with mod_headers' messages for what is wrong.
private enum HeaderLine {
    static func compile(_ d: Directive, _ words: [String], forResponse: Bool) throws(ConfigError) -> HeaderRule {
        guard words.count <= 4 else { throw d.invalid("\(d.name) has too many arguments") }
        guard words.count >= 2 else { throw d.invalid("Header requires three arguments") }
        let actionWord = words[0].lowercased()
        var header = words[1]
        var value: String? = words.count > 2 ? words[2] : nil
        var replacement: String? = words.count > 3 ? words[3] : nil
        var clause: String?

        let action: HeaderAction
        switch actionWord {
        case "edit", "edit*":
            guard let pattern = value, let substitution = replacement else {
                throw d.invalid("Header edit requires a match and a substitution")
            }
            if words.count > 4 { throw d.invalid("Too many arguments to directive") }
            let regex: RegexPattern
            do { regex = try RegexPattern(pattern) } catch {
                throw d.invalid("Header edit regex could not be compiled: \(error)")
            }
            action = .edit(HeaderEdit(regex: HeaderRegex(regex), replacement: try format(d, substitution),
                                      everyMatch: actionWord == "edit*"))
        case "unset", "echo":
            // No value: the third word, if any, is the condition.
            guard replacement == nil else { throw d.invalid("header \(actionWord) takes two arguments") }
            clause = value
            value = nil
            if actionWord == "unset" {
                action = .unset
            } else {
                guard forResponse else { throw d.invalid("Header echo only valid on Header directives") }
                do { action = .echo(HeaderRegex(try RegexPattern(header))) } catch {
                    throw d.invalid("Header echo regex could not be compiled: \(error)")
                }
            }
        case "set", "append", "merge", "add", "setifempty":
            guard let text = value else { throw d.invalid("Header requires three arguments") }
            clause = replacement
            replacement = nil
            let parsed = try format(d, text)
            switch actionWord {
            case "set": action = .set(parsed)
            case "append": action = .append(parsed)
            case "merge": action = .merge(parsed)
            case "add": action = .add(parsed)
            default: action = .setIfEmpty(parsed)
            }
        case "note":
            throw d.invalid("the action 'note' is not supported by isapid")
        default:
            throw d.invalid("first argument must be 'add', 'set', 'setifempty', 'append', 'merge', 'unset', 'echo', 'edit', or 'edit*'.")
        }
        if let colon = header.firstIndex(of: ":") { header = String(header[..<colon]) }
        return HeaderRule(name: header, action: action, condition: try condition(d, clause, forResponse: forResponse), location: d.location)
    }

    /// The trailing `env=[!]VAR`, or `early` on RequestHeader; `expr=` and a Header
    /// `early` are errors (not supported).
    private static func condition(_ d: Directive, _ clause: String?, forResponse: Bool) throws(ConfigError) -> HeaderCondition {
        guard let clause else { return .none }
        let lower = clause.lowercased()
        if lower.hasPrefix("env=") {
            let name = clause.dropFirst(4)
            if name.hasPrefix("!") {
                guard name.count > 1 else { throw missingVariable(d) }
                return .environmentUnset(String(name.dropFirst()))
            }
            guard !name.isEmpty else { throw missingVariable(d) }
            return .environmentSet(String(name))
        }
        if lower.hasPrefix("expr=") { throw d.invalid("expr= is not supported") }
        if lower == "early" {
            guard !forResponse else { throw d.invalid("early is supported on RequestHeader only") }
            return .early
        }
        throw d.invalid("Unknown parameter: \(clause)")
    }

    private static func missingVariable(_ d: Directive) -> ConfigError {
        d.invalid("error: missing environment variable name. envclause should be in the form env=envar ")
    }

    /// A value or replacement with format specifiers; `expr=` values are not supported.
    private static func format(_ d: Directive, _ text: String) throws(ConfigError) -> HeaderValue {
        if text.lowercased().hasPrefix("expr=") { throw d.invalid("expr= is not supported") }
        switch HeaderValue.parse(text) {
        case .success(let value): return value
        case .failure(let problem): throw d.invalid(problem.message)
        }
    }
}
