import PCRE2Regex

extension RewriteEvaluator {
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

    func applyList<Environment: RewriteEnvironment>(
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

    func applyRule<Environment: RewriteEnvironment>(
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
        rule.hits.hit()
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
            if value.utf8.count > maximumLength {
                outcome.logMessage = "AH00669: RewriteHeader '\(rule.text)' exceeded maximum length (\(maximumLength))"
                state.status = 500
                return .status
            }
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

    func applyCondition<Environment: RewriteEnvironment>(
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
}
