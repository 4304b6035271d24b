import ServerConfig
import Testing

/// The byte-level splits give what splitting on Unicode scalars gives, as the kernel
/// reads a path, including for non-ASCII names (é, emoji) and a combining accent right
/// after a `/` (which a Character-level `split` would glue to the slash, and so not split).
@Suite struct PathBytesTests {
    /// The reference: split on the scalar `/`.
    static func scalarSplit(_ text: Substring, _ separator: Unicode.Scalar) -> [Substring] {
        var parts: [Substring] = []
        var start = text.startIndex
        for index in text.unicodeScalars.indices where text.unicodeScalars[index] == separator {
            if start != index { parts.append(text[start..<index]) }
            start = text.unicodeScalars.index(after: index)
        }
        if start != text.endIndex { parts.append(text[start...]) }
        return parts
    }

    static let samples = [
        "", "/", "//", "a", "/a", "a/", "/a/b/", "//a//b//c", "/srv/www/htdocs/index.html", "/é/ü/x.txt",
        "/a/\u{301}b/c", "/😀/😀.😀", "a.b.c", ".htaccess", "name.", "a..b", "x.tar.gz", "/dir.d/file",
    ]

    @Test(arguments: samples)
    func componentsMatchSplit(path: String) {
        #expect(path.componentsSeparated(byByte: UInt8(ascii: "/")) == Self.scalarSplit(Substring(path), "/"))
        let sub = Substring("x/" + path).dropFirst(2)
        #expect(sub.componentsSeparated(byByte: UInt8(ascii: "/")) == Self.scalarSplit(sub, "/"))
    }

    @Test(arguments: samples)
    func extensionsMatchSplitAfterTheFirstDot(name: String) {
        let expected = Array(name.split(separator: ".", omittingEmptySubsequences: false).dropFirst())
        #expect(name.fileNameExtensions() == expected)
    }

    @Test(arguments: samples)
    func extensionsOfASubstringMatchThoseOfItsString(name: String) {
        let sub = Substring("x.y/" + name).dropFirst(4)
        #expect(sub.fileNameExtensions() == name.fileNameExtensions())
        var seen: [Substring] = []
        sub.forEachFileNameExtension { seen.append($0) }
        #expect(seen == name.fileNameExtensions())
    }

    /// ASCII letters only, as Apache's `ap_str_tolower`: other scripts' capitals stay.
    @Test(arguments: [("", ""), ("dll", "dll"), ("DLL", "dll"), ("Tar.GZ", "tar.gz"), ("@[`{", "@[`{"), ("ÉTÉ", "ÉtÉ"), ("K\u{212A}", "k\u{212A}")])
    func asciiLowercasing(text: String, expected: String) {
        #expect(Substring(text).asciiLowercased() == expected)
        #expect(Substring("AB" + text).dropFirst(2).asciiLowercased() == expected)
    }

    @Test(arguments: samples)
    func lastSlashMatches(path: String) {
        #expect(path.lastIndex(ofByte: UInt8(ascii: "/")) == path.unicodeScalars.lastIndex(of: "/"))
    }
}
