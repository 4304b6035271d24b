import Testing
@testable import ServerConfig

/// `ISAPIScriptMap` (IIS's script maps) and mod_actions' `Action`: arguments, errors with
/// file and line, and child-over-parent merging.
@Suite struct ScriptMapDirectiveTests {
    @Test func scriptMapIsKeptByExtensionWithTheEngineResolvedAgainstServerRoot() throws {
        let tree = TemporaryTree()
        tree.write("engines/php.dll", "MZ")
        let config = try tree.load("""
            ISAPIScriptMap .PHP engines/php.dll verify
            ISAPIScriptMap tpl /opt/engines/template.dll
            """)
        let maps = config.mainHost.defaults.scriptMaps
        #expect(maps["php"] == ScriptMap(engine: tree.root + "/engines/php.dll", fileCheck: .verifyExists))
        #expect(maps["tpl"] == ScriptMap(engine: "/opt/engines/template.dll", fileCheck: .none))
        // A missing engine is only a warning, as for ISAPICacheFile.
        #expect(config.warnings.contains {
            $0.line == 2 && $0.message == "ISAPIScriptMap: the engine /opt/engines/template.dll is not a regular file"
        })
        #expect(!config.warnings.contains { $0.line == 1 })
    }

    @Test(arguments: [
        ("ISAPIScriptMap .php\n", "ISAPIScriptMap: takes a file extension, the engine's path (relative to ServerRoot) and optionally 'verify'"),
        ("ISAPIScriptMap .php x.dll check\n", "ISAPIScriptMap: the third argument must be 'verify', not 'check'"),
        ("ISAPIScriptMap . x.dll\n", "ISAPIScriptMap: '.' is not a file extension (such as .php)"),
        ("ISAPIScriptMap .tar.gz x.dll\n", "ISAPIScriptMap: '.tar.gz' is not a file extension (such as .php)"),
        ("Action x-page\n", "Action: takes a handler name or media type, a URL path of the script, and optionally 'virtual'"),
        ("Action x-page engines/x.dll\n", "Action: 'engines/x.dll' is not a local URL path (it must start with /)"),
        ("Action x-page /x.dll real\n", "Action: the third argument must be 'virtual', not 'real'"),
    ])
    func badArguments(_ text: String, _ message: String) throws {
        let tree = TemporaryTree()
        let error = try #require(tree.error(text))
        #expect(error.kind == .badArguments)
        #expect(error.line == 1)
        #expect(error.message == message)
    }

    @Test func actionIsKeptByLowerCasedHandlerOrType() throws {
        let tree = TemporaryTree()
        let config = try tree.load("""
            Action PHP-Script /engines/php.dll
            Action text/x-template /engines/template.dll virtual
            """)
        let actions = config.mainHost.defaults.actions
        #expect(actions["php-script"] == ActionTarget(url: "/engines/php.dll", fileCheck: .verifyExists))
        #expect(actions["text/x-template"] == ActionTarget(url: "/engines/template.dll", fileCheck: .none))
    }

    @Test func aDirectoryOverridesTheServersScriptMapAndAction() throws {
        let tree = TemporaryTree()
        let config = try tree.load("""
            ISAPIScriptMap .php /e/server.dll
            Action page /e/server.dll
            <Directory "\(tree.root)/htdocs/app">
                ISAPIScriptMap .php /e/app.dll verify
                Action page /e/app.dll
            </Directory>
            """)
        let app = config.mainHost.directoryConfig(filePath: tree.root + "/htdocs/app/x.php", isDirectory: false, urlPath: "/app/x.php")
        #expect(app.scriptMaps["php"]?.engine == "/e/app.dll")
        #expect(app.actions["page"]?.url == "/e/app.dll")
        let other = config.mainHost.directoryConfig(filePath: tree.root + "/htdocs/x.php", isDirectory: false, urlPath: "/x.php")
        #expect(other.scriptMaps["php"]?.engine == "/e/server.dll")
        #expect(other.actions["page"]?.url == "/e/server.dll")
    }

    @Test func inHtaccessBothNeedFileInfo() throws {
        let tree = TemporaryTree()
        tree.write("htdocs/app/.htaccess", "ISAPIScriptMap .php /e/php.dll verify\nAction page /e/page.dll\n")
        let allowed = try HtaccessSite(tree, "<Directory ROOT/htdocs>\nAllowOverride FileInfo\n</Directory>\n")
        let config = try allowed.lookup("htdocs/app/x.php")
        #expect(config.scriptMaps["php"] == ScriptMap(engine: "/e/php.dll", fileCheck: .verifyExists))
        #expect(config.actions["page"]?.url == "/e/page.dll")

        let refused = try HtaccessSite(tree, "<Directory ROOT/htdocs>\nAllowOverride AuthConfig\n</Directory>\n")
        let failure = try #require(refused.failure("htdocs/app/x.php"))
        #expect(failure.contains(".htaccess:1: ISAPIScriptMap not allowed here"), "\(failure)")
    }
}
