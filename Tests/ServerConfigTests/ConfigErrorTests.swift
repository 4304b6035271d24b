import Testing
@testable import ServerConfig

/// Golden error texts: every error names file and line and its kind.
@Suite struct ConfigErrorTests {
    @Test func unknownDirective() throws {
        let tree = TemporaryTree()
        let error = try #require(tree.error("Listen 8080\nFrobnicate on\n"))
        #expect(error.kind == .unknownDirective)
        #expect(error.description == "\(tree.root)/conf/httpd.conf:2: Invalid command 'Frobnicate', perhaps misspelled or defined by a module not included in the server configuration")
    }

    @Test func unknownSection() throws {
        let tree = TemporaryTree()
        let error = try #require(tree.error("<Frob x>\n</Frob>\n"))
        #expect(error.kind == .unknownDirective)
        #expect(error.message.hasPrefix("Invalid command '<Frob'"))
        #expect(error.line == 1)
    }

    @Test(arguments: [
        ("<Directory /x>\nListen 80\n</Directory>\n", 2, "Listen not allowed here (in <Directory> context)"),
        ("<Directory /x>\nDocumentRoot /tmp\n</Directory>\n", 2, "DocumentRoot not allowed here (in <Directory> context)"),
        ("Require all granted\n", 1, "Require not allowed here (in server config context)"),
        ("<VirtualHost *:80>\nListen 81\n</VirtualHost>\n", 2, "Listen not allowed here (in <VirtualHost> context)"),
        ("<VirtualHost *:80>\n<VirtualHost *:81>\n</VirtualHost>\n</VirtualHost>\n", 2, "<VirtualHost> not allowed here (cannot occur within <VirtualHost> section)"),
        ("<Directory /a>\n<Directory /b>\n</Directory>\n</Directory>\n", 2, "<Directory> not allowed here (cannot occur within <Directory> section)"),
        ("<Location /a>\n<Files x>\n</Files>\n</Location>\n", 2, "<Files> not allowed here (cannot occur within <Location> section)"),
    ])
    func notAllowedHere(_ text: String, _ line: Int, _ message: String) throws {
        let tree = TemporaryTree()
        let error = try #require(tree.error(text))
        #expect(error.kind == .notAllowedHere)
        #expect(error.line == line)
        #expect(error.message == message)
    }

    @Test(arguments: [
        ("Listen\n", "Listen: takes one or two arguments, [IP-address:]port [protocol]"),
        ("Listen abc\n", "Listen: Port must be specified (a number from 0 to 65535) in 'abc'"),
        ("Listen 8080\nListen 8080\n", "Listen: Cannot define multiple Listeners on the same IP:port"),
        ("KeepAlive maybe\n", "KeepAlive: must be On or Off"),
        ("Timeout -3\n", "Timeout: '-3' is not a number from 1 to 86400"),
        ("Options +Indexes FollowSymLinks\n", "Options: Either all Options must start with + or -, or no Option may."),
        ("Options Bogus\n", "Options: Illegal option Bogus"),
        ("LogLevel loud\n", "LogLevel: LogLevel keyword must be one of emerg/alert/crit/error/warn/notice/info/debug/trace1/.../trace8: loud"),
        ("ErrorDocument 200 /x\n", "ErrorDocument: Unsupported HTTP response code 200"),
        ("ServerTokens Everything\n", "ServerTokens: takes one of Prod, Major, Minor, Minimal, OS, Full"),
        ("CustomLog logs/a nosuchformat\n", "CustomLog: no LogFormat named 'nosuchformat' is defined before this line"),
        ("AliasMatch ^/(x /y\n", "AliasMatch: Regular expression could not be compiled: "),
        ("DocumentRoot /definitely/not/here\n", "DocumentRoot: DocumentRoot '/definitely/not/here' is not a directory, or is not readable"),
        ("Redirect 301 /old\n", "Redirect: URL to redirect to is missing"),
        ("LoadModule lua_module modules/mod_lua.so\n", "LoadModule: Cannot load modules/mod_lua.so: lua_module is not built into isapid"),
    ])
    func badArguments(_ text: String, _ messagePrefix: String) throws {
        let tree = TemporaryTree()
        let error = try #require(tree.error(text))
        #expect(error.kind == .badArguments)
        #expect(error.message.hasPrefix(messagePrefix), "\(error.message)")
    }

    @Test(arguments: [
        ("<Directory /x>\nOptions None\n", 1, "<Directory> was not closed (opened at line 1)"),
        ("</Directory>\n", 1, "</Directory> without matching <Directory> section"),
        ("<Directory /x>\n</Files>\n", 2, "Expected </Directory> but saw </Files>"),
        ("<Directory /x\n</Directory>\n", 1, "<Directory> directive missing closing '>'"),
        ("ServerName \"unterminated\n", 1, "ServerName: unterminated quoted string"),
    ])
    func syntax(_ text: String, _ line: Int, _ message: String) throws {
        let tree = TemporaryTree()
        let error = try #require(tree.error(text))
        #expect(error.kind == .syntax)
        #expect(error.line == line)
        #expect(error.message == message)
    }

    @Test func errorInIncludedFileNamesThatFile() throws {
        let tree = TemporaryTree()
        let included = tree.write("conf/extra/bad.conf", "ServerName ok\n\nNoSuchThing\n")
        let error = try #require(tree.error("Listen 80\nInclude conf/extra/bad.conf\n"))
        #expect(error.file == included)
        #expect(error.line == 3)
    }

    @Test func includeCycleIsAnError() throws {
        let tree = TemporaryTree()
        tree.write("conf/a.conf", "Include conf/b.conf\n")
        tree.write("conf/b.conf", "Include conf/a.conf\n")
        let error = try #require(tree.error("Include conf/a.conf\n"))
        #expect(error.message.hasPrefix("Include cycle:"))
    }

    @Test func includeWithoutMatchesAndOptional() throws {
        let tree = TemporaryTree()
        let error = try #require(tree.error("Include conf/none/*.conf\n"))
        #expect(error.message.contains("no matches for the wildcard"))
        #expect(tree.error("IncludeOptional conf/none/*.conf\nIncludeOptional conf/missing.conf\n") == nil)
    }

    /// The parser never crashes, whatever bytes it is given.
    @Test func arbitraryInputNeverCrashes() {
        let tree = TemporaryTree()
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("<>/\\\"' \t\n#${}:*?[]abcDEF0123456789-+=~!")
        for _ in 0..<300 {
            let length = Int.random(in: 0..<200, using: &generator)
            let text = String((0..<length).map { _ in alphabet.randomElement(using: &generator)! })
            _ = tree.error(text)
        }
    }
}
