import Testing
@testable import ServerConfig

/// Per-directory merging in Apache's order.
@Suite struct DirectoryMergeTests {
    @Test func directoriesByDepthThenRegexThenFilesThenLocation() throws {
        let tree = TemporaryTree()
        let config = try tree.load("""
            DirectoryIndex server.html
            <Location /app>
            DirectoryIndex from-location.html
            </Location>
            <Directory /srv/www/app>
            DirectoryIndex deep.html
            LimitRequestBody 10
            </Directory>
            <DirectoryMatch "^/srv/www/a">
            DirectoryIndex regex.html
            </DirectoryMatch>
            <Directory /srv/www>
            DirectoryIndex shallow.html
            LimitRequestBody 20
            ErrorDocument 404 /missing.html
            </Directory>
            <Files "*.dll">
            SetHandler isapi-handler
            </Files>
            """)
        let host = config.mainHost
        let deep = host.directoryConfig(filePath: "/srv/www/app/x.html", isDirectory: false, urlPath: "/x.html")
        #expect(deep.directoryIndex == ["regex.html"])
        #expect(deep.limitRequestBody == 10)
        #expect(deep.errorDocuments[404] == .localURL("/missing.html"))

        let shallow = host.directoryConfig(filePath: "/srv/www/b/x.html", isDirectory: false, urlPath: "/b/x.html")
        #expect(shallow.directoryIndex == ["shallow.html"])
        #expect(shallow.limitRequestBody == 20)

        let located = host.directoryConfig(filePath: "/srv/www/app/", isDirectory: true, urlPath: "/app/")
        #expect(located.directoryIndex == ["from-location.html"])
        #expect(host.directoryConfig(filePath: nil, isDirectory: false, urlPath: "/apple").directoryIndex == ["server.html"])

        let dll = host.directoryConfig(filePath: "/srv/www/hello.dll", isDirectory: false, urlPath: "/hello.dll")
        #expect(dll.setHandler == .handler("isapi-handler"))
    }

    @Test func optionsMergeWithPlusAndMinus() throws {
        let tree = TemporaryTree()
        let config = try tree.load("""
            <Directory />
            Options None
            </Directory>
            <Directory /srv>
            Options +ExecCGI +Indexes
            </Directory>
            <Directory /srv/www>
            Options -Indexes
            </Directory>
            <Directory /srv/www/all>
            Options All
            </Directory>
            """)
        let host = config.mainHost
        #expect(host.directoryConfig(filePath: "/etc/passwd", isDirectory: false, urlPath: "/").effectiveOptions == [])
        #expect(host.directoryConfig(filePath: "/srv/a", isDirectory: false, urlPath: "/").effectiveOptions == [.execCGI, .indexes])
        #expect(host.directoryConfig(filePath: "/srv/www/a", isDirectory: false, urlPath: "/").effectiveOptions == [.execCGI])
        #expect(host.directoryConfig(filePath: "/srv/www/all/a", isDirectory: false, urlPath: "/").effectiveOptions == Option.all)
    }

    /// The resolved options follow every change of `options`, made in place or whole.
    @Test func effectiveOptionsFollowChangesOfOptions() {
        var config = DirectoryConfig()
        #expect(config.effectiveOptions == [.followSymLinks])
        config.options = OptionsSetting(absolute: [.execCGI])
        #expect(config.effectiveOptions == [.execCGI])
        config.options?.added.insert(.indexes)
        #expect(config.effectiveOptions == [.execCGI, .indexes])
        let merged = DirectoryConfig().merged(over: config)
        #expect(merged.effectiveOptions == [.execCGI, .indexes])
        var child = DirectoryConfig()
        child.options = OptionsSetting(removed: [.execCGI])
        #expect(child.merged(over: config).effectiveOptions == [.indexes])
        config.options = nil
        #expect(config.effectiveOptions == [.followSymLinks])
    }

    @Test func defaultOptionsAreFollowSymLinks() throws {
        let tree = TemporaryTree()
        let config = try tree.load("<Directory /x>\nOptions +ExecCGI\n</Directory>\n")
        #expect(config.mainHost.directoryConfig(filePath: "/x/y", isDirectory: false, urlPath: "/").effectiveOptions
                == [.followSymLinks, .execCGI])
    }

    @Test func filesNestedInDirectoryApplyOnlyThere() throws {
        let tree = TemporaryTree()
        let config = try tree.load("""
            <Directory /srv/isapi>
            <Files "*.dll">
            SetHandler isapi-handler
            </Files>
            </Directory>
            """)
        let host = config.mainHost
        #expect(host.directoryConfig(filePath: "/srv/isapi/a.dll", isDirectory: false, urlPath: "/a.dll").setHandler
                == .handler("isapi-handler"))
        #expect(host.directoryConfig(filePath: "/srv/other/a.dll", isDirectory: false, urlPath: "/a.dll").setHandler == nil)
    }

    @Test func wildcardDirectoryAndLocationBoundaries() throws {
        let tree = TemporaryTree()
        let config = try tree.load("""
            <Directory /home/*/public_html>
            DirectoryIndex home.html
            </Directory>
            <Location /private>
            Require all denied
            </Location>
            """)
        let host = config.mainHost
        #expect(host.directoryConfig(filePath: "/home/ann/public_html/x", isDirectory: false, urlPath: "/x").directoryIndex == ["home.html"])
        #expect(host.directoryConfig(filePath: "/home/ann/other/x", isDirectory: false, urlPath: "/x").directoryIndex == nil)
        #expect(host.directoryConfig(filePath: nil, isDirectory: false, urlPath: "/private/x").access != nil)
        #expect(host.directoryConfig(filePath: nil, isDirectory: false, urlPath: "/private").access != nil)
        #expect(host.directoryConfig(filePath: nil, isDirectory: false, urlPath: "/private123").access == nil)
    }

    @Test func virtualHostSectionsComeAfterMainServers() throws {
        let tree = TemporaryTree()
        let config = try tree.load("""
            <Directory /srv>
            DirectoryIndex main.html
            </Directory>
            <VirtualHost *:80>
            ServerName v
            <Directory /srv>
            DirectoryIndex vhost.html
            </Directory>
            </VirtualHost>
            """)
        #expect(config.virtualHosts[0].directoryConfig(filePath: "/srv/x", isDirectory: false, urlPath: "/x").directoryIndex
                == ["vhost.html"])
        #expect(config.mainHost.directoryConfig(filePath: "/srv/x", isDirectory: false, urlPath: "/x").directoryIndex
                == ["main.html"])
    }
}
