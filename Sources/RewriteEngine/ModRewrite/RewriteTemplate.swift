/// A mod_rewrite substitution or TestString, parsed once: text with `$N` (rule
/// groups), `%N` (the last matched condition's groups), `%{VAR}` (server variables,
/// `%{HTTP:header}`, `%{ENV:name}`), `${map:key|default}` and `\` escapes, as Apache's
/// `do_expand` reads them. Back-references are one digit (`$10` is `$1` then "0").
public struct RewriteTemplate: Sendable, Equatable {
    public let source: String
    let parts: [Part]

    indirect enum Part: Sendable, Equatable {
        case literal(String)
        case ruleGroup(Int)
        case conditionGroup(Int)
        case variable(String)
        case map(name: String, key: [Part], fallback: [Part]?)
    }

    public init(_ source: String) {
        self.source = source
        var reader = TemplateReader(Array(source.unicodeScalars))
        parts = reader.read(until: [])
    }

    /// The map names the template refers to.
    var mapNames: [String] {
        func names(_ parts: [Part]) -> [String] {
            parts.flatMap { part -> [String] in
                if case .map(let name, let key, let fallback) = part { return [name] + names(key) + names(fallback ?? []) }
                return []
            }
        }
        return names(parts)
    }
}

/// What an expansion needs: the groups and how to look up names.
struct ExpansionContext {
    var ruleGroups: [String?]
    var conditionGroups: [String?]
    /// Applied to back-references only (the [B] family of flags).
    var escapeBackReference: ((String) -> String)?
    var variable: (String) -> String
    var map: (_ name: String, _ key: String) -> String?
}

/// The expansion, and where in it back-references were put (for Apache's refusal of a
/// `?` that arrived through a back-reference).
struct Expansion {
    var text = ""
    var backReferenceRanges: [Range<Int>] = []
}

extension RewriteTemplate {
    func expand(_ context: ExpansionContext) -> Expansion {
        var expansion = Expansion()
        Self.expand(parts, context, into: &expansion)
        return expansion
    }

    private static func expand(_ parts: [Part], _ context: ExpansionContext, into expansion: inout Expansion) {
        for part in parts {
            switch part {
            case .literal(let text):
                expansion.text += text
            case .ruleGroup(let number), .conditionGroup(let number):
                let groups: [String?]
                if case .ruleGroup = part { groups = context.ruleGroups } else { groups = context.conditionGroups }
                guard number < groups.count, let value = groups[number] else { continue }
                let escaped = context.escapeBackReference?(value) ?? value
                let start = expansion.text.utf8.count
                expansion.text += escaped
                expansion.backReferenceRanges.append(start..<expansion.text.utf8.count)
            case .variable(let name):
                expansion.text += context.variable(name)
            case .map(let name, let key, let fallback):
                var keyExpansion = Expansion()
                expand(key, context, into: &keyExpansion)
                let start = expansion.text.utf8.count
                if let value = context.map(name, keyExpansion.text), !value.isEmpty {
                    expansion.text += value
                } else if let fallback {
                    expand(fallback, context, into: &expansion)
                }
                // What a back-reference fed into a map still came from the client.
                if !keyExpansion.backReferenceRanges.isEmpty {
                    expansion.backReferenceRanges.append(start..<expansion.text.utf8.count)
                }
            }
        }
    }
}

private struct TemplateReader {
    let scalars: [Unicode.Scalar]
    var position = 0

    init(_ scalars: [Unicode.Scalar]) { self.scalars = scalars }

    /// Reads parts until the end or an unescaped scalar in `stops` (left unread).
    mutating func read(until stops: Set<Unicode.Scalar>) -> [RewriteTemplate.Part] {
        var parts: [RewriteTemplate.Part] = []
        var literal = ""
        func flush() {
            if !literal.isEmpty { parts.append(.literal(literal)); literal = "" }
        }
        while position < scalars.count {
            let scalar = scalars[position]
            if stops.contains(scalar) { break }
            switch scalar {
            case "\\":
                // A backslash takes the next character literally (a trailing one stays).
                if position + 1 < scalars.count {
                    literal.unicodeScalars.append(scalars[position + 1])
                    position += 2
                } else {
                    literal.unicodeScalars.append(scalar)
                    position += 1
                }
            case "$", "%":
                if let part = readReference(scalar) {
                    flush()
                    parts.append(part)
                } else {
                    literal.unicodeScalars.append(scalar)
                    position += 1
                }
            default:
                literal.unicodeScalars.append(scalar)
                position += 1
            }
        }
        flush()
        return parts
    }

    /// `$N`, `%N`, `%{…}` or `${…}` at the position; nil (nothing read) when the `$`/`%`
    /// is literal.
    private mutating func readReference(_ sigil: Unicode.Scalar) -> RewriteTemplate.Part? {
        guard position + 1 < scalars.count else { return nil }
        let next = scalars[position + 1]
        if ("0"..."9").contains(next) {
            position += 2
            let digit = Int(next.value - 48)
            return sigil == "$" ? .ruleGroup(digit) : .conditionGroup(digit)
        }
        guard next == "{", let close = closingBrace(from: position + 2) else { return nil }
        let start = position + 2
        if sigil == "%" {
            position = close + 1
            return .variable(String(String.UnicodeScalarView(scalars[start..<close])))
        }
        // ${map:key|default}: a map reference only with a ':' after the name.
        guard let colon = scalars[start..<close].firstIndex(of: ":") else { return nil }
        let name = String(String.UnicodeScalarView(scalars[start..<colon]))
        var inner = TemplateReader(Array(scalars[(colon + 1)..<close]))
        let key = inner.read(until: ["|"])
        var fallback: [RewriteTemplate.Part]?
        if inner.position < inner.scalars.count {
            inner.position += 1
            fallback = inner.read(until: [])
        }
        position = close + 1
        return .map(name: name, key: key, fallback: fallback)
    }

    /// The index of the `}` that closes a `{` just before `start`, counting nested braces.
    private func closingBrace(from start: Int) -> Int? {
        var depth = 1
        var index = start
        while index < scalars.count {
            switch scalars[index] {
            case "\\": index += 1
            case "{": depth += 1
            case "}":
                depth -= 1
                if depth == 0 { return index }
            default: break
            }
            index += 1
        }
        return nil
    }
}
