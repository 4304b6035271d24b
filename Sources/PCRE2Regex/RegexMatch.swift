/// The groups of one successful match.
public struct RegexMatch: Sendable, Equatable {
    /// Byte ranges (UTF-8 offsets into the subject) of group 0 through
    /// ``RegexPattern/captureCount``; `nil` for a group that did not participate.
    public let ranges: [Range<Int>?]

    /// The subject is kept as bytes so that the subscript works the same for
    /// `String` and raw-byte subjects, including invalid UTF-8 ones.
    private let subject: [UInt8]

    init(subject: [UInt8], ranges: [Range<Int>?]) {
        self.subject = subject
        self.ranges = ranges
    }

    /// The whole subject the match was made in.
    public var subjectBytes: [UInt8] { subject }

    /// The bytes of a group, or `nil` if the group did not participate or does
    /// not exist.
    public func bytes(_ group: Int) -> ArraySlice<UInt8>? {
        guard ranges.indices.contains(group), let range = ranges[group] else { return nil }
        return subject[range]
    }

    /// The text of a group, or `nil` if the group did not participate or does
    /// not exist, so `$n` substitution can treat both as empty. Bytes that are
    /// not valid UTF-8 become U+FFFD.
    public subscript(group: Int) -> String? {
        bytes(group).map { String(decoding: $0, as: UTF8.self) }
    }
}
