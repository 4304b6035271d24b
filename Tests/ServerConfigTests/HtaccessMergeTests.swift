import Foundation
import Testing
@testable import ServerConfig

/// Where `.htaccess` files fall in Apache's merge order, AccessFileName, and the cache.
@Suite struct HtaccessMergeTests {
    @Test func eachLevelTakesItsSectionsThenItsFile() throws {
        let tree = TemporaryTree()
        tree.write("htdocs/.htaccess", "DirectoryIndex parent.html\nErrorDocument 404 /parent-404.html\nAddType a/parent .p\n")
        tree.write("htdocs/sub/.htaccess", "AddType a/child .p\n")
        let site = try HtaccessSite(tree, """
            <Directory ROOT/htdocs>
            AllowOverride All
            ErrorDocument 404 /section-404.html
            </Directory>
            <Directory ROOT/htdocs/sub>
            DirectoryIndex section.html
            </Directory>
            <Directory ROOT/htdocs/sub/deeper>
            AllowOverride None
            </Directory>
            <DirectoryMatch "/sub/deeper/$">
            AddType a/match .p
            </DirectoryMatch>
            <Location /loc>
            AddType a/location .p
            </Location>
            """)
        // htdocs/.htaccess after <Directory htdocs>; <Directory htdocs/sub> after it; then sub/.htaccess.
        let sub = try site.lookup("htdocs/sub/x.p")
        #expect(sub.errorDocuments[404] == .localURL("/parent-404.html"))
        #expect(sub.directoryIndex == ["section.html"])
        #expect(sub.typesByExtension["p"] == "a/child")
        #expect(try site.lookup("htdocs/x.p").directoryIndex == ["parent.html"])
        #expect(try site.lookup("htdocs/x.p").typesByExtension["p"] == "a/parent")
        // A directory request reads the directory's own file.
        #expect(try site.lookup("htdocs/sub", isDirectory: true).typesByExtension["p"] == "a/child")
        // <DirectoryMatch> after every file; <Location> last.
        #expect(try site.lookup("htdocs/sub/deeper/x.p").typesByExtension["p"] == "a/match")
        #expect(try site.lookup("htdocs/sub/x.p", urlPath: "/loc/x.p").typesByExtension["p"] == "a/location")
    }

    @Test func theOverridesInForceAtEachLevelDecide() throws {
        let tree = TemporaryTree()
        // Above the document root no <Directory> allows overrides: this file is never read.
        tree.write(".htaccess", "Broken line\n")
        tree.write("htdocs/.htaccess", "DirectoryIndex top.html\n")
        tree.write("htdocs/closed/.htaccess", "Broken line\n")
        tree.write("htdocs/closed/open/.htaccess", "DirectoryIndex open.html\n")
        let site = try HtaccessSite(tree, """
            <Directory ROOT/htdocs>
            AllowOverride Indexes
            </Directory>
            <Directory ROOT/htdocs/closed>
            AllowOverride None
            </Directory>
            <Directory ROOT/htdocs/closed/open>
            AllowOverride Indexes
            </Directory>
            """)
        #expect(try site.lookup("htdocs/a.html").directoryIndex == ["top.html"])
        #expect(try site.lookup("htdocs/closed/a.html").directoryIndex == ["top.html"])
        #expect(try site.lookup("htdocs/closed/open/a.html").directoryIndex == ["open.html"])
    }

    @Test func filesSectionsInAFileApplyByNameInOrder() throws {
        let tree = TemporaryTree()
        tree.write("htdocs/.htaccess", """
            <Files "*.dll">
            SetHandler isapi-handler
            </Files>
            <FilesMatch "^secret">
            Require all denied
            </FilesMatch>
            """)
        tree.write("htdocs/sub/.htaccess", "<Files \"*.dll\">\nSetHandler none\n</Files>\n")
        let site = try HtaccessSite(tree, """
            <Files "*.dll">
            SetHandler from-server
            </Files>
            <Directory ROOT/htdocs>
            AllowOverride FileInfo AuthConfig
            </Directory>
            """)
        #expect(try site.lookup("htdocs/hello.dll").setHandler == .handler("isapi-handler"))
        #expect(try site.lookup("htdocs/hello.txt").setHandler == nil)
        #expect(try site.lookup("htdocs/secret.txt").access != nil)
        #expect(try site.lookup("htdocs/sub/hello.dll").setHandler == SetHandlerValue.none)
        #expect(try site.lookup("other/hello.dll").setHandler == .handler("from-server"))
    }

    @Test func accessFileNameChoosesTheFilesFirstFoundWins() throws {
        let tree = TemporaryTree()
        tree.write("htdocs/.htaccess", "DirectoryIndex htaccess.html\n")
        tree.write("htdocs/a/.config", "DirectoryIndex config.html\n")
        tree.write("htdocs/a/.override", "DirectoryIndex override.html\n")
        tree.write("htdocs/b/.override", "DirectoryIndex override.html\n")
        let site = try HtaccessSite(tree, """
            AccessFileName .config .override
            <Directory ROOT/htdocs>
            AllowOverride Indexes
            </Directory>
            <VirtualHost *:80>
            ServerName v
            AccessFileName .htaccess
            </VirtualHost>
            <VirtualHost *:80>
            ServerName w
            </VirtualHost>
            """)
        #expect(try site.lookup("htdocs/x.html").directoryIndex == nil)
        #expect(try site.lookup("htdocs/a/x.html").directoryIndex == ["config.html"])
        #expect(try site.lookup("htdocs/b/x.html").directoryIndex == ["override.html"])
        #expect(try site.lookup("htdocs/a/x.html", host: site.config.virtualHosts[0]).directoryIndex == ["htaccess.html"])
        #expect(try site.lookup("htdocs/a/x.html", host: site.config.virtualHosts[1]).directoryIndex == ["config.html"])
        #expect(tree.error("AccessFileName sub/.htaccess")?.message == "AccessFileName: 'sub/.htaccess' is not a file name")
    }

    @Test func aFileIsCompiledOnceAndAgainWhenEditedAndForgottenWhenDeleted() throws {
        let tree = TemporaryTree()
        tree.write("htdocs/.htaccess", "DirectoryIndex one.html\n")
        let site = try HtaccessSite(tree, "<Directory ROOT/htdocs>\nAllowOverride All\n</Directory>\n")
        for _ in 0..<3 { #expect(try site.lookup("htdocs/a.html").directoryIndex == ["one.html"]) }
        #expect(site.cache.compileCount == 1)

        tree.rewrite("htdocs/.htaccess", "DirectoryIndex second.html\n")
        #expect(try site.lookup("htdocs/a.html").directoryIndex == ["second.html"])
        #expect(site.cache.compileCount == 2)

        // Same size, same inode: the modification time (to the nanosecond) tells.
        usleep(50_000)
        let handle = try #require(FileHandle(forWritingAtPath: tree.root + "/htdocs/.htaccess"))
        handle.write(Data("DirectoryIndex thirds.html\n".utf8))
        try handle.close()
        #expect(try site.lookup("htdocs/a.html").directoryIndex == ["thirds.html"])

        tree.rewrite("htdocs/.htaccess", "Broken\n")
        #expect(site.failure("htdocs/a.html")?.hasSuffix("Invalid command 'Broken', perhaps misspelled or defined by a module not included in the server configuration") == true)
        #expect(site.failure("htdocs/other/a.html") != nil)

        tree.remove("htdocs/.htaccess")
        #expect(try site.lookup("htdocs/a.html").directoryIndex == nil)
        let compiles = site.cache.compileCount
        tree.write("htdocs/.htaccess", "DirectoryIndex back.html\n")
        #expect(try site.lookup("htdocs/a.html").directoryIndex == ["back.html"])
        #expect(site.cache.compileCount == compiles + 1)
    }

    @Test func manyRequestsAtOnceShareTheCache() async throws {
        let tree = TemporaryTree()
        for index in 0..<8 { tree.write("htdocs/d\(index)/.htaccess", "DirectoryIndex d\(index).html\n") }
        let site = try HtaccessSite(tree, "<Directory ROOT/htdocs>\nAllowOverride Indexes\n</Directory>\n")
        let (cache, host, root) = (site.cache, site.config.mainHost, tree.root)
        let results = await withTaskGroup(of: Bool.self) { group in
            for request in 0..<200 {
                group.addTask {
                    let index = request % 8
                    let config = try? host.directoryConfig(
                        filePath: "\(root)/htdocs/d\(index)/x.html", isDirectory: false, urlPath: "/x.html", accessFiles: cache)
                    return config?.directoryIndex == ["d\(index).html"]
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.allSatisfy { $0 })
        #expect(site.cache.compileCount >= 8)
    }
}
