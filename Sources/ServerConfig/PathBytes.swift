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
        forEachFileNameExtension { parts.append($0) }
        return parts
    }

    /// `fileNameExtensions()` one by one, without building the array (the handler and
    /// media type choices run it for every request).
    public func forEachFileNameExtension(_ body: (Substring) throws -> Void) rethrows {
        // By byte offset, each part sliced from the UTF-8 view: stepping and slicing by
        // String index cost several hundred instructions a name.
        let utf8 = self.utf8
        func part(_ start: Int, _ end: Int) -> Substring {
            Substring(utf8[utf8.index(utf8.startIndex, offsetBy: start)..<utf8.index(utf8.startIndex, offsetBy: end)])
        }
        var contiguous = self
        try contiguous.withUTF8 { bytes in
            guard var start = bytes.firstIndex(of: UInt8(ascii: ".")).map({ $0 + 1 }) else { return }
            while let dot = bytes[start...].firstIndex(of: UInt8(ascii: ".")) {
                try body(part(start, dot))
                start = dot + 1
            }
            try body(part(start, bytes.count))
        }
    }

    /// A copy with the ASCII letters lower-cased, as Apache's `ap_str_tolower` gives the
    /// keys of mod_mime's tables; a plain copy when there is no upper-case letter (the
    /// usual case, and a small string is then not allocated at all).
    public func asciiLowercased() -> String {
        guard utf8.contains(where: { $0 &- 65 < 26 }) else { return String(self) }
        return String(decoding: utf8.map { $0 &- 65 < 26 ? $0 | 0x20 : $0 }, as: UTF8.self)
    }
}

extension String {
    public func componentsSeparated(byByte separator: UInt8) -> [Substring] {
        Substring(self).componentsSeparated(byByte: separator)
    }

    public func lastIndex(ofByte byte: UInt8) -> Index? { utf8.lastIndex(of: byte) }

    public func fileNameExtensions() -> [Substring] { Substring(self).fileNameExtensions() }
}
