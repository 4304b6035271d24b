/// An HTTP entity-tag (RFC 9110 §8.8.3): the ETag validator of a representation, and
/// what If-Match, If-None-Match and If-Range compare against it.
public struct EntityTag: Sendable, Hashable, CustomStringConvertible {
    /// True for a weak validator (`W/` prefix): equal tags promise equivalent content, not
    /// identical bytes, so weak tags never satisfy a strong comparison.
    public var weak: Bool
    /// The opaque-tag including its double quotes, e.g. `"2d-5f3c1a2b3c4d5"`.
    public var opaque: String

    /// A tag from its parts; `opaque` must include the double quotes.
    public init(weak: Bool = false, opaque: String) {
        self.weak = weak
        self.opaque = opaque
    }

    /// Parses one entity-tag (`"xyzzy"` or `W/"xyzzy"`), ignoring surrounding spaces and
    /// tabs; nil when the text is not exactly one valid entity-tag.
    public init?(_ text: String) {
        let bytes = Array(text.utf8)
        var scanner = EntityTagScanner(bytes)
        scanner.skipWhitespace()
        guard let tag = scanner.entityTag() else { return nil }
        scanner.skipWhitespace()
        guard scanner.atEnd else { return nil }
        self = tag
    }

    /// The field value to send in ETag: `W/` when weak, then the quoted opaque-tag.
    public var headerValue: String { weak ? "W/" + opaque : opaque }

    /// The header form, for logs and test output.
    public var description: String { headerValue }

    // MARK: Apache's file tags

    /// Which file attributes go into a file's tag, like Apache's `FileETag` directive.
    public struct FileComponents: OptionSet, Sendable, Hashable {
        /// The option bits.
        public let rawValue: UInt8
        /// A set from its option bits.
        public init(rawValue: UInt8) { self.rawValue = rawValue }

        /// `INode`: the file's inode number.
        public static let inode = FileComponents(rawValue: 1)
        /// `MTime`: the modification time in microseconds.
        public static let modificationTime = FileComponents(rawValue: 2)
        /// `Size`: the file size in bytes.
        public static let size = FileComponents(rawValue: 4)
        /// Apache 2.4's default, `FileETag MTime Size`.
        public static let apacheDefault: FileComponents = [.modificationTime, .size]
        /// `FileETag All` (Apache 2.2's default): inode, size and modification time.
        public static let all: FileComponents = [.inode, .modificationTime, .size]
    }

    /// The tag Apache 2.4's `ap_make_etag` gives a file: the chosen components as lowercase
    /// hexadecimal without leading zeros, in the order inode, size, mtime (microseconds),
    /// joined by `-`. With the default `MTime Size` that is `"<size>-<mtime usec>"`, so a
    /// client's cached tags stay valid across a switch between isapid and Apache.
    ///
    /// - Parameters:
    ///   - inode: used only when `components` contains `.inode`.
    ///   - requestTimeMicroseconds: when given, the tag is weak if the file was modified no
    ///     more than one second before the request, as Apache does: the file could still
    ///     change within the same mtime tick, so the tag cannot promise identical bytes.
    ///   - components: an empty set gives the empty tag `""`; `FileETag None` should instead
    ///     omit the header.
    public static func forFile(
        inode: UInt64, size: Int64, mtimeMicroseconds: Int64,
        components: FileComponents = .apacheDefault, requestTimeMicroseconds: Int64? = nil
    ) -> EntityTag {
        var parts: [String] = []
        if components.contains(.inode) { parts.append(String(inode, radix: 16)) }
        if components.contains(.size) { parts.append(String(UInt64(bitPattern: size), radix: 16)) }
        if components.contains(.modificationTime) {
            parts.append(String(UInt64(bitPattern: mtimeMicroseconds), radix: 16))
        }
        var weak = false
        if let now = requestTimeMicroseconds {
            let (age, overflow) = now.subtractingReportingOverflow(mtimeMicroseconds)
            weak = overflow || age <= 1_000_000
        }
        return EntityTag(weak: weak, opaque: "\"" + parts.joined(separator: "-") + "\"")
    }

    // MARK: Comparison (RFC 9110 §8.8.3.2)

    /// Strong comparison: both tags strong and their opaque-tags identical. Required by
    /// If-Match and If-Range, where a byte-exact representation matters.
    public func strongMatches(_ other: EntityTag) -> Bool {
        !weak && !other.weak && opaque == other.opaque
    }

    /// Weak comparison: the opaque-tags identical, either or both may be weak. Used by
    /// If-None-Match, where equivalent content is enough for a 304.
    public func weakMatches(_ other: EntityTag) -> Bool {
        opaque == other.opaque
    }

    // MARK: Lists

    /// Parses an If-Match or If-None-Match field value: `*`, or a comma-separated list of
    /// entity-tags with optional whitespace and empty elements (RFC 9110 §5.6.1). Commas
    /// inside quotes belong to the tag. Malformed elements are skipped, so they can never
    /// match (an If-Match made only of junk therefore fails, as in Apache); a `*` anywhere
    /// makes the list match any current representation.
    public static func parseList(_ fieldValue: String) -> EntityTagList {
        var scanner = EntityTagScanner(Array(fieldValue.utf8))
        var tags: [EntityTag] = []
        var sawAny = false
        while true {
            scanner.skipSeparators()
            if scanner.atEnd { break }
            if scanner.peek == UInt8(ascii: "*") {
                scanner.advance()
                scanner.skipWhitespace()
                if scanner.atEnd || scanner.peek == UInt8(ascii: ",") {
                    sawAny = true
                } else {
                    scanner.skipElement()
                }
                continue
            }
            if let tag = scanner.entityTag() {
                scanner.skipWhitespace()
                if scanner.atEnd || scanner.peek == UInt8(ascii: ",") {
                    tags.append(tag)
                    continue
                }
            }
            scanner.skipElement()
        }
        return sawAny ? .any : .tags(tags)
    }
}

/// A parsed If-Match / If-None-Match field value.
public enum EntityTagList: Sendable, Equatable {
    /// `*`: any current representation matches.
    case any
    /// The listed tags, in order; possibly empty when nothing in the field was valid.
    case tags([EntityTag])

    /// Whether `tag` matches by strong comparison (If-Match); `*` matches anything.
    public func containsStrong(_ tag: EntityTag) -> Bool {
        switch self {
        case .any: return true
        case .tags(let tags): return tags.contains { $0.strongMatches(tag) }
        }
    }

    /// Whether `tag` matches by weak comparison (If-None-Match); `*` matches anything.
    public func containsWeak(_ tag: EntityTag) -> Bool {
        switch self {
        case .any: return true
        case .tags(let tags): return tags.contains { $0.weakMatches(tag) }
        }
    }
}

/// Byte scanner for the entity-tag grammar:
/// `entity-tag = [ %s"W/" ] DQUOTE *etagc DQUOTE`, `etagc = %x21 / %x23-7E / obs-text`.
struct EntityTagScanner {
    private let bytes: [UInt8]
    private var index = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { index >= bytes.count }
    var peek: UInt8? { atEnd ? nil : bytes[index] }
    mutating func advance() { index += 1 }

    mutating func skipWhitespace() {
        while let c = peek, c == 0x20 || c == 0x09 { index += 1 }
    }

    /// Whitespace and commas between list elements.
    mutating func skipSeparators() {
        while let c = peek, c == 0x20 || c == 0x09 || c == UInt8(ascii: ",") { index += 1 }
    }

    /// Skips a malformed element up to the next comma outside quotes.
    mutating func skipElement() {
        var quoted = false
        while let c = peek {
            if c == UInt8(ascii: "\"") { quoted.toggle() }
            if c == UInt8(ascii: ","), !quoted { return }
            index += 1
        }
    }

    /// One entity-tag at the current position; on failure the position is unchanged.
    mutating func entityTag() -> EntityTag? {
        let start = index
        var weak = false
        if index + 1 < bytes.count, bytes[index] == UInt8(ascii: "W"), bytes[index + 1] == UInt8(ascii: "/") {
            weak = true
            index += 2
        }
        guard peek == UInt8(ascii: "\"") else {
            index = start
            return nil
        }
        let open = index
        index += 1
        while let c = peek, c != UInt8(ascii: "\"") {
            guard c == 0x21 || (c >= 0x23 && c <= 0x7E) || c >= 0x80 else {
                index = start
                return nil
            }
            index += 1
        }
        guard peek == UInt8(ascii: "\"") else {
            index = start
            return nil
        }
        index += 1
        let opaque = String(decoding: bytes[open..<index], as: UTF8.self)
        return EntityTag(weak: weak, opaque: opaque)
    }
}
