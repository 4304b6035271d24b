import Testing
@testable import ServerConfig

/// mod_headers' `Header` and `RequestHeader`: the lines compiled, Apache's errors with
/// file and line, and parent-then-child merging across server, `<Directory>` and `.htaccess`.
@Suite struct HeadersDirectiveTests {
    @Test func linesAreCompiledIntoTheirTablesInOrder() throws {
        let tree = TemporaryTree()
        let config = try tree.load("""
            Header set Strict-Transport-Security "max-age=63072000"
            Header always set X-Frame-Options DENY
            Header onsuccess append Cache-Control no-store env=!dynamic
            Header edit* Set-Cookie: "^(.*)$" "$1; Secure"
            Header unset Server env=hide
            Header echo ^X-Trace
            RequestHeader set X-From-Proxy 1
            RequestHeader setifempty X-Request-Start %t
            """)
        let rules = try #require(config.mainHost.defaults.headers)
        #expect(rules.always.map(\.name) == ["X-Frame-Options"])
        #expect(rules.onSuccess.map(\.name) == ["Strict-Transport-Security", "Cache-Control", "Set-Cookie", "Server", "^X-Trace"])
        #expect(rules.request.map(\.name) == ["X-From-Proxy", "X-Request-Start"])
        #expect(rules.onSuccess[0].action == .set(HeaderValue(parts: [.literal("max-age=63072000")])))
        #expect(rules.onSuccess[1].condition == .environmentUnset("dynamic"))
        #expect(rules.onSuccess[3].condition == .environmentSet("hide"))
        guard case .edit(let edit) = rules.onSuccess[2].action else { Issue.record("not an edit"); return }
        #expect(edit.everyMatch)
        #expect(edit.regex.pattern.pattern == "^(.*)$")
        #expect(rules.request[1].action == .setIfEmpty(HeaderValue(parts: [.requestTime])))
        #expect(rules.request[1].location.line == 8)
    }

    @Test func valueFormatsAreParsedOnce() throws {
        #expect(try HeaderValue.parse("a %% b").get() == HeaderValue(parts: [.literal("a % b")]))
        #expect(try HeaderValue.parse("%D %t").get() == HeaderValue(parts: [.duration, .literal(" "), .requestTime]))
        #expect(try HeaderValue.parse("v=%{HOME}e;%{SSL_PROTOCOL}s").get()
                == HeaderValue(parts: [.literal("v="), .environment("HOME"), .literal(";"), .ssl("SSL_PROTOCOL")]))
        #expect(HeaderValue.parse("plain").map(\.literal) == .success("plain"))
        #expect(HeaderValue.parse("100%").map(\.literal) == .success("100%"))
        #expect(HeaderValue.parse(#"a\tb\\c\d"#).map(\.literal) == .success("a\tb\\c\\d"))
        #expect(try HeaderValue.parse("%e").get() == HeaderValue(parts: [.environment("")]))
    }

    @Test(arguments: [
        ("Header\n", "Header: takes [always|onsuccess] an action, a header, and a value, a replacement or a condition as the action needs"),
        ("Header set X\n", "Header: Header requires three arguments"),
        ("Header always add X\n", "Header: Header requires three arguments"),
        ("Header frob X y\n", "Header: first argument must be 'add', 'set', 'setifempty', 'append', 'merge', 'unset', 'echo', 'edit', or 'edit*'."),
        ("Header edit X ^a\n", "Header: Header edit requires a match and a substitution"),
        ("Header unset X y z\n", "Header: header unset takes two arguments"),
        ("Header set X y early\n", "Header: early is supported on RequestHeader only"),
        ("Header set X y expr=%{REQUEST_URI}\n", "Header: expr= is not supported"),
        ("Header set X expr=%{REQUEST_URI}\n", "Header: expr= is not supported"),
        ("Header set X y env=\n", "Header: error: missing environment variable name. envclause should be in the form env=envar "),
        ("Header set X y env=!\n", "Header: error: missing environment variable name. envclause should be in the form env=envar "),
        ("Header set X y when=now\n", "Header: Unknown parameter: when=now"),
        ("Header set X %z\n", "Header: Unrecognized header format %z"),
        ("Header set X %{HOME\n", "Header: Missing '}' on %{ tag"),
        ("Header set X a\\nb\n", "Header: a header value cannot hold a line break (\\n)"),
        ("Header set X a b c\n", "Header: Header has too many arguments"),
        ("RequestHeader always X y\n", "RequestHeader: first argument must be 'add', 'set', 'setifempty', 'append', 'merge', 'unset', 'echo', 'edit', or 'edit*'."),
        ("RequestHeader echo X\n", "RequestHeader: Header echo only valid on Header directives"),
    ])
    func badArguments(_ text: String, _ message: String) throws {
        let tree = TemporaryTree()
        let error = try #require(tree.error("ServerName example.test\n" + text))
        #expect(error.kind == .badArguments)
        #expect(error.line == 2)
        #expect(error.message == message)
        #expect(error.file.hasSuffix("conf/httpd.conf"))
    }

    @Test func aBadEditRegexNamesItsFileAndLine() throws {
        let tree = TemporaryTree()
        let error = try #require(tree.error("\n\nHeader edit X \"(a\" b\n"))
        #expect(error.kind == .badArguments)
        #expect(error.line == 3)
        #expect(error.message.hasPrefix("Header: Header edit regex could not be compiled:"), "\(error.message)")
    }

    @Test func directoryLinesRunAfterTheServersInOrder() throws {
        let tree = TemporaryTree()
        let config = try tree.load("""
            Header set X-Level server
            RequestHeader set X-In server
            <Directory "\(tree.root)/htdocs/app">
                Header always set X-App 1
                Header append X-Level app
            </Directory>
            <VirtualHost *:80>
                ServerName other.test
                Header append X-Level vhost
            </VirtualHost>
            """)
        let app = config.mainHost.directoryConfig(filePath: tree.root + "/htdocs/app/x", isDirectory: false, urlPath: "/app/x")
        let rules = try #require(app.headers)
        #expect(rules.onSuccess.map(\.action) == [.set(HeaderValue(parts: [.literal("server")])),
                                                   .append(HeaderValue(parts: [.literal("app")]))])
        #expect(rules.always.map(\.name) == ["X-App"])
        #expect(rules.request.map(\.name) == ["X-In"])
        let vhost = try #require(config.virtualHosts.first { $0.serverName == "other.test" })
        #expect(vhost.defaults.headers?.onSuccess.map(\.location.line) == [1, 9])
        #expect(config.mainHost.directoryConfig(filePath: tree.root + "/htdocs/x", isDirectory: false, urlPath: "/x")
            .headers?.always.isEmpty == true)
    }

    @Test func inHtaccessTheyNeedFileInfoAndComeLast() throws {
        let tree = TemporaryTree()
        tree.write("htdocs/app/.htaccess", "Header append X-Level htaccess\nRequestHeader unset Cookie\n")
        let allowed = try HtaccessSite(tree, "Header set X-Level server\n<Directory ROOT/htdocs>\nAllowOverride FileInfo\n</Directory>\n")
        let rules = try #require(try allowed.lookup("htdocs/app/x.html").headers)
        #expect(rules.onSuccess.map(\.location.line) == [1, 1])
        #expect(rules.onSuccess.last?.action == .append(HeaderValue(parts: [.literal("htaccess")])))
        #expect(rules.request.map(\.action) == [.unset])

        let refused = try HtaccessSite(tree, "<Directory ROOT/htdocs>\nAllowOverride AuthConfig\n</Directory>\n")
        let failure = try #require(refused.failure("htdocs/app/x.html"))
        #expect(failure.contains(".htaccess:1: Header not allowed here"), "\(failure)")
    }

    @Test func earlyRequestLinesAreForTheServerAndVirtualHostsOnly() throws {
        let tree = TemporaryTree()
        let config = try tree.load("RequestHeader unset Proxy early\nRequestHeader set X-A 1\n")
        let rules = try #require(config.mainHost.defaults.headers)
        #expect(rules.hasEarlyRequestLines)
        #expect(rules.request.map(\.condition) == [.early, .none])

        let error = try #require(tree.error("<Directory \"\(tree.root)/htdocs\">\nRequestHeader unset Proxy early\n</Directory>\n"))
        #expect(error.line == 2)
        #expect(error.message == "RequestHeader: early is only allowed in server config and <VirtualHost>")
    }

    @Test func noLineMeansNoRules() throws {
        let tree = TemporaryTree()
        let config = try tree.load("ServerName example.test\n")
        #expect(config.mainHost.defaults.headers == nil)
    }
}
