/// Which rules of a set can possibly match a text, found in one pass over the text.
///
/// Rules with a required literal (see `RequiredLiteral`) are indexed by it in an
/// Aho–Corasick automaton over lower-cased bytes; all other rules are always
/// candidates. A text with non-ASCII bytes makes every rule a candidate, because
/// PCRE2's Unicode case folding can match ASCII letters against other characters
/// (K and the Kelvin sign).
struct LiteralRuleIndex: Sendable {
    /// Rules that are always evaluated, ascending.
    private let unindexed: [Int]
    /// Literals of rules reading the raw URL, and of rules reading the normalised one (O).
    private let raw: LiteralTable
    private let normalized: LiteralTable
    private let ruleCount: Int

    /// What the index needs of a rule: the literal its match requires, if it can be
    /// indexed at all, and whether it reads the normalised text.
    struct Entry {
        var literal: [UInt8]?
        var readsNormalizedText = false
    }

    init(_ rules: [IniRule]) {
        self.init(entries: rules.map { rule in
            let indexable = rule.conditions.isEmpty && rule.testVerb == .url
            return Entry(literal: indexable ? rule.requiredLiteral : nil, readsNormalizedText: rule.flags.contains(.normalize))
        })
    }

    init(entries: [Entry]) {
        var unindexed: [Int] = []
        var raw = LiteralTable.Builder()
        var normalized = LiteralTable.Builder()
        for (index, entry) in entries.enumerated() {
            guard let literal = entry.literal else {
                unindexed.append(index)
                continue
            }
            if entry.readsNormalizedText {
                normalized.add(literal, rule: index)
            } else {
                raw.add(literal, rule: index)
            }
        }
        self.unindexed = unindexed
        self.raw = raw.build()
        self.normalized = normalized.build()
        self.ruleCount = entries.count
    }

    /// The rules, ascending, that may match given the raw URL and (for rules with the
    /// O flag) the normalised URL.
    func candidates(url: [UInt8], normalizedURL: () -> [UInt8]) -> [Int] {
        if raw.isEmpty && normalized.isEmpty { return Array(0..<ruleCount) }
        guard url.allSatisfy({ $0 < 0x80 }) else { return Array(0..<ruleCount) }
        var result = unindexed
        raw.rules(foundIn: url, into: &result)
        if !normalized.isEmpty {
            let text = normalizedURL()
            guard text.allSatisfy({ $0 < 0x80 }) else { return Array(0..<ruleCount) }
            normalized.rules(foundIn: text, into: &result)
        }
        if result.count == unindexed.count { return result }
        result.sort()
        var unique: [Int] = []
        unique.reserveCapacity(result.count)
        for index in result where unique.last != index { unique.append(index) }
        return unique
    }
}

/// Literals and the rules that need each.
private struct LiteralTable: Sendable {
    let automaton: AhoCorasick
    let rulesByLiteral: [[Int]]

    var isEmpty: Bool { rulesByLiteral.isEmpty }

    func rules(foundIn text: [UInt8], into result: inout [Int]) {
        guard !isEmpty else { return }
        for id in automaton.matches(in: text) { result.append(contentsOf: rulesByLiteral[id]) }
    }

    struct Builder {
        var ids: [[UInt8]: Int] = [:]
        var rulesByLiteral: [[Int]] = []

        mutating func add(_ literal: [UInt8], rule: Int) {
            if let id = ids[literal] {
                rulesByLiteral[id].append(rule)
            } else {
                ids[literal] = rulesByLiteral.count
                rulesByLiteral.append([rule])
            }
        }

        func build() -> LiteralTable {
            var patterns = [[UInt8]](repeating: [], count: rulesByLiteral.count)
            for (literal, id) in ids { patterns[id] = literal }
            return LiteralTable(automaton: AhoCorasick(patterns), rulesByLiteral: rulesByLiteral)
        }
    }
}

/// A multi-pattern substring matcher over lower-cased bytes (Aho–Corasick), with
/// sparse transitions: an index of 10,000 literals stays a few megabytes.
struct AhoCorasick: Sendable {
    private struct Node: Sendable {
        var edges: [(byte: UInt8, next: Int32)] = []
        var failure: Int32 = 0
        /// Patterns ending here, including those reached through failure links.
        var outputs: [Int32] = []
    }

    private var nodes: [Node] = [Node()]

    init(_ patterns: [[UInt8]]) {
        for (id, pattern) in patterns.enumerated() {
            var state = 0
            for byte in pattern {
                if let next = child(state, byte) {
                    state = next
                } else {
                    nodes.append(Node())
                    let next = nodes.count - 1
                    // Kept sorted as they grow: `child` searches them by halves.
                    let slot = nodes[state].edges.firstIndex { $0.byte > byte } ?? nodes[state].edges.count
                    nodes[state].edges.insert((byte, Int32(next)), at: slot)
                    state = next
                }
            }
            nodes[state].outputs.append(Int32(id))
        }
        buildFailureLinks()
    }

    private func child(_ state: Int, _ byte: UInt8) -> Int? {
        let edges = nodes[state].edges
        var low = 0
        var high = edges.count
        if high <= 8 {
            for edge in edges where edge.byte == byte { return Int(edge.next) }
            return nil
        }
        while low < high {
            let middle = (low + high) / 2
            if edges[middle].byte < byte { low = middle + 1 } else { high = middle }
        }
        return low < edges.count && edges[low].byte == byte ? Int(edges[low].next) : nil
    }

    private mutating func buildFailureLinks() {
        var queue: [Int] = []
        for edge in nodes[0].edges {
            nodes[Int(edge.next)].failure = 0
            queue.append(Int(edge.next))
        }
        var head = 0
        while head < queue.count {
            let state = queue[head]
            head += 1
            for edge in nodes[state].edges {
                let next = Int(edge.next)
                var fallback = Int(nodes[state].failure)
                while fallback != 0, child(fallback, edge.byte) == nil { fallback = Int(nodes[fallback].failure) }
                let target = child(fallback, edge.byte).flatMap { $0 == next ? nil : $0 } ?? 0
                nodes[next].failure = Int32(target)
                nodes[next].outputs.append(contentsOf: nodes[target].outputs)
                queue.append(next)
            }
        }
    }

    /// The ids of the patterns found in `text` (lower-cased while scanning), each once
    /// or more.
    func matches(in text: [UInt8]) -> [Int] {
        var found: [Int] = []
        var state = 0
        func feed(_ byte: UInt8) {
            while true {
                if let next = child(state, byte) {
                    state = next
                    break
                }
                if state == 0 { break }
                state = Int(nodes[state].failure)
            }
            for output in nodes[state].outputs { found.append(Int(output)) }
        }
        for byte in text { feed(RequiredLiteral.lowercased(byte)) }
        return found
    }
}
