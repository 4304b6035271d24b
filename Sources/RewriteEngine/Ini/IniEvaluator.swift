import PCRE2Regex

/// How an httpd.ini rule set ended for a request.
public enum IniRewriteOutcome: Sendable, Equatable {
    /// All rules ran; what they changed is in the request. Later rule sets still run.
    case proceed
    /// An `[L]` rule applied: no further rules, in this file or the next.
    case stop
    /// `[F]`: answer 404, as IIS 6 did.
    case notFound
    /// `[R]` (302), `[RP]` (301), or an absolute URL produced without them (302).
    case redirect(status: Int, location: String)
    /// `RewriteProxy` or `[P]`: forward to this URL.
    case proxy(url: String, followsRedirects: Bool)
    /// A rule produced a URL or header longer than `IniRuleSet.maximumResultLength`
    /// (a loop that grows it, most likely): answer 500, as Apache does (AH00669).
    case resultTooLong(ruleLine: Int)

    /// Whether rules after this outcome still run.
    public var continues: Bool { self == .proceed }
}

/// The result of running one rule set.
public struct IniRewriteResult: Sendable, Equatable {
    public var outcome: IniRewriteOutcome
    /// A `[U]` rule applied: the access log shows the URL as the client sent it.
    public var logsOriginalURL: Bool
}

/// One step of an evaluation, for `isapid rewrite-test` and debug logging.
public enum IniTraceStep: Sendable {
    /// A rule was matched against `subject` (the joined test texts); `groups` holds
    /// each group's text (nil: did not participate) when it matched.
    case tried(rule: IniRule, subject: String, groups: [String?]?)
    /// PCRE2 gave up on a rule (match or depth limit): treated as no match.
    case abandoned(rule: IniRule, failure: RegexMatchFailure)
    /// A rule applied; `effect` says what it did, e.g. "URL → /a.com/p?q=1".
    case applied(rule: IniRule, effect: String)
    /// An N or NS loop was not taken because the RepeatLimit was reached.
    case limitReached(rule: IniRule, flag: String)
}

extension IniRuleSet {
    /// The longest URL or header value a rule may produce: Apache's 2 × LimitRequestLine.
    /// Without it, `[N]` on a rule that repeats a group doubles the URL on each round.
    public static let maximumResultLength = 2 * 8190

    /// Runs the rules against `request`, changing its URL, method and headers as they
    /// say (spec §1.5–§1.16). `originalURL` is what X-Rewrite-URL receives on the
    /// first URL change (unless the header is already set by an earlier rule set).
    /// `trace` sees every step (and turns off the literal pre-filter, so every rule is
    /// tried); `abandoned` hears of matches PCRE2 gave up on, for the error log.
    public func evaluate<Request: RewritableRequest>(
        _ request: inout Request, originalURL: String, trace: ((IniTraceStep) -> Void)? = nil,
        abandoned: ((IniRule, RegexMatchFailure) -> Void)? = nil
    ) -> IniRewriteResult {
        var result = IniRewriteResult(outcome: .proceed, logsOriginalURL: false)
        guard !rules.isEmpty else { return result }
        // rewrite-test shows every rule, so the index is used only when nobody watches.
        let useIndex = trace == nil
        var candidates = useIndex ? index.candidates(url: Array(request.url.utf8), normalizedURL: {
            IISNormalization.normalize(Array(request.url.utf8))
        }) : Array(rules.indices)
        var position = 0
        var restarts = 0
        var sameRuleRepeats = 0
        while position < candidates.count {
            let ruleIndex = candidates[position]
            let rule = rules[ruleIndex]
            var texts = rule.conditions.map { condition in
                let text = request.value(of: condition.verb)
                return condition.normalizes ? Self.normalized(text) : text
            }
            let ownText = request.value(of: rule.testVerb)
            texts.append(rule.flags.contains(.normalize) ? Self.normalized(ownText) : ownText)
            let subject = texts.count == 1 ? texts[0] : texts.joined(separator: "\n")
            let match: RegexMatch
            switch rule.regex.firstMatchResult(in: subject) {
            case .failure(let failure):
                trace?(.abandoned(rule: rule, failure: failure))
                abandoned?(rule, failure)
                position += 1
                sameRuleRepeats = 0
                continue
            case .success(nil):
                trace?(.tried(rule: rule, subject: subject, groups: nil))
                position += 1
                sameRuleRepeats = 0
                continue
            case .success(let found?):
                match = found
                trace?(.tried(rule: rule, subject: subject, groups: (0...rule.regex.captureCount).map { found[$0] }))
            }

            let expanded = rule.format.expand(match)
            if expanded.count + rule.formatPrefix.utf8.count > Self.maximumResultLength {
                trace?(.applied(rule: rule, effect: "result longer than \(Self.maximumResultLength) bytes: 500"))
                result.outcome = .resultTooLong(ruleLine: rule.line)
                return result
            }
            var formatted = String(decoding: expanded, as: UTF8.self)
            if rule.flags.contains(.lowerCase) { formatted = formatted.lowercased() }
            if rule.flags.contains(.upperCase) { formatted = formatted.uppercased() }
            if rule.flags.contains(.unmangleLog) { result.logsOriginalURL = true }
            if rule.flags.contains(.notFound) {
                trace?(.applied(rule: rule, effect: "404 Not Found"))
                result.outcome = .notFound
                return result
            }

            var urlChanged = false
            switch rule.target {
            case .proxy:
                trace?(.applied(rule: rule, effect: "proxy to \(formatted)"))
                result.outcome = .proxy(url: formatted, followsRedirects: rule.flags.contains(.followRedirects))
                return result
            case .url:
                let newURL = rule.formatPrefix + formatted
                if rule.flags.contains(.proxy) {
                    trace?(.applied(rule: rule, effect: "proxy to \(newURL)"))
                    result.outcome = .proxy(url: newURL, followsRedirects: false)
                    return result
                }
                if let status = Self.redirectStatus(rule.flags) ?? (hasScheme(newURL) ? 302 : nil) {
                    trace?(.applied(rule: rule, effect: "redirect \(status) to \(newURL)"))
                    result.outcome = .redirect(status: status, location: newURL)
                    return result
                }
                if newURL != request.url {
                    if request.header(rewriteURLHeader) == nil { request.setHeader(rewriteURLHeader, to: originalURL) }
                    request.url = newURL
                    urlChanged = true
                }
                trace?(.applied(rule: rule, effect: "URL → \(newURL)"))
            case .method:
                if !formatted.isEmpty { request.method = formatted }
                trace?(.applied(rule: rule, effect: "method → \(request.method)"))
            case .header(let name):
                request.setHeader(name, to: formatted.isEmpty ? nil : formatted)
                trace?(.applied(rule: rule, effect: formatted.isEmpty ? "header \(name) deleted" : "header \(name): \(formatted)"))
            }
            if let status = Self.redirectStatus(rule.flags) {
                // A redirect flag on a header rule sends the client to the URL as it now stands.
                trace?(.applied(rule: rule, effect: "redirect \(status) to \(request.url)"))
                result.outcome = .redirect(status: status, location: request.url)
                return result
            }
            if rule.flags.contains(.last) {
                result.outcome = .stop
                return result
            }
            if urlChanged && useIndex {
                // Later rules see the new URL: recompute which of them can match it.
                let fresh = index.candidates(url: Array(request.url.utf8), normalizedURL: {
                    IISNormalization.normalize(Array(request.url.utf8))
                })
                candidates = fresh
                position = fresh.firstIndex { $0 >= ruleIndex } ?? fresh.count
                // The rule itself is always re-tried by NS below, even if its literal is gone.
                if position == fresh.count || fresh[position] != ruleIndex {
                    candidates.insert(ruleIndex, at: position)
                }
            }
            if rule.flags.contains(.nextSame) {
                if sameRuleRepeats < repeatLimit {
                    sameRuleRepeats += 1
                    continue
                }
                trace?(.limitReached(rule: rule, flag: "NS"))
            }
            sameRuleRepeats = 0
            if rule.flags.contains(.next) {
                if restarts < repeatLimit {
                    restarts += 1
                    position = 0
                    continue
                }
                trace?(.limitReached(rule: rule, flag: "N"))
            }
            position += 1
        }
        return result
    }

    private static func redirectStatus(_ flags: IniFlags) -> Int? {
        if flags.contains(.permanentRedirect) { return 301 }
        if flags.contains(.redirect) { return 302 }
        return nil
    }

    private static func normalized(_ text: String) -> String {
        String(decoding: IISNormalization.normalize(Array(text.utf8)), as: UTF8.self)
    }
}
