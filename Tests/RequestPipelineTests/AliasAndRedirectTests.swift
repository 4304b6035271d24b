import Testing
@testable import RequestPipeline

/// mod_alias: Alias, AliasMatch, Redirect, RedirectMatch.
@Suite("AliasAndRedirect")
struct AliasAndRedirectTests {
    static func makeTree() -> PipelineTree {
        let tree = PipelineTree()
        tree.write("htdocs/index.html", "index")
        tree.write("htdocs/apple", "apple")
        tree.write("htdocs/files/b.txt", "in htdocs")
        tree.write("other/b.txt", "in other")
        tree.write("other/deep/c.txt", "c")
        tree.write("images/logo.png", "PNG")
        tree.write("secret.txt", "SECRET")
        return tree
    }

    static func pipeline(_ tree: PipelineTree, _ extra: String) throws -> Pipeline {
        try tree.pipeline("DocumentRoot \(tree.root)/htdocs\n" + extra)
    }

    // MARK: Alias

    @Test("Alias /files/ serves from its target, not from htdocs")
    func alias() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let pipeline = try Self.pipeline(tree, "Alias /files/ \(tree.root)/other/\n")
        let (context, response) = pipeline.run("/files/b.txt")
        #expect(response.status == 200)
        #expect(response.filePath == tree.root + "/other/b.txt")
        #expect(context.filePath == tree.root + "/other/b.txt")
        #expect(pipeline.run("/files/deep/c.txt").1.filePath == tree.root + "/other/deep/c.txt")
        #expect(pipeline.run("/files/missing.txt").1.status == 404)
        #expect(pipeline.run("/files/b.txt/extra").1.status == 404)
        // The alias covers `/files/...` only: `/files` itself is a URL in htdocs.
        let (_, bare) = pipeline.run("/files")
        #expect(bare.status == 301)
        #expect(bare.headers["Location"] == "http://www.example.test/files/")
    }

    @Test("Alias without trailing slashes covers the path and what is below it, on a segment boundary")
    func aliasNoSlash() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        tree.write("other/index.html", "other index")
        tree.write("htdocs/filesystem.txt", "not aliased")
        let pipeline = try Self.pipeline(tree, "Alias /files \(tree.root)/other\n")
        #expect(pipeline.run("/files/b.txt").1.filePath == tree.root + "/other/b.txt")
        #expect(pipeline.run("/filesystem.txt").1.filePath == tree.htdocs + "/filesystem.txt")
        let (_, directory) = pipeline.run("/files")
        #expect(directory.status == 301)
        #expect(directory.headers["Location"] == "http://www.example.test/files/")
        #expect(pipeline.run("/files/").1.filePath == tree.root + "/other/index.html")
    }

    @Test("Alias to a single file")
    func aliasFile() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let pipeline = try Self.pipeline(tree, "Alias /robots.txt \(tree.root)/other/b.txt\n")
        #expect(pipeline.run("/robots.txt").1.filePath == tree.root + "/other/b.txt")
    }

    @Test("the first matching Alias wins")
    func aliasOrder() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let pipeline = try Self.pipeline(tree, """
            Alias /files/deep/ \(tree.root)/images/
            Alias /files/ \(tree.root)/other/
            """)
        #expect(pipeline.run("/files/deep/logo.png").1.filePath == tree.root + "/images/logo.png")
        #expect(pipeline.run("/files/b.txt").1.filePath == tree.root + "/other/b.txt")
    }

    @Test("<Directory> sections of the alias target apply")
    func aliasDirectoryConfig() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let pipeline = try Self.pipeline(tree, """
            Alias /files/ \(tree.root)/other/
            <Directory "\(tree.root)/other/deep">
                Require all denied
            </Directory>
            """)
        #expect(pipeline.run("/files/b.txt").1.status == 200)
        #expect(pipeline.run("/files/deep/c.txt").1.status == 403)
    }

    @Test("AliasMatch with $1")
    func aliasMatch() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let pipeline = try Self.pipeline(tree, #"AliasMatch ^/img/(.*)\.png$ \#(tree.root)/images/$1.png"# + "\n")
        let (_, response) = pipeline.run("/img/logo.png")
        #expect(response.status == 200)
        #expect(response.filePath == tree.root + "/images/logo.png")
        #expect(pipeline.run("/img/missing.png").1.status == 404)
        // Not matched: served from htdocs (and missing there).
        let (context, other) = pipeline.run("/img/logo.gif")
        #expect(other.status == 404)
        #expect(context.filePath == tree.htdocs + "/img/logo.gif")
    }

    /// A capture that spans a `..` the pattern did not mean to allow: the file path is
    /// cleaned before `<Directory>` matching, as Apache's directory walk does, so the
    /// sections of the directory the file really is in apply.
    @Test("AliasMatch whose result climbs out of its directory gets that directory's access rules")
    func aliasMatchClimb() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let pipeline = try Self.pipeline(tree, """
            AliasMatch ^/img-(.*)$ \(tree.root)/images/$1
            <Directory />
                Require all denied
            </Directory>
            <Directory "\(tree.root)/images">
                Require all granted
            </Directory>
            """)
        #expect(pipeline.run("/img-logo.png").1.status == 200)
        let (context, response) = pipeline.run("/img-../secret.txt")
        #expect(response.status == 403)
        #expect(context.filePath == tree.root + "/secret.txt")
    }

    // MARK: Redirect

    @Test("Redirect /old URL: 302 to the URL plus the rest of the path and the query")
    func redirect() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let pipeline = try Self.pipeline(tree, "Redirect /old http://example.com/new\n")
        let (_, response) = pipeline.run("/old/x?q=1")
        #expect(response.status == 302)
        #expect(response.headers["Location"] == "http://example.com/new/x?q=1")
        #expect(response.bodyText?.contains("The document has moved <a href=\"http://example.com/new/x?q=1\">here</a>.") == true)
        #expect(pipeline.run("/old").1.headers["Location"] == "http://example.com/new")
        #expect(pipeline.run("/old/").1.headers["Location"] == "http://example.com/new/")
        #expect(pipeline.run("/old/a%20b").1.headers["Location"] == "http://example.com/new/a%20b")
        #expect(pipeline.run("/old/x%0d%0aSet-Cookie:%20a=b").1.headers["Location"]
                == "http://example.com/new/x%0D%0ASet-Cookie:%20a=b")
        // Redirects are matched on the normalized path.
        #expect(pipeline.run("/x/../old/y").1.headers["Location"] == "http://example.com/new/y")
        #expect(pipeline.run("/%6fld/y").1.headers["Location"] == "http://example.com/new/y")
    }

    @Test("Redirect permanent, temp, seeother, a number, RedirectPermanent")
    func redirectStatuses() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let pipeline = try Self.pipeline(tree, """
            Redirect permanent /perm http://example.com/p
            Redirect temp /temp http://example.com/t
            Redirect seeother /see http://example.com/s
            Redirect 307 /307 http://example.com/307
            RedirectPermanent /rp http://example.com/rp
            """)
        for (target, status, location) in [("/perm/a", 301, "http://example.com/p/a"), ("/temp", 302, "http://example.com/t"),
                                           ("/see", 303, "http://example.com/s"), ("/307", 307, "http://example.com/307"),
                                           ("/rp/z", 301, "http://example.com/rp/z")] {
            let (_, response) = pipeline.run(target)
            #expect(response.status == status, "\(target)")
            #expect(response.headers["Location"] == location, "\(target)")
        }
    }

    @Test("Redirect gone /g: 410 without Location")
    func redirectGone() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let pipeline = try Self.pipeline(tree, "Redirect gone /g\n")
        for target in ["/g", "/g/x", "/g?q"] {
            let (_, response) = pipeline.run(target)
            #expect(response.status == 410, "\(target)")
            #expect(response.headers["Location"] == nil)
            #expect(response.bodyText?.contains("<title>410 Gone</title>") == true)
        }
        #expect(pipeline.run("/gx").1.status == 404)
    }

    @Test("RedirectMatch 301 to a local path: an absolute URL on the Host the client used")
    func redirectMatch() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let pipeline = try Self.pipeline(tree, "RedirectMatch 301 ^/r/(.*)$ /s/$1\n")
        let (_, response) = pipeline.run("/r/abc")
        #expect(response.status == 301)
        #expect(response.headers["Location"] == "http://www.example.test/s/abc")
        #expect(pipeline.run("/r/abc?x=1").1.headers["Location"] == "http://www.example.test/s/abc?x=1")
        #expect(pipeline.run("/r/").1.headers["Location"] == "http://www.example.test/s/")
        #expect(pipeline.run("/rx").1.status == 404)
        // The Host the client sent, port and all.
        let (_, withPort) = pipeline.process(IncomingRequest(method: "GET", target: "/r/p", headers: ["Host": "h.example:8080"]))
        #expect(withPort.headers["Location"] == "http://h.example:8080/s/p")
    }

    /// mod_alias escapes the path of a RedirectMatch result (the captures come from the
    /// decoded URL path), keeping the target's own query.
    @Test("RedirectMatch escapes what it substitutes")
    func redirectMatchEscapes() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let pipeline = try Self.pipeline(tree, """
            RedirectMatch 301 ^/r/(.*)$ /s/$1
            RedirectMatch ^/q/(.*)$ http://example.com/q?name=$1
            """)
        #expect(pipeline.run("/r/a%20b").1.headers["Location"] == "http://www.example.test/s/a%20b")
        #expect(pipeline.run("/r/100%25").1.headers["Location"] == "http://www.example.test/s/100%25")
        #expect(pipeline.run("/r/x%0d%0aSet-Cookie:%20a=b").1.headers["Location"]
                == "http://www.example.test/s/x%0D%0ASet-Cookie:%20a=b")
        // As in Apache, a `?` the substitution brings in starts the target's query.
        #expect(pipeline.run("/r/a%3Fb").1.headers["Location"] == "http://www.example.test/s/a?b")
        let (_, query) = pipeline.run("/q/v?ignored=1")
        #expect(query.status == 302)
        #expect(query.headers["Location"] == "http://example.com/q?name=v")
    }

    @Test("Redirect /app does not match /apple")
    func redirectSegmentBoundary() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let pipeline = try Self.pipeline(tree, "Redirect /app http://example.com/x\n")
        let (_, apple) = pipeline.run("/apple")
        #expect(apple.status == 200)
        #expect(apple.filePath == tree.htdocs + "/apple")
        #expect(pipeline.run("/app").1.headers["Location"] == "http://example.com/x")
        #expect(pipeline.run("/app/y").1.headers["Location"] == "http://example.com/x/y")
    }

    @Test("Redirect wins over Alias; the first matching Redirect wins")
    func redirectOrder() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let pipeline = try Self.pipeline(tree, """
            Alias /files/ \(tree.root)/other/
            Redirect /files/moved http://example.com/moved
            Redirect /a/b http://example.com/first
            Redirect /a http://example.com/second
            """)
        #expect(pipeline.run("/files/moved/x").1.headers["Location"] == "http://example.com/moved/x")
        #expect(pipeline.run("/files/b.txt").1.status == 200)
        #expect(pipeline.run("/a/b/c").1.headers["Location"] == "http://example.com/first/c")
        #expect(pipeline.run("/a/c").1.headers["Location"] == "http://example.com/second/c")
    }

    @Test("Redirect inside <Directory> applies to files there")
    func redirectInDirectory() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        tree.write("htdocs/sub/x.txt", "x")
        let pipeline = try Self.pipeline(tree, """
            <Directory "\(tree.root)/htdocs/sub">
                Redirect /sub/x.txt http://example.com/x
            </Directory>
            """)
        let (_, response) = pipeline.run("/sub/x.txt")
        #expect(response.status == 302)
        #expect(response.headers["Location"] == "http://example.com/x")
        #expect(pipeline.run("/index.html").1.status == 200)
    }
}
