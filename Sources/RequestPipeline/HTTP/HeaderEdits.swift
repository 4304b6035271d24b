import Foundation
import PCRE2Regex
import ServerConfig

/// mod_headers at work: the `Header` lines on a response, the `RequestHeader` lines on
/// the request headers. Nothing here runs for a scope without a Header or RequestHeader
/// line (`DirectoryConfig.headers` is nil there).
///
/// Which lines a response gets, as in Apache 2.4:
/// - `Header always`: every response the pipeline answers, its own error pages and
///   redirects included (Apache's error filter).
/// - `Header [onsuccess]`: responses a handler made (static files, extensions, proxied
///   answers), whatever their status, but not the server's own error pages, redirects
///   and 304s, which Apache sends through `ap_send_error_response` with the resource
///   filters (mod_headers' output filter among them) removed.
///
/// Apache keeps the two sets in two tables (`err_headers_out`, `headers_out`); isapid has
/// one list of fields, edited by the `always` lines first, then the `onsuccess` ones.
struct HeaderEditor: Sendable {
    let rules: HeaderRules
    let environment: [String: String]
    /// When the request arrived, microseconds since the epoch (`%t`, `%D`).
    let receivedAt: Int64
    /// The request headers, for `Header echo`.
    let requestHeaders: HeaderFields
    /// The connection's TLS session, for `%{VAR}s`; nil on plain HTTP.
    let tls: TLSSessionInfo?

    init(rules: HeaderRules, context: RequestContext) {
        self.rules = rules
        self.environment = context.environmentWithTLS
        self.receivedAt = context.request.receivedAtMicroseconds
        self.requestHeaders = context.headers
        self.tls = context.request.connection.tls
    }

    /// The response's headers after the `Header` lines that apply to it.
    func edit(_ headers: HeaderFields, serverGenerated: Bool) -> HeaderFields {
        var fields = headers.entries
        for rule in rules.always { apply(rule, to: &fields) }
        if !serverGenerated {
            for rule in rules.onSuccess { apply(rule, to: &fields) }
        }
        return HeaderFields(fields)
    }

    /// A response the pipeline answers in full (not handed to a blocking handler).
    func edit(_ response: inout Response) {
        response.headers = edit(response.headers, serverGenerated: response.isServerGenerated || response.status == 304)
    }

    /// The request headers after the `RequestHeader` lines of one pass: the `early` ones,
    /// or the others (the fixups).
    func editRequest(_ headers: HeaderFields, early: Bool) -> HeaderFields {
        var fields = headers.entries
        for rule in rules.request where (rule.condition == .early) == early { apply(rule, to: &fields) }
        return HeaderFields(fields)
    }

    /// One line, as mod_headers' `do_headers_fixup` runs it.
    func apply(_ rule: HeaderRule, to fields: inout [(name: String, value: String)]) {
        switch rule.condition {
        case .none, .early: break
        case .environmentSet(let name): guard environment[name] != nil else { return }
        case .environmentUnset(let name): guard environment[name] == nil else { return }
        }
        let name = rule.name
        let first = fields.firstIndex { HeaderFields.same($0.name, name) }
        switch rule.action {
        case .set(let value):
            fields.removeAll { HeaderFields.same($0.name, name) }
            fields.append((name: name, value: format(value)))
        case .setIfEmpty(let value):
            if first == nil { fields.append((name: name, value: format(value))) }
        case .add(let value):
            fields.append((name: name, value: format(value)))
        case .append(let value):
            if let first { fields[first].value += ", " + format(value) } else { fields.append((name: name, value: format(value))) }
        case .merge(let value):
            let text = format(value)
            if let first {
                if !Self.tokens(of: fields[first].value).contains(Substring(text)) { fields[first].value += ", " + text }
            } else {
                fields.append((name: name, value: text))
            }
        case .unset:
            fields.removeAll { HeaderFields.same($0.name, name) }
        case .edit(let edit):
            guard first != nil else { return }
            // As Apache does, the edited fields move to the end, in their order.
            let replacement = format(edit.replacement)
            let edited = fields.filter { HeaderFields.same($0.name, name) }.map {
                (name: $0.name, value: Self.substitute(edit, replacement, in: Array($0.value.utf8)))
            }
            fields.removeAll { HeaderFields.same($0.name, name) }
            fields += edited
        case .echo(let regex):
            for field in requestHeaders where regex.pattern.matches(field.name) {
                fields.append(field)
            }
        }
    }

    /// The value with its format specifiers filled in.
    func format(_ value: HeaderValue) -> String {
        if let literal = value.literal { return literal }
        var text = ""
        for part in value.parts {
            switch part {
            case .literal(let literal): text += literal
            case .requestTime: text += "t=\(receivedAt)"
            case .duration: text += "D=\(WallClock.microseconds() - receivedAt)"
            case .environment(let name): text += environment[name] ?? "(null)"
            case .ssl(let name):
                // mod_headers: the mod_ssl variable, "(null)" when unset or empty.
                text += TLSSessionInfo.variable(name, of: tls).flatMap { $0.isEmpty ? nil : $0 } ?? "(null)"
            }
        }
        return text
    }

    /// The comma-separated tokens of a value as `merge` compares them: leading spaces
    /// skipped, a quoted string kept whole (commas inside it included).
    static func tokens(of value: String) -> [Substring] {
        var tokens: [Substring] = []
        var index = value.startIndex
        while index < value.endIndex {
            while index < value.endIndex, value[index] == " " || value[index] == "\t" { index = value.index(after: index) }
            let start = index
            var quoted = false
            while index < value.endIndex, quoted || value[index] != "," {
                if value[index] == "\"" { quoted.toggle() }
                index = value.index(after: index)
            }
            tokens.append(value[start..<index])
            if index < value.endIndex { index = value.index(after: index) }
        }
        return tokens
    }

    /// `edit` / `edit*` on one value: the first match (or each match, on what follows the
    /// previous one, as Apache's `process_regexp` recurses) replaced by the replacement
    /// with `$0`-`$9` and `&` filled in.
    static func substitute(_ edit: HeaderEdit, _ replacement: String, in value: [UInt8]) -> String {
        var output: [UInt8] = []
        var rest = value[...]
        while let match = edit.regex.pattern.firstMatch(in: Array(rest)), let whole = match.ranges[0] {
            output += rest.prefix(whole.lowerBound)
            output += expand(replacement, match)
            var next = whole.upperBound
            if whole.isEmpty {
                // An empty match would match again at the same place: step over a byte.
                if next < rest.count { output.append(rest[rest.startIndex + next]) }
                next += 1
            }
            rest = rest.dropFirst(next)
            if !edit.everyMatch || rest.isEmpty { break }
        }
        output += rest
        return String(decoding: output, as: UTF8.self)
    }

    /// Apache's `ap_pregsub`: `&` and `$0`-`$9` are groups, a backslash quotes the next byte.
    static func expand(_ replacement: String, _ match: RegexMatch) -> [UInt8] {
        var output: [UInt8] = []
        var bytes = replacement.utf8.makeIterator()
        var pending = bytes.next()
        while let byte = pending {
            pending = bytes.next()
            if byte == UInt8(ascii: "&") {
                output += match.bytes(0) ?? []
            } else if byte == UInt8(ascii: "$"), let digit = pending, (48...57).contains(digit) {
                output += match.bytes(Int(digit - 48)) ?? []
                pending = bytes.next()
            } else if byte == UInt8(ascii: "\\"), let quoted = pending {
                output.append(quoted)
                pending = bytes.next()
            } else {
                output.append(byte)
            }
        }
        return output
    }
}
