/// Path splitting on the UTF-8 bytes. `/` and `.` are ASCII, so byte positions are valid
/// string boundaries, and no grapheme breaking is needed: these run for every request.
extension Substring {
    /// The non-empty components between `separator`s (as `split(separator:)` gives them).
    public func componentsSeparated(byByte separator: UInt8) -> [Substring] {
        var components: [Substring] = []
        let bytes = utf8
        var start = bytes.startIndex
        var index = start
        while index != bytes.endIndex {
            if bytes[index] == separator {
                if start != index { components.append(self[start..<index]) }
                start = bytes.index(after: index)
            }
            index = bytes.index(after: index)
        }
        if start != bytes.endIndex { components.append(self[start..<bytes.endIndex]) }
        return components
    }

    /// The index of the last `byte`, found on the UTF-8 view.
    public func lastIndex(ofByte byte: UInt8) -> Index? {
        utf8.lastIndex(of: byte)
    }

    /// The parts after the first `.` of a file name, each (`a.tar.gz` → `tar`, `gz`; empty
    /// parts kept as `split(separator:omittingEmptySubsequences: false)` keeps them).
    public func fileNameExtensions() -> [Substring] {
        var parts: [Substring] = []
        let bytes = utf8
        guard var start = bytes.firstIndex(of: UInt8(ascii: ".")).map({ bytes.index(after: $0) }) else { return [] }
        var index = start
        while index != bytes.endIndex {
            if bytes[index] == UInt8(ascii: ".") {
                parts.append(self[start..<index])
                start = bytes.index(after: index)
            }
            index = bytes.index(after: index)
        }
        parts.append(self[start..<bytes.endIndex])
        return parts
    }
}

extension String {
    public func componentsSeparated(byByte separator: UInt8) -> [Substring] {
        Substring(self).componentsSeparated(byByte: separator)
    }

    public func lastIndex(ofByte byte: UInt8) -> Index? { utf8.lastIndex(of: byte) }

    public func fileNameExtensions() -> [Substring] { Substring(self).fileNameExtensions() }
}
