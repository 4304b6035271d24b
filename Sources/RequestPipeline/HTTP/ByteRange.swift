/// A run of bytes of a file: `length` bytes starting at `offset` (both non-negative).
public struct ByteSpan: Sendable, Hashable, CustomStringConvertible {
    /// Position of the first byte.
    public var offset: Int64
    /// Number of bytes, at least 1 for a span that came out of `ByteRange.evaluate`.
    public var length: Int64

    /// The span of `length` bytes starting at `offset`.
    public init(offset: Int64, length: Int64) {
        self.offset = offset
        self.length = length
    }

    /// The span of the inclusive byte positions `first...last`, as a range-spec names them.
    public init(first: Int64, last: Int64) {
        self.init(offset: first, length: last - first + 1)
    }

    /// Position of the last byte (inclusive), as Content-Range writes it.
    public var last: Int64 { offset + length - 1 }

    /// `first-last`, as in a range-spec.
    public var description: String { "\(offset)-\(last)" }
}

/// What to answer to a Range request for a file.
public enum RangeOutcome: Sendable, Equatable {
    /// Ignore Range and send the whole file with 200: no Range, another unit, a
    /// syntactically invalid header, a failed If-Range, or one of Apache's limits hit.
    case full
    /// 206 with one Content-Range.
    case partial(offset: Int64, length: Int64)
    /// 206 multipart/byteranges with these spans, in this order (see `MultipartByteranges`).
    case multiple([ByteSpan])
    /// 416 Range Not Satisfiable, with `ByteRange.unsatisfiedContentRange(size:)`.
    case unsatisfiable
}

/// Apache's guards against abusive range sets (core directives `MaxRanges`,
/// `MaxRangeOverlaps` and `MaxRangeReversals`). When a request exceeds one, the Range
/// header is ignored and the whole file is sent. Nil means unlimited; 0 means none
/// allowed, matching the directives' `unlimited` and `none`.
public struct RangeLimits: Sendable, Equatable {
    /// Most ranges left after merging.
    public var maxRanges: Int?
    /// Most merges of an overlapping or adjacent range into the previous one.
    public var maxOverlaps: Int?
    /// Most merges of a range that starts before the previous one.
    public var maxReversals: Int?

    /// Limits; each defaults to Apache's compiled-in value.
    public init(maxRanges: Int? = 200, maxOverlaps: Int? = 20, maxReversals: Int? = 20) {
        self.maxRanges = maxRanges
        self.maxOverlaps = maxOverlaps
        self.maxReversals = maxReversals
    }

    /// Apache 2.4's compiled-in defaults: 200 ranges, 20 overlaps, 20 reversals.
    public static let apacheDefault = RangeLimits()
    /// No limits at all.
    public static let unlimited = RangeLimits(maxRanges: nil, maxOverlaps: nil, maxReversals: nil)
}

/// Byte range requests (RFC 9110 §14) the way Apache 2.4's byterange filter handles them.
public enum ByteRange {
    /// Decides how to answer a Range header for a file of `size` bytes.
    ///
    /// - Only the `bytes` unit (case-insensitive) is understood; any other unit means the
    ///   header is ignored (`.full`).
    /// - `If-Range` (§13.1.5): an entity-tag must match `etag` by strong comparison (a weak
    ///   tag on either side never does); otherwise the value must be an HTTP-date exactly
    ///   equal to `lastModified`. Anything else, including a malformed value, means `.full`.
    /// - Range specs are `first-last`, `first-` and `-suffix`, separated by commas with
    ///   optional whitespace; empty elements are skipped (§5.6.1). One syntactically
    ///   invalid spec (`5-1`, `abc`, a number too large for 64 bits, and, as Apache has
    ///   it, `-0`) makes the whole header ignored (`.full`).
    /// - Apache's shortcuts are kept: `0-` anywhere stands for the whole file and drops
    ///   every other spec; each range is merged into the previous one when they overlap or
    ///   touch (in request order, without sorting); if the merged lengths add up to more
    ///   than the file, or `limits` are exceeded, the header is ignored (`.full`).
    /// - Specs starting at or after the end of the file are dropped; when no spec is
    ///   satisfiable the answer is `.unsatisfiable` (416). A suffix longer than the file
    ///   means the whole file.
    /// - A zero-length file satisfies no `first-…` spec (RFC 9110 §14.1.1), so those give
    ///   416; a non-zero suffix is satisfiable but selects nothing, so `.full` (an empty
    ///   200). Apache itself sends 200 for every range on an empty file.
    /// - One range left gives `.partial`, several give `.multiple`.
    public static func evaluate(
        rangeHeader: String?, ifRange: String?, size: Int64, etag: EntityTag, lastModified: Int64,
        limits: RangeLimits = .apacheDefault
    ) -> RangeOutcome {
        guard let rangeHeader, let equals = rangeHeader.firstIndex(of: "=") else { return .full }
        let unit = trimmed(rangeHeader[..<equals])
        guard unit.lowercased() == "bytes" else { return .full }
        if let ifRange, !ifRangeHolds(ifRange, etag: etag, lastModified: lastModified) { return .full }
        guard let specs = parseRangeSet(rangeHeader[rangeHeader.index(after: equals)...]) else { return .full }

        if size <= 0 {
            let hasSuffix = specs.contains { if case .suffix = $0 { return true } else { return false } }
            return hasSuffix ? .full : .unsatisfiable
        }

        // Apache's ap_set_byterange: clamp, drop unsatisfiable specs, merge each range
        // into the one being built when they overlap or are adjacent.
        var merged: [ByteSpan] = []
        var current: (start: Int64, end: Int64)?
        var unsatisfiable = false
        var overlaps = 0
        var reversals = 0
        for spec in specs {
            var start: Int64
            var end: Int64
            switch spec {
            case .suffix(let count):
                start = count >= size ? 0 : size - count
                end = size - 1
            case .from(let first, let last):
                start = first
                end = last ?? size - 1
            }
            if start >= size {
                unsatisfiable = true
                continue
            }
            end = min(end, size - 1)
            guard let (ostart, oend) = current else {
                current = (start, end)
                continue
            }
            var inMerge = false
            var newStart = ostart
            var newEnd = oend
            if start >= ostart && end <= oend { inMerge = true }
            if start < ostart && end >= ostart - 1 {
                newStart = start
                reversals += 1
                inMerge = true
            }
            if end >= oend && start <= oend + 1 {
                newEnd = end
                inMerge = true
            }
            if inMerge {
                overlaps += 1
                current = (newStart, newEnd)
            } else {
                merged.append(ByteSpan(first: ostart, last: oend))
                current = (start, end)
            }
        }
        if let (start, end) = current {
            merged.append(ByteSpan(first: start, last: end))
        } else if unsatisfiable {
            return .unsatisfiable
        }
        guard !merged.isEmpty else { return .full }

        var total: Int64 = 0
        for span in merged {
            let (sum, overflow) = total.addingReportingOverflow(span.length)
            guard !overflow, sum <= size else { return .full }
            total = sum
        }
        if let max = limits.maxRanges, merged.count > max { return .full }
        if let max = limits.maxOverlaps, overlaps > max { return .full }
        if let max = limits.maxReversals, reversals > max { return .full }

        if merged.count == 1 { return .partial(offset: merged[0].offset, length: merged[0].length) }
        return .multiple(merged)
    }

    /// The Content-Range value of a 206 part: `bytes 0-99/1000`.
    public static func contentRange(_ span: ByteSpan, size: Int64) -> String {
        "bytes \(span.offset)-\(span.last)/\(size)"
    }

    /// The Content-Range value of a 416: `bytes */1000`.
    public static func unsatisfiedContentRange(size: Int64) -> String {
        "bytes */\(size)"
    }

    // MARK: Parsing

    enum Spec: Equatable {
        /// `first-last` or `first-` (last nil).
        case from(Int64, Int64?)
        /// `-count`
        case suffix(Int64)
    }

    /// The specs of a range-set in order, or nil when one is syntactically invalid. As in
    /// Apache, `0-` ends the set: it replaces everything before it and what follows is not
    /// even looked at.
    static func parseRangeSet(_ text: Substring) -> [Spec]? {
        var specs: [Spec] = []
        for element in text.split(separator: ",", omittingEmptySubsequences: false) {
            let item = trimmed(element)
            if item.isEmpty { continue }
            guard let dash = item.firstIndex(of: "-") else { return nil }
            let before = item[..<dash]
            let after = item[item.index(after: dash)...]
            if before.isEmpty {
                guard let count = number(after), count > 0 else { return nil }
                specs.append(.suffix(count))
            } else {
                guard let first = number(before) else { return nil }
                if after.isEmpty {
                    if first == 0 { return [.from(0, nil)] }
                    specs.append(.from(first, nil))
                } else {
                    guard let last = number(after), first <= last else { return nil }
                    specs.append(.from(first, last))
                }
            }
        }
        return specs.isEmpty ? nil : specs
    }

    /// A non-empty run of ASCII digits that fits in Int64.
    private static func number(_ text: Substring) -> Int64? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int64(text)
    }

    private static func trimmed(_ text: Substring) -> Substring {
        let isOWS: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let start = text.firstIndex(where: { !isOWS($0) }) else { return text[text.endIndex...] }
        let end = text.lastIndex(where: { !isOWS($0) })!
        return text[start...end]
    }

    /// RFC 9110 §13.1.5: a strong entity-tag equal to `etag`, or an HTTP-date equal to
    /// `lastModified`. The first character tells them apart (a tag starts with `"` or `W/`).
    static func ifRangeHolds(_ value: String, etag: EntityTag, lastModified: Int64) -> Bool {
        let text = trimmed(Substring(value))
        if text.hasPrefix("\"") || text.hasPrefix("W/") {
            guard let tag = EntityTag(String(text)) else { return false }
            return tag.strongMatches(etag)
        }
        guard let date = HTTPDate.parse(String(text)) else { return false }
        return date == lastModified
    }
}
