import Testing
@testable import RequestPipeline

@Suite("URIPath")
struct URIPathTests {
    // MARK: split

    /// target, raw path, raw query (nil: no `?`).
    static let splitCases: [(String, String, String?)] = [
        ("/", "/", nil),
        ("/a/b", "/a/b", nil),
        ("/a?b=1", "/a", "b=1"),
        ("/a?", "/a", ""),
        ("/a?b?c", "/a", "b?c"),
        ("/a?x=/../y", "/a", "x=/../y"),
        ("/a%3Fb?c", "/a%3Fb", "c"),
        // Fragments never reach a server, but when they do they are dropped.
        ("/a#frag", "/a", nil),
        ("/a?q#frag", "/a", "q"),
        ("/a#frag?q", "/a", nil),
        // Absolute-form: the path of the URL.
        ("http://h/x?q", "/x", "q"),
        ("http://h/x", "/x", nil),
        ("HTTP://h/x", "/x", nil),
        ("https://user@h:8080/p/q?r", "/p/q", "r"),
        ("http://h", "/", nil),
        ("http://h/", "/", nil),
        ("http://h/x#f", "/x", nil),
        // The authority ends at `?` or `#` as well as `/` (RFC 3986 §3.2): Apache gives path `/`.
        ("http://h?q", "/", "q"),
        ("http://h?a=/b", "/", "a=/b"),
        ("http://h#f/x", "/", nil),
        ("*", "*", nil),
    ]

    @Test("split", arguments: splitCases)
    func split(target: String, path: String, query: String?) {
        let result = URIPath.split(target: target)
        #expect(result.map { String($0.path) } == path)
        #expect(result?.query.map(String.init) == query)
    }

    @Test("split refuses what is neither origin-form, absolute-form nor *",
          arguments: ["", "a/b", "../x", "x", "h/x", "?q", "**", "mailto:x", "1a://h/x", "ht tp://h/x", "a?b://c/d"])
    func splitRefuses(target: String) {
        #expect(URIPath.split(target: target) == nil)
    }

    // MARK: normalize

    enum Expected: Sendable, Equatable {
        case path(String)
        case badRequest
        case notFound
    }

    static func outcome(_ raw: String) -> Expected {
        switch URIPath.normalize(Substring(raw)) {
        case .success(let path): return .path(path)
        case .failure(.badRequest): return .badRequest
        case .failure(.notFound): return .notFound
        }
    }

    static let normalizeCases: [(String, Expected)] = [
        ("/", .path("/")),
        ("/a", .path("/a")),
        ("/a/", .path("/a/")),
        ("/a/b/c.html", .path("/a/b/c.html")),
        // `//` merged.
        ("//", .path("/")),
        ("//a", .path("/a")),
        ("/a//b", .path("/a/b")),
        ("/a///b//", .path("/a/b/")),
        // `.` segments.
        ("/.", .path("/")),
        ("/./", .path("/")),
        ("/a/./b", .path("/a/b")),
        ("/a/.", .path("/a/")),
        ("/a/./", .path("/a/")),
        ("/./a", .path("/a")),
        // `..` segments.
        ("/a/..", .path("/")),
        ("/a/../", .path("/")),
        ("/a/b/..", .path("/a/")),
        ("/a/b/../c", .path("/a/c")),
        ("/a/b/../../c", .path("/c")),
        ("/a/./b/./../c/", .path("/a/c/")),
        ("//a//..//b", .path("/b")),
        // Not dot-segments.
        ("/a/.../b", .path("/a/.../b")),
        ("/a/..b", .path("/a/..b")),
        ("/a/b..", .path("/a/b..")),
        ("/a/.b", .path("/a/.b")),
        ("/a/.. /b", .path("/a/.. /b")),
        // Percent-decoding happens before dot-segment removal, once.
        ("/%41%62c", .path("/Abc")),
        ("/a%20b", .path("/a b")),
        ("/a/%2e%2e/b", .path("/b")),
        ("/a/%2E%2e/", .path("/")),
        ("/a/%2E%2E/b", .path("/b")),
        ("/a/.%2e/b", .path("/b")),
        ("/a/%2e./b", .path("/b")),
        ("/a/%2e/b", .path("/a/b")),
        ("/a/%252e%252e/b", .path("/a/%2e%2e/b")),
        ("/a/%25", .path("/a/%")),
        ("/a/%5c..%5cb", .path("/a/\\..\\b")),
        // Above the root: 400.
        ("/..", .badRequest),
        ("/../", .badRequest),
        ("/../x", .badRequest),
        ("/a/../../x", .badRequest),
        ("/a/../..", .badRequest),
        ("/%2e%2e/x", .badRequest),
        ("/%2E%2E/x", .badRequest),
        ("/.%2e/x", .badRequest),
        ("/./../x", .badRequest),
        ("//..//x", .badRequest),
        // Encoded slash or NUL: 404 (AllowEncodedSlashes Off).
        ("/..%2f", .notFound),
        ("/..%2fx", .notFound),
        ("/a%2Fb", .notFound),
        ("/%2e%2e%2fx", .notFound),
        ("/a%00", .notFound),
        ("/a%00.html", .notFound),
        // Raw NUL: 400.
        ("/a\u{0}b", .badRequest),
        // Invalid escapes: 400.
        ("/%zz", .badRequest),
        ("/%4", .badRequest),
        ("/a%", .badRequest),
        ("/%g0", .badRequest),
        ("/%u002e", .badRequest),
        // Not a path.
        ("", .badRequest),
        ("a/b", .badRequest),
        ("%2fa", .notFound),
    ]

    @Test("normalize", arguments: normalizeCases)
    func normalize(raw: String, expected: Expected) {
        #expect(Self.outcome(raw) == expected)
    }

    @Test("overlong UTF-8 for '.' is not a dot")
    func overlongDots() {
        guard case .path(let path) = Self.outcome("/a/%c0%ae%c0%ae/b") else {
            Issue.record("expected a path")
            return
        }
        #expect(path.hasPrefix("/a/"))
        #expect(path.hasSuffix("/b"))
        #expect(!path.contains(".."))
    }

    // MARK: escape

    static let escapeCases: [(String, String)] = [
        ("/a/b.html", "/a/b.html"),
        ("/a b", "/a%20b"),
        ("/100%", "/100%25"),
        ("/what?", "/what%3F"),
        ("/a#b", "/a%23b"),
        ("/x\r\ny", "/x%0D%0Ay"),
        ("/~u/a-b_c.d", "/~u/a-b_c.d"),
        ("/a:b@c!$&'()*+,;=", "/a:b@c!$&'()*+,;="),
        ("/é", "/%C3%A9"),
    ]

    @Test("escape", arguments: escapeCases)
    func escape(path: String, expected: String) {
        #expect(URIPath.escape(path) == expected)
    }

    /// Paths that need no decoding or dot-segment removal are taken as they are; the
    /// others still go through the full normalization.
    @Test(arguments: [
        ("/a.txt", true, "/a.txt"), ("/", true, "/"), ("/d/", true, "/d/"), ("/a/b.c/d", true, "/a/b.c/d"),
        ("/.hidden", false, "/.hidden"), ("//a", false, "/a"), ("/a/./b", false, "/a/b"), ("/a/../b", false, "/b"),
        ("/a%41", false, "/aA"), ("/a/.", false, "/a/"),
    ])
    func normalPathsAreTakenAsTheyAre(path: String, isNormal: Bool, normalized: String) throws {
        #expect(URIPath.isNormal(Substring(path)) == isNormal)
        #expect(try URIPath.normalize(Substring(path)).get() == normalized)
    }

    /// The last component, found on the bytes: trailing slashes skipped, nil when nothing is left.
    @Test(arguments: [
        ("/a/b.txt", "b.txt"), ("b.txt", "b.txt"), ("/a/dir/", "dir"), ("/a/dir//", "dir"), ("/", nil), ("", nil),
        ("//", nil), ("/é/ü.txt", "ü.txt"), ("/x/😀.😀", "😀.😀"), ("/a/\u{301}b", "\u{301}b"),
    ] as [(String, String?)])
    func lastComponent(path: String, expected: String?) {
        #expect(URIPath.lastComponent(path).map(String.init) == expected)
    }

    /// The rewrite engine's own files are refused in any case of their names.
    @Test(arguments: [
        ("httpd.ini", true), ("HTTPD.INI", true), ("Httpd.Parse.Errors", true), ("x.isrwhlp", true), ("x.ISRWHLP", true),
        (".isrwhlp", true), ("httpd.ini2", false), ("isrwhlp", false), ("httpd.in", false), ("a.txt", false), ("", false),
    ])
    func protectedRewriteFiles(name: String, isProtected: Bool) {
        #expect(RewriteProtectedFiles.isProtected(Substring(name)) == isProtected)
    }
}
