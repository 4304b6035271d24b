import ISAPIHost

/// HTTP header fields in the order received or set, with case-insensitive lookup.
/// The pipeline's own type, so that it needs no networking library.
public struct HeaderFields: Sendable, Sequence, ExpressibleByDictionaryLiteral {
    public private(set) var entries: [(name: String, value: String)] {
        didSet { encoded = nil }
    }
    /// The fields as a response head writes them (`Name: value` and CRLF each), when they
    /// were encoded once for many responses (`encodingOnce()`: a static file's validators
    /// and type); every change clears it, so it never disagrees with `entries`.
    public private(set) var encoded: [UInt8]?

    public init(_ entries: [(name: String, value: String)] = []) { self.entries = entries }

    public init(dictionaryLiteral elements: (String, String)...) {
        entries = elements.map { (name: $0.0, value: $0.1) }
    }

    /// The first value of a field.
    public subscript(name: String) -> String? {
        for entry in entries where entry.name.utf8.count == name.utf8.count && Self.same(entry.name, name) {
            return entry.value
        }
        return nil
    }

    public func values(_ name: String) -> [String] {
        entries.filter { Self.same($0.name, name) }.map(\.value)
    }

    public func contains(_ name: String) -> Bool { self[name] != nil }

    public mutating func add(_ name: String, _ value: String) { entries.append((name: name, value: value)) }

    /// Replaces every value of a field with one.
    public mutating func set(_ name: String, _ value: String) {
        remove(name)
        add(name, value)
    }

    public mutating func remove(_ name: String) {
        // Looked for first: removeAll(where:) copies an array it shares (a context's headers
        // share the request's) even when nothing matches; most removals find nothing.
        guard entries.contains(where: { Self.same($0.name, name) }) else { return }
        entries.removeAll { Self.same($0.name, name) }
    }

    /// Removes every field `shouldRemove` picks, in one pass; the fields stay shared
    /// (no copy) when it picks none.
    public mutating func removeAll(where shouldRemove: ((name: String, value: String)) -> Bool) {
        guard entries.contains(where: shouldRemove) else { return }
        entries.removeAll(where: shouldRemove)
    }

    /// The same fields with `encoded` filled in, for a cache to hand out to many responses.
    public func encodingOnce() -> HeaderFields {
        var copy = self
        var bytes: [UInt8] = []
        for (name, value) in entries {
            bytes.append(contentsOf: name.utf8)
            bytes.append(contentsOf: ": ".utf8)
            bytes.append(contentsOf: value.utf8)
            bytes.append(contentsOf: "\r\n".utf8)
        }
        copy.encoded = bytes
        return copy
    }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> { entries.makeIterator() }

    public var count: Int { entries.count }

    /// Whether a comma-separated field (Connection, ...) lists a token (given in lower
    /// case), case-insensitively. In place, allocating nothing: every response asks.
    public func listContains(_ name: String, token: String) -> Bool {
        entries.contains { Self.same($0.name, name) && Self.list($0.value, contains: token) }
    }

    /// Whether `value`, a comma-separated list, has `token` as one of its elements
    /// (spaces and tabs around an element are not part of it).
    static func list(_ value: String, contains token: String) -> Bool {
        let bytes = value.utf8
        func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        var start = bytes.startIndex
        while true {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: ",")) ?? bytes.endIndex
            var first = start
            var last = end
            while first < last, isBlank(bytes[first]) { first = bytes.index(after: first) }
            while last > first, isBlank(bytes[bytes.index(before: last)]) { last = bytes.index(before: last) }
            if ASCIICase.equal(bytes[first..<last], token.utf8) { return true }
            guard end < bytes.endIndex else { return false }
            start = bytes.index(after: end)
        }
    }

    static func same(_ a: String, _ b: String) -> Bool { ASCIICase.equal(a.utf8, b.utf8) }
}

extension StringProtocol {
    func trimmingSpaces() -> SubSequence {
        var start = startIndex
        var end = endIndex
        while start < end, self[start] == " " || self[start] == "\t" { start = index(after: start) }
        while end > start, self[index(before: end)] == " " || self[index(before: end)] == "\t" { end = index(before: end) }
        return self[start..<end]
    }
}
