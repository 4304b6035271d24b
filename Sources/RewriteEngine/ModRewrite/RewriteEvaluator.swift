import Foundation
import PCRE2Regex

/// Runs mod_rewrite rule lists the way Apache 2.4's mod_rewrite.c does
/// (`apply_rewrite_list`, `apply_rewrite_rule`, `apply_rewrite_cond`, and the endings
/// of `hook_uri2file` and `hook_fixup`).
public struct RewriteEvaluator: Sendable {
    public let maps: RewriteMapStore
    /// Apache's `2 * LimitRequestLine`: a rewritten URL longer than this is a loop (500).
    public var maximumLength = 2 * 8190
    /// Apache's default cap on `[N]` rounds.
    public static let defaultMaximumRounds = 32000

    public init(maps: RewriteMapStore) {
        self.maps = maps
    }

    /// Server (or virtual-host) context: `uri` is the decoded URL path, `query` the query.
    public func applyServerRules<Environment: RewriteEnvironment>(
        _ config: RewriteConfig, uri: String, query: String?, environment: Environment,
        trace: ((RewriteTraceStep) -> Void)? = nil
    ) -> RewriteOutcome {
        var outcome = RewriteOutcome()
        guard config.isEnabled, !config.rules.isEmpty else { return outcome }
        guard uri.hasPrefix("/") || config.options?.contains(.allowAnyURI) == true else { return outcome }
        var state = State(filename: uri, pathInfo: "", args: query)
        let result = applyList(config, &state, perDirectory: nil, environment: environment, outcome: &outcome, trace: trace)
        guard result != .unchanged else { return outcome }
        if let refusal = refuseUnsafeQuery(state, result, id: "AH10410") {
            outcome.action = .status(403)
            outcome.logMessage = refusal
            return outcome
        }
        if result == .status {
            outcome.action = .status(state.status ?? 500)
            return outcome
        }
        if state.proxy {
            // mod_proxy canonicalises the path (upper-case escapes); the query goes as it is.
            outcome.action = .proxy(url: URIEscaping.canonicalizeProxyURL(state.filename) + (state.args.map { "?" + $0 } ?? ""))
            return outcome
        }
        if hasScheme(state.filename) {
            outcome.action = redirect(state, result, originalQuery: query)
            return outcome
        }
        guard state.filename.hasPrefix("/") else {
            outcome.action = .status(400)
            outcome.logMessage = "rewritten to '\(state.filename)', neither a URL path nor an absolute URL"
            return outcome
        }
        outcome.action = .rewritten(path: state.filename, query: state.args, passThrough: state.passThrough)
        return outcome
    }

    /// Directory context (`<Directory>`, `.htaccess`): `filename` is the mapped file
    /// path, `pathInfo` the rest of the URL after it; `documentRoot` turns a result back
    /// into a URL when there is no RewriteBase.
    /// `maps` are the server's (RewriteMap is not allowed per directory).
    public func applyDirectoryRules<Environment: RewriteEnvironment>(
        _ config: RewriteConfig, filename: String, pathInfo: String, query: String?, documentRoot: String?,
        maps: [String: RewriteMapDefinition] = [:], environment: Environment, trace: ((RewriteTraceStep) -> Void)? = nil
    ) -> RewriteOutcome {
        var outcome = RewriteOutcome()
        guard config.isEnabled, !config.rules.isEmpty, let directory = config.directory else { return outcome }
        // A request for the directory itself without its slash is left to mod_dir.
        if config.options?.contains(.allowNoSlash) != true, directory.hasSuffix("/"),
           filename == String(directory.dropLast()) {
            return outcome
        }
        var state = State(filename: filename, pathInfo: pathInfo, args: query)
        var withMaps = config
        withMaps.maps = maps.merging(config.maps) { _, own in own }
        let result = applyList(withMaps, &state, perDirectory: directory, environment: environment, outcome: &outcome, trace: trace)
        guard result != .unchanged else { return outcome }
        if let refusal = refuseUnsafeQuery(state, result, id: "AH10411") {
            outcome.action = .status(403)
            outcome.logMessage = refusal
            return outcome
        }
        if result == .status {
            outcome.action = .status(state.status ?? 500)
            return outcome
        }
        if state.proxy {
            outcome.action = .proxy(url: state.filename + (state.args.map { "?" + $0 } ?? ""))
            return outcome
        }
        if hasScheme(state.filename) {
            if let base = config.base, let path = Self.pathStart(of: state.filename) {
                // The directory in the URL's path is replaced by the RewriteBase.
                let head = String(state.filename[..<path])
                state.filename = head + Self.substitutePrefix(String(state.filename[path...]), directory: directory, base: base)
            }
            outcome.action = redirect(state, result, originalQuery: query)
            return outcome
        }
        guard state.filename.hasPrefix("/") else {
            outcome.action = .status(400)
            return outcome
        }
        if state.filename == filename {
            // "initial URL equal rewritten URL": no re-injection; the new query stays.
            outcome.action = state.args == query ? .unchanged : .queryChanged(query: state.args)
            return outcome
        }
        var url = state.filename
        if let base = config.base {
            url = Self.substitutePrefix(url, directory: directory, base: base)
        } else if var root = documentRoot {
            while root.hasSuffix("/") { root.removeLast() }
            if url.hasPrefix(root) { url = String(url.dropFirst(root.count)) }
        }
        outcome.action = .internalRedirect(url: url + (state.args.map { "?" + $0 } ?? ""))
        return outcome
    }

    // MARK: - The rule list

    struct State {
        var filename: String
        var pathInfo: String
        var args: String?
        var status: Int?
        var proxy = false
        var passThrough = false
        /// [E=] values set so far: later conditions read them through %{ENV:…}.
        var environment: [String: String?] = [:]
        /// RewriteHeader values set so far (lower-cased names): later rules read them.
        var headers: [String: String?] = [:]
    }

    enum ListResult { case unchanged, normal, noEscape, status }

    private func applyList<Environment: RewriteEnvironment>(
        _ config: RewriteConfig, _ state: inout State, perDirectory: String?, environment: Environment,
        outcome: inout RewriteOutcome, trace: ((RewriteTraceStep) -> Void)?
    ) -> ListResult {
        var changed = ListResult.unchanged
        var round = 0
        let rules = config.rules
        // Server context: only the rules whose literal occurs in the URL can match.
        let literalIndex = perDirectory == nil && trace == nil ? config.literalIndex : nil
        var candidates: [Int] = []
        func refreshCandidates() {
            guard let literalIndex else { return }
            candidates = literalIndex.candidates(url: Array(state.filename.utf8), normalizedURL: { [] })
        }
        /// The first rule at or after `start` that may match.
        func firstRule(from start: Int) -> Int {
            guard literalIndex != nil else { return start }
            var low = 0
            var high = candidates.count
            while low < high {
                let middle = (low + high) / 2
                if candidates[middle] < start { low = middle + 1 } else { high = middle }
            }
            return low < candidates.count ? candidates[low] : rules.count
        }
        refreshCandidates()
        restart: while true {
            var index = firstRule(from: 0)
            while index < rules.count {
                let rule = rules[index]
                let before = state.filename
                let result = applyRule(rule, &state, perDirectory: perDirectory, config: config, environment: environment,
                                       outcome: &outcome, trace: trace)
                switch result {
                case .noMatch:
                    // A rule that does not match takes the rest of its chain with it.
                    var current = rule
                    while current.flags.chain, index + 1 < rules.count {
                        index += 1
                        current = rules[index]
                    }
                    index = firstRule(from: index + 1)
                    continue
                case .status:
                    return .status
                case .match, .matchWithoutSubstitution:
                    break
                }
                if state.filename.utf8.count > maximumLength {
                    outcome.logMessage = "AH00669: RewriteRule '\(rule.text)' and URI '\(state.filename.prefix(200))…' exceeded maximum length (\(maximumLength))"
                    state.status = 500
                    return .status
                }
                if case .match = result { changed = rule.flags.noEscape ? .noEscape : .normal }
                if rule.flags.passThrough {
                    state.passThrough = true
                    return .normal
                }
                if rule.flags.end {
                    outcome.ended = true
                    return changed
                }
                if rule.flags.proxy || rule.flags.last { return changed }
                if state.filename != before { refreshCandidates() }
                if rule.flags.next {
                    round += 1
                    let limit = rule.flags.nextLimit ?? Self.defaultMaximumRounds
                    if round >= limit {
                        outcome.logMessage = "AH02596: RewriteRule '\(rule.text)' and URI '\(state.filename)' exceeded maximum number of rounds (\(limit)) via the [N] flag"
                        state.status = 500
                        return .status
                    }
                    continue restart
                }
                index = firstRule(from: index + 1 + rule.flags.skip)
            }
            return changed
        }
    }

    enum RuleResult { case noMatch, match, matchWithoutSubstitution, status }

    private func applyRule<Environment: RewriteEnvironment>(
        _ rule: RewriteRule, _ state: inout State, perDirectory: String?, config: RewriteConfig,
        environment: Environment, outcome: inout RewriteOutcome, trace: ((RewriteTraceStep) -> Void)?
    ) -> RuleResult {
        var uri = state.filename
        if let header = rule.headerTarget {
            uri = state.headers[header.lowercased()].map { $0 ?? "" } ?? environment.header(header) ?? ""
        } else if let perDirectory {
            uri += state.pathInfo
            if uri.hasPrefix(perDirectory) { uri = String(uri.dropFirst(perDirectory.count)) }
        }
        let match = rule.pattern.firstMatch(in: uri)
        guard (match != nil) != rule.negated else {
            trace?(.rule(rule, input: uri, matched: false))
            return .noMatch
        }
        let ruleGroups: [String?] = rule.negated ? [] : (0...rule.pattern.captureCount).map { match?[$0] }
        trace?(.rule(rule, input: uri, matched: true))
        // Conditions, E= and CO= see the request as it was before this rule's substitution.
        let before = state
        let headersRead = HeaderNames()
        var context = ExpansionContext(
            ruleGroups: ruleGroups, conditionGroups: [], escapeBackReference: nil,
            variable: { name in variableValue(name, state: before, environment: environment, headersRead: headersRead) },
            map: { name, key in maps.lookup(name, key: key, in: config.maps) })

        var index = 0
        let conditions = rule.conditions
        var vary: [String] = []
        while index < conditions.count {
            let condition = conditions[index]
            headersRead.names.removeAll()
            let passed = applyCondition(condition, &context, environment: environment)
            trace?(.condition(condition, passed: passed))
            // A failed OR branch and a [NV] condition do not count towards Vary.
            if !condition.noVary && !(condition.orNext && !passed) { vary += headersRead.names }
            if condition.orNext {
                if passed {
                    // The rest of the OR chain is not evaluated.
                    while index < conditions.count, conditions[index].orNext { index += 1 }
                }
            } else if !passed {
                return .noMatch
            }
            index += 1
        }
        for name in vary where !outcome.vary.contains(where: { $0.lowercased() == name.lowercased() }) {
            outcome.vary.append(name)
        }

        for assignment in rule.flags.environment {
            let expanded = RewriteTemplate(assignment).expand(context).text
            let assignment: (String, String?)
            if expanded.hasPrefix("!") {
                assignment = (String(expanded.dropFirst()), nil)
            } else if let colon = expanded.firstIndex(of: ":") {
                assignment = (String(expanded[..<colon]), String(expanded[expanded.index(after: colon)...]))
            } else {
                assignment = (expanded, "")
            }
            outcome.environment.append(assignment)
            state.environment[assignment.0] = assignment.1
        }
        for cookie in rule.flags.cookies {
            if let header = RewriteCookie.setCookieHeader(RewriteTemplate(cookie).expand(context).text) {
                outcome.cookies.append(header)
            }
        }

        let statusCode: Int? = rule.flags.forbidden ? 403 : rule.flags.gone ? 410
            : rule.flags.redirect.flatMap { (300...399).contains($0) ? nil : $0 }
        guard let substitution = rule.substitution, statusCode == nil else {
            applyTypeAndHandler(rule, &outcome)
            if let statusCode {
                state.status = statusCode
                trace?(.result("status \(statusCode)"))
                return .status
            }
            return .matchWithoutSubstitution
        }

        if let header = rule.headerTarget {
            // RewriteHeader: the result is the header's new value; empty removes it.
            let value = substitution.expand(context).text
            state.headers[header.lowercased()] = value.isEmpty ? String?.none : value
            outcome.headerChanges.append((header, value.isEmpty ? nil : value))
            trace?(.result("header \(header): " + (value.isEmpty ? "(removed)" : value)))
            return .matchWithoutSubstitution
        }
        if rule.flags.escapeBackReferences || rule.flags.escapeControls {
            let flags = rule.flags
            context.escapeBackReference = { URIEscaping.escapeBackReference($0, flags: flags) }
        }
        let expansion = substitution.expand(context)
        var newURI = expansion.text
        // Apache 2.4.60: a '?' that only a back-reference brought in would split the URL
        // where the client's %3f did not (UnsafeAllow3F allows it).
        let splitPoint = rule.flags.queryLast ? newURI.utf8.lastIndex(of: UInt8(ascii: "?")) : newURI.utf8.firstIndex(of: UInt8(ascii: "?"))
        if !rule.flags.unsafeAllow3F, let question = splitPoint {
            let offset = newURI.utf8.distance(from: newURI.utf8.startIndex, to: question)
            if expansion.backReferenceRanges.contains(where: { $0.contains(offset) }) {
                outcome.logMessage = "AH10508: Unsafe URL with %3f URL rewritten without UnsafeAllow3F"
                state.status = 403
                return .status
            }
        }
        if perDirectory != nil, rule.flags.discardPathInfo {
            state.pathInfo = ""
            outcome.discardedPathInfo = true
        }
        splitQuery(&newURI, &state.args, flags: rule.flags)
        if let perDirectory, !newURI.hasPrefix("/"), !hasScheme(newURI) {
            newURI = perDirectory + newURI
        }
        state.filename = newURI
        trace?(.result("→ \(newURI)" + (state.args.map { "?" + $0 } ?? "")))

        if rule.flags.proxy {
            if perDirectory != nil { state.filename = URIEscaping.escapePath(state.filename) }
            state.filename = qualify(state.filename, environment)
            state.proxy = true
            return .match
        }
        if let code = rule.flags.redirect, (300...399).contains(code) {
            state.filename = qualify(state.filename, environment)
            state.status = code
            return .match
        }
        state.filename = reduce(state.filename, environment)
        if hasScheme(state.filename) {
            state.status = 302
            return .match
        }
        applyTypeAndHandler(rule, &outcome)
        return .match
    }

    private func applyCondition<Environment: RewriteEnvironment>(
        _ condition: RewriteCondition, _ context: inout ExpansionContext, environment: Environment
    ) -> Bool {
        let input = condition.testString.expand(context).text
        var passed: Bool
        switch condition.test {
        case .regex(let regex):
            let match = regex.firstMatch(in: input)
            passed = match != nil
            if let match, !condition.negated {
                context.conditionGroups = (0...regex.captureCount).map { match[$0] }
            }
        case .file(let kind):
            passed = environment.fileTest(kind, input)
        case .lexicographic(let comparison, let value):
            if comparison == .equal {
                passed = condition.noCase ? input.lowercased() == value.lowercased() : input == value
            } else {
                passed = Self.compare(Self.lexicography(input, value), comparison)
            }
        case .integer(let comparison, let value):
            passed = Self.compare(Self.atoi(input) < value ? -1 : (Self.atoi(input) == value ? 0 : 1), comparison)
        }
        return condition.negated ? !passed : passed
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

    private func applyTypeAndHandler(_ rule: RewriteRule, _ outcome: inout RewriteOutcome) {
        if let type = rule.flags.type { outcome.contentType = type }
        if let handler = rule.flags.handler { outcome.handler = handler }
    }

    /// Apache's `splitout_queryargs`.
    private func splitQuery(_ uri: inout String, _ args: inout String?, flags: RewriteRuleFlags) {
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
    private func qualify<Environment: RewriteEnvironment>(_ uri: String, _ environment: Environment) -> String {
        if hasScheme(uri) { return uri }
        return environment.serverURLPrefix + (uri.hasPrefix("/") ? "" : "/") + uri
    }

    /// Apache's `reduce_uri`: `http://thishost[:port]/path` becomes `/path` when the
    /// host and port name this server.
    private func reduce<Environment: RewriteEnvironment>(_ uri: String, _ environment: Environment) -> String {
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
    private func refuseUnsafeQuery(_ state: State, _ result: ListResult, id: String) -> String? {
        guard let args = state.args else { return nil }
        let willEscape = hasScheme(state.filename) && !state.proxy && result != .noEscape
        guard !willEscape, args.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) else { return nil }
        return "\(id): Rewritten query string contains control characters or spaces"
    }

    private func redirect(_ state: State, _ result: ListResult, originalQuery: String?) -> RewriteAction {
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

    /// The request headers Apache's `lookup_variable` reads for `%{HTTP_…}` names.
    static let headerVariables = [
        "HTTP_USER_AGENT": "User-Agent", "HTTP_REFERER": "Referer", "HTTP_COOKIE": "Cookie",
        "HTTP_FORWARDED": "Forwarded", "HTTP_HOST": "Host", "HTTP_PROXY_CONNECTION": "Proxy-Connection",
        "HTTP_ACCEPT": "Accept",
    ]

    /// `%{NAME}`: the engine's own variables, then the environment's; header reads are
    /// noted for Vary (Host never is, as Apache 2.4.29+).
    private func variableValue<Environment: RewriteEnvironment>(
        _ name: String, state: State, environment: Environment, headersRead: HeaderNames
    ) -> String {
        func header(_ header: String) -> String {
            if header.lowercased() != "host" { headersRead.names.append(header) }
            if let changed = state.headers[header.lowercased()] { return changed ?? "" }
            return environment.header(header) ?? ""
        }
        if let colon = name.firstIndex(of: ":") {
            let kind = name[..<colon].uppercased()
            let argument = String(name[name.index(after: colon)...])
            switch kind {
            case "HTTP": return header(argument)
            case "ENV":
                if let set = state.environment[argument] { return set ?? "" }
                return environment.environmentVariable(argument) ?? ""
            case "LA-U", "LA-F": return variableValue(argument, state: state, environment: environment, headersRead: headersRead)
            default: return ""
            }
        }
        let upper = name.uppercased()
        if let headerName = Self.headerVariables[upper] { return header(headerName) }
        switch upper {
        case "REQUEST_FILENAME", "SCRIPT_FILENAME": return state.filename
        case "QUERY_STRING": return state.args ?? ""
        case "PATH_INFO": return state.pathInfo
        default:
            if upper.hasPrefix("TIME") { return Self.timeVariable(upper) ?? "" }
            return environment.variable(upper)
        }
    }

    static func timeVariable(_ name: String) -> String? {
        var now = time(nil)
        var parts = tm()
        localtime_r(&now, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        switch name {
        case "TIME_YEAR": return String(parts.tm_year + 1900)
        case "TIME_MON": return two(parts.tm_mon + 1)
        case "TIME_DAY": return two(parts.tm_mday)
        case "TIME_HOUR": return two(parts.tm_hour)
        case "TIME_MIN": return two(parts.tm_min)
        case "TIME_SEC": return two(parts.tm_sec)
        case "TIME_WDAY": return String(parts.tm_wday)
        case "TIME":
            return String(parts.tm_year + 1900) + two(parts.tm_mon + 1) + two(parts.tm_mday) + two(parts.tm_hour)
                + two(parts.tm_min) + two(parts.tm_sec)
        default: return nil
        }
    }
}

/// The headers one condition read (for Vary); filled while it is expanded.
final class HeaderNames {
    var names: [String] = []
}

/// One step of a mod_rewrite evaluation, for rewrite-test and the trace log.
public enum RewriteTraceStep: Sendable {
    case rule(RewriteRule, input: String, matched: Bool)
    case condition(RewriteCondition, passed: Bool)
    case result(String)
}
