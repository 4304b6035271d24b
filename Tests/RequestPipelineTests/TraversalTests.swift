import Foundation
import Testing
@testable import RequestPipeline

/// No spelling of `..` reaches a file outside the document root.
@Suite("Traversal")
struct TraversalTests {
    static func makeTree() -> PipelineTree {
        let tree = PipelineTree()
        tree.write("htdocs/index.html", "<p>index</p>")
        tree.write("htdocs/sub/a.txt", "a")
        tree.write("secret.txt", "SECRET")
        tree.write("other/b.txt", "b")
        return tree
    }

    /// The target and the status it gets (the invariant is checked for every row as well).
    static let cases: [(String, Int)] = [
        ("/../secret.txt", 400),
        ("/../../secret.txt", 400),
        ("/../../../../../../../../etc/passwd", 400),
        ("/%2e%2e/secret.txt", 400),
        ("/%2E%2E/secret.txt", 400),
        ("/%2e%2E/secret.txt", 400),
        ("/.%2e/secret.txt", 400),
        ("/%2e./secret.txt", 400),
        ("/.%2E/.%2E/secret.txt", 400),
        ("/..%2fsecret.txt", 404),
        ("/..%2Fsecret.txt", 404),
        ("/%2e%2e%2fsecret.txt", 404),
        ("/sub/..%2f..%2fsecret.txt", 404),
        // A backslash is an ordinary byte on this platform: a name that does not exist.
        ("/..%5csecret.txt", 404),
        ("/..%5Csecret.txt", 404),
        ("/..\\secret.txt", 404),
        ("/sub\\..\\..\\secret.txt", 404),
        // Decoded once: `%252e` is the three characters `%2e`, a name that does not exist.
        ("/%252e%252e/secret.txt", 404),
        ("/%252e%252e%252fsecret.txt", 404),
        ("/..%252fsecret.txt", 404),
        ("/..%255csecret.txt", 404),
        // Overlong UTF-8 for `.` and `/` is not `.` or `/`.
        ("/%c0%ae%c0%ae/secret.txt", 404),
        ("/..%c0%afsecret.txt", 404),
        ("/%e0%80%ae%e0%80%ae/secret.txt", 404),
        // IIS's %u encoding is not percent-encoding.
        ("/%u002e%u002e/secret.txt", 400),
        // NUL, encoded or raw.
        ("/%00../secret.txt", 404),
        ("/../secret.txt%00.html", 404),
        ("/sub/..%00/secret.txt", 404),
        ("/..\u{0}/secret.txt", 400),
        // Dot-segments around the climb.
        ("/./../secret.txt", 400),
        ("//..//secret.txt", 400),
        ("/sub/../../secret.txt", 400),
        ("/sub/./../.././secret.txt", 400),
        ("/sub/%2e%2e/%2e%2e/secret.txt", 400),
        ("/index.html/../../secret.txt", 400),
        ("/sub/a.txt/../../../secret.txt", 400),
        // With queries.
        ("/../secret.txt?x=1", 400),
        ("/%2e%2e/secret.txt?q=../../", 400),
        ("/index.html?../../secret.txt", 200),
        ("/sub/a.txt?/../../secret.txt", 200),
        // Trailing dots and spaces.
        ("/../secret.txt.", 400),
        ("/../secret.txt%20", 400),
        ("/.. /secret.txt", 404),
        ("/... /secret.txt", 404),
        ("/.../secret.txt", 404),
        ("/..;/secret.txt", 404),
        ("/sub/..%20/secret.txt", 404),
        // Absolute-form.
        ("http://x/../secret.txt", 400),
        ("http://x/%2e%2e/secret.txt", 400),
        ("http://x/sub/../../secret.txt", 400),
        ("http://x/..%2f..%2fsecret.txt", 404),
        ("http://x?/../secret.txt", 200),
        ("http://x#/../secret.txt", 200),
        // Not origin-form at all.
        ("../secret.txt", 400),
        ("secret.txt", 400),
        ("*", 400),
    ]

    @Test("no spelling of .. escapes the document root", arguments: cases)
    func traversal(target: String, status: Int) throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let pipeline = try tree.pipeline("DocumentRoot \(tree.root)/htdocs\nAlias /files/ \(tree.root)/other/\n")
        let (context, response) = pipeline.run(target)
        #expect([400, 403, 404].contains(response.status)
                || (response.filePath?.hasPrefix(tree.htdocs + "/") ?? false),
                "\(target) -> \(response.status) \(response.filePath ?? "")")
        #expect(!(response.bodyText ?? "").contains("SECRET"))
        #expect(response.status == status, "\(target)")
        #expect(context.filePath.map { !$0.hasSuffix("/secret.txt") || $0.hasPrefix(tree.htdocs + "/") } ?? true)
    }

    /// The shared corpus of tricks (`Tests/Paths/traversal.txt`, also sent over sockets by
    /// the end-to-end TraversalTests): whatever each gets, nothing outside the document
    /// root is served, and MAP_URL_TO_PATH's mapping of it stays inside the root too.
    static let corpus: [String] = {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Paths/traversal.txt")
        let text = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map(String.init).filter { !$0.isEmpty && !$0.hasPrefix("#") }
    }()

    @Test("the path corpus: nothing outside the root is served or mapped")
    func corpus() throws {
        #expect(Self.corpus.count >= 80)
        let tree = Self.makeTree()
        defer { tree.remove() }
        let pipeline = try tree.pipeline("DocumentRoot \(tree.root)/htdocs\nAlias /alias \(tree.root)/htdocs/sub\n")
        let (context, _) = pipeline.run("/index.html")
        let inside = { (path: String) in
            path.hasPrefix(tree.htdocs + "/") && !path.split(separator: "/").contains("..")
        }
        for target in Self.corpus {
            let (_, response) = pipeline.run(target)
            #expect([400, 403, 404].contains(response.status) || response.filePath.map(inside) == true,
                    "\(target) -> \(response.status) \(response.filePath ?? "")")
            #expect(!(response.bodyText ?? "").contains("SECRET"), "\(target)")
            if let mapped = pipeline.mapURLToPath(target, in: context) {
                #expect(inside(mapped.path), "\(target) mapped to \(mapped.path)")
            }
        }
    }

    /// The same climbs below an Alias: nothing outside the alias target or the document root.
    @Test("no spelling of .. escapes an Alias",
          arguments: ["/files/../secret.txt", "/files/%2e%2e/secret.txt", "/files/..%2fsecret.txt",
                      "/files/../../secret.txt", "/files/.%2e/.%2e/secret.txt", "/files%2f..%2fsecret.txt",
                      "/files/b.txt/../../secret.txt", "/files/%252e%252e/secret.txt"])
    func aliasTraversal(target: String) throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let pipeline = try tree.pipeline("DocumentRoot \(tree.root)/htdocs\nAlias /files/ \(tree.root)/other/\n")
        let (_, response) = pipeline.run(target)
        #expect([400, 403, 404].contains(response.status), "\(target) -> \(response.status)")
        #expect(response.filePath == nil)
    }

    @Test("the alias and the root still serve their own files")
    func legitimateFiles() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let pipeline = try tree.pipeline("DocumentRoot \(tree.root)/htdocs\nAlias /files/ \(tree.root)/other/\n")
        #expect(pipeline.run("/files/b.txt").1.filePath == tree.root + "/other/b.txt")
        #expect(pipeline.run("/sub/a.txt").1.filePath == tree.htdocs + "/sub/a.txt")
        #expect(pipeline.run("/sub/../files/b.txt").1.filePath == tree.root + "/other/b.txt")
        #expect(pipeline.run("/files/../sub/a.txt").1.filePath == tree.htdocs + "/sub/a.txt")
    }

    // MARK: Symbolic links

    static func linkTree() -> PipelineTree {
        let tree = makeTree()
        tree.symlink("htdocs/link.txt", to: tree.root + "/secret.txt")
        tree.symlink("htdocs/linkdir", to: tree.root + "/other")
        return tree
    }

    @Test("a link out of htdocs without FollowSymLinks: 403",
          arguments: ["Options -FollowSymLinks", "Options None", "Options Indexes"],
          ["/link.txt", "/linkdir/b.txt", "/sub/../link.txt", "/link.txt/extra"])
    func symlinkForbidden(options: String, target: String) throws {
        let tree = Self.linkTree()
        defer { tree.remove() }
        let pipeline = try tree.pipeline("""
            DocumentRoot \(tree.root)/htdocs
            <Directory "\(tree.root)/htdocs">
                \(options)
            </Directory>
            """)
        let (_, response) = pipeline.run(target)
        #expect(response.status == 403, "\(target) -> \(response.status)")
        #expect(response.filePath == nil)
        // Real files in the same directory are still served.
        #expect(pipeline.run("/sub/a.txt").1.status == 200)
        #expect(pipeline.run("/index.html").1.status == 200)
    }

    @Test("a link out of htdocs with FollowSymLinks (the default): 200")
    func symlinkFollowed() throws {
        let tree = Self.linkTree()
        defer { tree.remove() }
        for config in ["", "<Directory \"\(tree.root)/htdocs\">\nOptions FollowSymLinks\n</Directory>\n"] {
            let pipeline = try tree.pipeline("DocumentRoot \(tree.root)/htdocs\n" + config)
            let (_, file) = pipeline.run("/link.txt")
            #expect(file.status == 200)
            #expect(file.filePath == tree.htdocs + "/link.txt")
            #expect(file.fileSegments == [.slice(offset: 0, length: 6)])
            let (_, inDirectory) = pipeline.run("/linkdir/b.txt")
            #expect(inDirectory.status == 200)
            #expect(inDirectory.filePath == tree.htdocs + "/linkdir/b.txt")
        }
    }

    @Test("SymLinksIfOwnerMatch follows a link owned by its target's owner")
    func symlinkOwnerMatch() throws {
        let tree = Self.linkTree()
        defer { tree.remove() }
        let pipeline = try tree.pipeline("""
            DocumentRoot \(tree.root)/htdocs
            <Directory "\(tree.root)/htdocs">
                Options -FollowSymLinks +SymLinksIfOwnerMatch
            </Directory>
            """)
        #expect(pipeline.run("/link.txt").1.status == 200)
    }

    @Test("a link in an Alias target without FollowSymLinks: 403")
    func symlinkUnderAlias() throws {
        let tree = Self.linkTree()
        defer { tree.remove() }
        tree.symlink("other/link.txt", to: tree.root + "/secret.txt")
        tree.write("images/logo.png", "PNG")
        tree.symlink("images/link.png", to: tree.root + "/secret.txt")
        let pipeline = try tree.pipeline("""
            DocumentRoot \(tree.root)/htdocs
            Alias /files/ \(tree.root)/other/
            AliasMatch ^/img/(.*)$ \(tree.root)/images/$1
            <Directory "\(tree.root)/other">
                Options -FollowSymLinks
            </Directory>
            <Directory "\(tree.root)/images">
                Options -FollowSymLinks
            </Directory>
            """)
        #expect(pipeline.run("/files/link.txt").1.status == 403)
        #expect(pipeline.run("/files/b.txt").1.status == 200)
        #expect(pipeline.run("/img/link.png").1.status == 403)
        #expect(pipeline.run("/img/logo.png").1.status == 200)
        // htdocs keeps FollowSymLinks.
        #expect(pipeline.run("/link.txt").1.status == 200)
    }

    @Test("-FollowSymLinks in another directory leaves htdocs alone")
    func symlinkOtherDirectory() throws {
        let tree = Self.linkTree()
        defer { tree.remove() }
        let pipeline = try tree.pipeline("""
            DocumentRoot \(tree.root)/htdocs
            <Directory "\(tree.root)/htdocs/sub">
                Options -FollowSymLinks
            </Directory>
            """)
        #expect(pipeline.run("/link.txt").1.status == 200)
    }
}
