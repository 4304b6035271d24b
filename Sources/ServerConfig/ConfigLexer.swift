/// Apache httpd's configuration-file lexing rules: physical lines joined by a trailing
/// backslash, `#` comment lines, and words split the way `ap_getword_conf` splits them.
enum ConfigLexer {
    /// One logical line and the physical line it started on.
    struct LogicalLine: Equatable {
        let number: Int
        let text: String
    }

    /// Joins `\`-continued lines, trims whitespace, and drops blank and comment lines.
    ///
    /// As in Apache, `#` starts a comment only at the beginning of a line: a `#` after a
    /// directive is an argument, and the directive's own checks report it.
    static func logicalLines(_ text: String) -> [LogicalLine] {
        var result: [LogicalLine] = []
        var pending = ""
        var pendingStart = 0
        var number = 0
        for raw in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            number += 1
            var line = Substring(raw)
            if line.last == "\r" { line = line.dropLast() }
            let trimmedRight = line.trimmingTrailingWhitespace()
            if pending.isEmpty { pendingStart = number }
            if trimmedRight.last == "\\" {
                pending += trimmedRight.dropLast()
                continue
            }
            pending += trimmedRight
            let logical = pending.trimmingLeadingWhitespace()
            pending = ""
            if logical.isEmpty || logical.first == "#" { continue }
            result.append(LogicalLine(number: pendingStart, text: String(logical)))
        }
        let rest = pending.trimmingLeadingWhitespace()
        if !rest.isEmpty && rest.first != "#" {
            result.append(LogicalLine(number: pendingStart, text: String(rest)))
        }
        return result
    }

    /// Splits a directive's argument text into words.
    ///
    /// A word that starts with `"` or `'` runs to the matching unescaped quote; inside it
    /// `\"` (or `\'`) stands for the quote, every other backslash is kept. Returns nil when
    /// a quote is never closed.
    static func words(_ text: Substring) -> [String]? {
        var words: [String] = []
        var index = text.startIndex
        while true {
            while index < text.endIndex, text[index].isConfigWhitespace { index = text.index(after: index) }
            guard index < text.endIndex else { return words }
            let first = text[index]
            if first == "\"" || first == "'" {
                var word = ""
                index = text.index(after: index)
                var closed = false
                while index < text.endIndex {
                    let c = text[index]
                    if c == "\\" {
                        let next = text.index(after: index)
                        if next < text.endIndex, text[next] == first {
                            word.append(first)
                            index = text.index(after: next)
                            continue
                        }
                    } else if c == first {
                        closed = true
                        index = text.index(after: index)
                        break
                    }
                    word.append(c)
                    index = text.index(after: index)
                }
                guard closed else { return nil }
                words.append(word)
            } else {
                let start = index
                while index < text.endIndex, !text[index].isConfigWhitespace { index = text.index(after: index) }
                words.append(String(text[start..<index]))
            }
        }
    }
}

extension ConfigLexer {
    /// Directives whose module splits its own arguments (Apache's RAW_ARGS), as
    /// mod_rewrite's `parseargline` does.
    static let rawArgumentDirectives: Set<String> = ["rewritecond", "rewriterule", "rewriteheader", "rewriteproxy"]

    /// mod_rewrite's `parseargline`: a word may be quoted with `"` or `'` (up to the same
    /// quote, no escapes), and a backslash before a space keeps the space in the word —
    /// the backslash too, so `\ ` reaches the regex (or substitution) as an escaped space.
    static func rewriteWords(_ text: Substring) -> [String]? {
        var words: [String] = []
        var index = text.startIndex
        while true {
            while index < text.endIndex, text[index].isConfigWhitespace { index = text.index(after: index) }
            guard index < text.endIndex else { return words }
            var quote: Character?
            if text[index] == "\"" || text[index] == "'" {
                quote = text[index]
                index = text.index(after: index)
            }
            var word = ""
            var closed = quote == nil
            while index < text.endIndex {
                let character = text[index]
                if let quote, character == quote {
                    closed = true
                    index = text.index(after: index)
                    break
                }
                if quote == nil, character.isConfigWhitespace { break }
                if character == "\\" {
                    let next = text.index(after: index)
                    if next < text.endIndex, text[next].isConfigWhitespace {
                        word.append(character)
                        word.append(text[next])
                        index = text.index(after: next)
                        continue
                    }
                }
                word.append(character)
                index = text.index(after: index)
            }
            guard closed else { return nil }
            words.append(word)
        }
    }
}

extension Character {
    var isConfigWhitespace: Bool { self == " " || self == "\t" || self == "\r" || self == "\u{0B}" || self == "\u{0C}" }
}

extension StringProtocol {
    func trimmingLeadingWhitespace() -> SubSequence {
        var start = startIndex
        while start < endIndex, self[start].isConfigWhitespace { start = index(after: start) }
        return self[start...]
    }

    func trimmingTrailingWhitespace() -> SubSequence {
        var end = endIndex
        while end > startIndex {
            let before = index(before: end)
            guard self[before].isConfigWhitespace else { break }
            end = before
        }
        return self[..<end]
    }
}
