import Foundation
import Testing
@testable import ServerConfig

/// `.htaccess` files: what AllowOverride lets them say, and how a broken one fails.
@Suite struct HtaccessTests {
    private static func site(_ tree: TemporaryTree, overrides: String, list: String? = nil) throws -> HtaccessSite {
        try HtaccessSite(tree, """
            <Directory ROOT/htdocs>
            AllowOverride \(overrides)
            \(list.map { "AllowOverrideList " + $0 } ?? "")
            </Directory>
            """)
    }

    @Test func allowedDirectivesApplyToTheSubtree() throws {
        let tree = TemporaryTree()
        tree.write("htdocs/.htaccess", "AddType text/x-thing .thing\nErrorDocument 404 /missing.html\nDirectoryIndex start.html\n")
        let site = try Self.site(tree, overrides: "FileInfo Indexes")
        let config = try site.lookup("htdocs/sub/a.thing")
        #expect(config.typesByExtension["thing"] == "text/x-thing")
        #expect(config.errorDocuments[404] == .localURL("/missing.html"))
        #expect(config.directoryIndex == ["start.html"])
        #expect(try site.lookup("other/a.thing").typesByExtension["thing"] == nil)
    }

    @Test(arguments: [
        ("FileInfo", "Options +ExecCGI", "Options"),
        ("FileInfo", "Require all denied", "Require"),
        ("AuthConfig", "AddType text/plain .x", "AddType"),
        ("Options", "DirectoryIndex a.html", "DirectoryIndex"),
        ("Indexes", "<Files a.txt>\nRequire all denied\n</Files>", "Require"),
    ])
    func directivesOutsideTheOverrideClassesAreNotAllowed(_ overrides: String, _ directive: String, _ name: String) throws {
        let tree = TemporaryTree()
        let path = tree.write("htdocs/.htaccess", "# first line\n" + directive + "\n")
        let site = try Self.site(tree, overrides: overrides)
        let line = name == "Require" && directive.hasPrefix("<Files") ? 3 : 2
        #expect(site.failure("htdocs/a.txt") == "\(path):\(line): \(name) not allowed here")
    }

    @Test func allowOverrideAllAllowsEveryClass() throws {
        let tree = TemporaryTree()
        tree.write("htdocs/.htaccess", "Options +ExecCGI\nRequire all denied\nAddType a/b .ab\nDirectoryIndex x.html\n")
        let config = try Self.site(tree, overrides: "All").lookup("htdocs/a.txt")
        #expect(config.effectiveOptions.contains(.execCGI))
        #expect(config.access != nil)
        #expect(config.directoryIndex == ["x.html"])
    }

    @Test func allowOverrideNoneReadsNothing() throws {
        let tree = TemporaryTree()
        tree.write("htdocs/.htaccess", "This is not a directive\n")
        let site = try Self.site(tree, overrides: "None")
        #expect(site.failure("htdocs/a.txt") == nil)
        #expect(site.cache.compileCount == 0)
    }

    @Test func allowOverrideListEnablesNamedDirectives() throws {
        let tree = TemporaryTree()
        let path = tree.write("htdocs/.htaccess", "Redirect /old /new\nredirectmatch ^/x /y\n")
        let site = try Self.site(tree, overrides: "None", list: "Redirect RedirectMatch")
        #expect(try site.lookup("htdocs/a.txt").redirects?.count == 2)

        tree.rewrite("htdocs/.htaccess", "Redirect /old /new\nAddType a/b .ab\n")
        #expect(site.failure("htdocs/a.txt") == "\(path):2: AddType not allowed here")
    }

    @Test(arguments: [
        ("Foo bar", 1, "Invalid command 'Foo', perhaps misspelled or defined by a module not included in the server configuration"),
        ("Listen 80", 1, "Listen not allowed here"),
        ("<Directory /x>\n</Directory>", 1, "<Directory> not allowed here (cannot occur within .htaccess section)"),
        ("<Location /x>\n</Location>", 1, "<Location> not allowed here (cannot occur within .htaccess section)"),
        ("<VirtualHost *:80>\n</VirtualHost>", 1, "<VirtualHost> not allowed here (cannot occur within .htaccess section)"),
        ("Include other.conf", 1, "Include not allowed here (in .htaccess context)"),
        ("Define X", 1, "Define not allowed here (in .htaccess context)"),
        ("AddType", 1, "AddType: takes a media type followed by one or more file extensions"),
        ("<Files a>\nAddType a/b .c", 1, "<Files> was not closed (opened at line 1)"),
        ("AddType a/b .c\nErrorDocument 999 x", 2, "ErrorDocument: Unsupported HTTP response code 999"),
    ])
    func brokenFilesFailWithFileAndLine(_ text: String, _ line: Int, _ message: String) throws {
        let tree = TemporaryTree()
        let path = tree.write("htdocs/.htaccess", text + "\n")
        let site = try Self.site(tree, overrides: "All")
        let failure = try #require(site.failure("htdocs/sub/a.txt"))
        #expect(failure.hasPrefix("\(path):\(line): \(message)"), "\(failure)")
    }

    @Test func aDisallowedDirectiveBeforeABadOneIsWhatIsReported() throws {
        let tree = TemporaryTree()
        let path = tree.write("htdocs/.htaccess", "Options +ExecCGI\nErrorDocument 999 x\n")
        #expect(try Self.site(tree, overrides: "FileInfo").failure("htdocs/a.txt") == "\(path):1: Options not allowed here")
        #expect(try Self.site(tree, overrides: "All").failure("htdocs/a.txt")?.hasPrefix("\(path):2: ErrorDocument") == true)
    }

    @Test func conditionalSectionsWork() throws {
        let tree = TemporaryTree()
        tree.write("htdocs/.htaccess", """
            <IfModule mod_mime.c>
            AddType a/b .ab
            </IfModule>
            <IfModule mod_nothing.c>
            Nonsense here
            </IfModule>
            <IfDefine SPECIAL>
            DirectoryIndex special.html
            </IfDefine>
            <IfDefine !SPECIAL>
            DirectoryIndex plain.html
            </IfDefine>
            """)
        tree.write("conf/httpd.conf", "<Directory \(tree.root)/htdocs>\nAllowOverride All\n</Directory>\n")
        let special = try ConfigLoader.load(ConfigLoadOptions(configFile: "conf/httpd.conf", serverRoot: tree.root, defines: ["SPECIAL"]))
        let config = try special.mainHost.directoryConfig(
            filePath: tree.root + "/htdocs/a.ab", isDirectory: false, urlPath: "/a.ab", accessFiles: HtaccessCache(configuration: special))
        #expect(config.typesByExtension["ab"] == "a/b")
        #expect(config.directoryIndex == ["special.html"])
        #expect(try Self.site(tree, overrides: "All").lookup("htdocs/a.ab").directoryIndex == ["plain.html"])
    }

    @Test func directivesSeeTheDirectoryAsSectionPath() throws {
        let probe = DirectiveSpec("ProbeSectionPath", module: "mod_probe.c", contexts: .anywhere.union(.htaccess),
                                  override: .fileInfo, arity: 0...0, syntax: "takes no arguments") { d, t in
            t.directory.forceType = "\(t.context == .htaccess ? "htaccess" : "other") \(t.sectionPath ?? "-")"
        }
        let tree = TemporaryTree()
        tree.write("htdocs/sub/.htaccess", "ProbeSectionPath\n")
        let site = try HtaccessSite(tree, "<Directory ROOT/htdocs>\nAllowOverride FileInfo\n</Directory>\n",
                                    table: DirectiveTable([[probe], coreDirectives]))
        #expect(try site.lookup("htdocs/sub/a.txt").forceType == "htaccess \(tree.root)/htdocs/sub/")
    }

    @Test func aDirectoryNamedLikeTheFileCannotBeRead() throws {
        let tree = TemporaryTree()
        tree.mkdir("htdocs/.htaccess")
        let site = try Self.site(tree, overrides: "All")
        #expect(site.failure("htdocs/a.txt") == "unreadable \(tree.root)/htdocs/.htaccess: not a regular file")
    }
}
