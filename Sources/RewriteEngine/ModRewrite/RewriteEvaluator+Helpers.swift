import Foundation

extension RewriteEvaluator {
    /// The endings both contexts share: the unsafe-query refusal (403), then a status a
    /// rule set ([F], [G], R=4xx, loop limits). True when `outcome` is final.
    func endsWithStatus(_ state: State, _ result: ListResult, refusalID: String,
                        _ outcome: inout RewriteOutcome) -> Bool {
        if let refusal = refuseUnsafeQuery(state, result, id: refusalID) {
            outcome.action = .status(403)
            outcome.logMessage = refusal
            return true
        }
        if result == .status {
            outcome.action = .status(state.status ?? 500)
            return true
        }
        return false
    }

    /// Apache's `compare_lexicography`: the longer string is greater; equal lengths
    /// compare byte by byte.
    static func lexicography(_ a: String, _ b: String) -> Int {
        let left = Array(a.utf8)
        let right = Array(b.utf8)
        if left.count != right.count { return left.count > right.count ? 1 : -1 }
        for (x, y) in zip(left, right) where x != y { return x > y ? 1 : -1 }
        return 0
    }

    static func compare(_ order: Int, _ comparison: RewriteCondition.Comparison) -> Bool {
        switch comparison {
        case .less: return order < 0
        case .lessOrEqual: return order <= 0
        case .equal: return order == 0
        case .greaterOrEqual: return order >= 0
        case .greater: return order > 0
        case .notEqual: return order != 0
        }
    }

    /// C's atoi: leading blanks, a sign, digits; 0 when there are none.
    static func atoi(_ text: String) -> Int {
        var digits = Substring(text).drop { $0 == " " || $0 == "\t" }
        var sign = 1
        if let first = digits.first, first == "-" || first == "+" {
            sign = first == "-" ? -1 : 1
            digits = digits.dropFirst()
        }
        let number = digits.prefix { $0.isASCII && $0.isNumber }
        return sign * (Int(number.prefix(18)) ?? 0)
    }

    func applyTypeAndHandler(_ rule: RewriteRule, _ outcome: inout RewriteOutcome) {
        if let type = rule.flags.type { outcome.contentType = type }
        if let handler = rule.flags.handler { outcome.handler = handler }
    }

    /// Apache's `splitout_queryargs`.
    func splitQuery(_ uri: inout String, _ args: inout String?, flags: RewriteRuleFlags) {
        if flags.queryDiscard { args = nil }
        if hasScheme(uri), !["http", "https", "ftp", "ajp", "fcgi", "ws", "wss", "scgi", "balancer", "h2", "h2c", "uwsgi", "ldap", "nntp", "gopher"]
            .contains(uri.prefix { $0 != ":" }.lowercased()) {
            args = nil
            return
        }
        let question = flags.queryLast ? uri.lastIndex(of: "?") : uri.firstIndex(of: "?")
        guard let question else { return }
        let query = String(uri[uri.index(after: question)...])
        uri = String(uri[..<question])
        if flags.queryAppend, let existing = args {
            args = query.isEmpty ? existing : query + "&" + existing
        } else {
            args = query
        }
        if var value = args {
            if value.isEmpty {
                args = nil
            } else if value.hasSuffix("&") {
                value.removeLast()
                args = value
            }
        }
    }

    /// Apache's `fully_qualify_uri`.
    func qualify<Environment: RewriteEnvironment>(_ uri: String, _ environment: Environment) -> String {
        if hasScheme(uri) { return uri }
        return environment.serverURLPrefix + (uri.hasPrefix("/") ? "" : "/") + uri
    }

    /// Apache's `reduce_uri`: `http://thishost[:port]/path` becomes `/path` when the
    /// host and port name this server.
    func reduce<Environment: RewriteEnvironment>(_ uri: String, _ environment: Environment) -> String {
        let lowered = uri.lowercased()
        let scheme: String
        if lowered.hasPrefix("http://") { scheme = "http" } else if lowered.hasPrefix("https://") { scheme = "https" } else { return uri }
        let rest = uri.dropFirst(scheme.count + 3)
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var host = Substring(authority)
        var port = scheme == "https" ? 443 : 80
        if let colon = authority.lastIndex(of: ":"), !authority.hasSuffix("]") {
            host = authority[..<colon]
            guard let number = Int(authority[authority.index(after: colon)...]) else { return uri }
            port = number
        }
        guard environment.isThisServer(host: String(host), port: port) else { return uri }
        let path = rest[authorityEnd...]
        return path.isEmpty ? "/" : String(path)
    }

    /// The unsafe-query refusal (2.4.56+): raw spaces or controls in a query string the
    /// rules produced, unless a redirect is about to escape it.
    func refuseUnsafeQuery(_ state: State, _ result: ListResult, id: String) -> String? {
        guard let args = state.args else { return nil }
        let willEscape = hasScheme(state.filename) && !state.proxy && result != .noEscape
        guard !willEscape, args.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) else { return nil }
        return "\(id): Rewritten query string contains control characters or spaces"
    }

    func redirect(_ state: State, _ result: ListResult, originalQuery: String?) -> RewriteAction {
        let noEscape = result == .noEscape
        var location = noEscape ? state.filename : URIEscaping.escapeAbsoluteURI(state.filename)
        if let args = state.args {
            location += "?" + (noEscape || args == originalQuery ? args : URIEscaping.escapePath(args))
        }
        let status = state.status.flatMap { (300...399).contains($0) ? $0 : nil } ?? 302
        if noEscape, let args = state.args, args.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) {
            return .status(403)
        }
        return .redirect(status: status, location: location)
    }

    /// Where the path of an absolute URL starts (after `scheme://authority`).
    static func pathStart(of url: String) -> String.Index? {
        guard let schemeEnd = url.range(of: "://") else { return nil }
        return url[schemeEnd.upperBound...].firstIndex(of: "/")
    }

    /// Apache's `subst_prefix_path`: `directory` at the start of `path` becomes `base`.
    static func substitutePrefix(_ path: String, directory: String, base: String) -> String {
        var match = Substring(directory)
        if match.hasSuffix("/") { match = match.dropLast() }
        guard path.hasPrefix(match), path.dropFirst(match.count).hasPrefix("/") else { return path }
        let rest = path.dropFirst(match.count + 1)
        return (base.hasSuffix("/") ? base : base + "/") + rest
    }
}
