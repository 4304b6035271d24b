import Testing
@testable import ServerConfig

@Suite struct ConfigLoadingTests {
    @Test func coreDirectives() throws {
        let tree = TemporaryTree()
        tree.mkdir("site")
        let config = try tree.load("""
            listen 127.0.0.1:8080
            Listen [::1]:8081
            Listen 8082
            ServerName www.example.com:80
            ServerAdmin admin@example.com
            DocumentRoot "site"
            Timeout 30
            KeepAlive Off
            KeepAliveTimeout 250ms
            MaxKeepAliveRequests 0
            LimitRequestFields 50
            LimitRequestFieldSize 4000
            LimitRequestLine 2000
            ServerTokens Prod
            ThreadsPerChild 16
            ListenBacklog 4096
            LogLevel info isapi:debug mod_rewrite:trace3
            ErrorLog logs/err.log
            """)
        #expect(config.listeners == [
            ListenAddress(host: "127.0.0.1", port: 8080), ListenAddress(host: "::1", port: 8081),
            ListenAddress(host: nil, port: 8082),
        ])
        #expect(config.mainHost.serverName == "www.example.com")
        #expect(config.mainHost.serverAdmin == "admin@example.com")
        #expect(config.mainHost.documentRoot == tree.root + "/site")
        #expect(config.timeoutSeconds == 30)
        #expect(config.keepAlive == false)
        #expect(config.keepAliveTimeoutSeconds == 0.25)
        #expect(config.maxKeepAliveRequests == 0)
        #expect(config.limitRequestFields == 50)
        #expect(config.limitRequestFieldSize == 4000)
        #expect(config.limitRequestLine == 2000)
        #expect(config.serverTokens == .prod)
        #expect(config.threadsPerChild == 16)
        #expect(config.listenBacklog == 4096)
        #expect(config.logLevel.level == .info)
        #expect(config.logLevel.level(for: "isapi") == .debug)
        #expect(config.logLevel.level(for: "rewrite") == .trace3)
        #expect(config.errorLog == tree.root + "/logs/err.log")
    }

    @Test func defineVariablesAndIfDefine() throws {
        let tree = TemporaryTree()
        tree.mkdir("www")
        let config = try tree.load("""
            Define docroot www
            DocumentRoot ${docroot}
            <IfDefine PRODUCTION>
            ServerName prod.example.com
            </IfDefine>
            <IfDefine !PRODUCTION>
            ServerName dev.example.com
            </IfDefine>
            """, defines: ["PRODUCTION"])
        #expect(config.mainHost.documentRoot == tree.root + "/www")
        #expect(config.mainHost.serverName == "prod.example.com")
    }

    @Test func undefinedVariableIsAWarning() throws {
        let tree = TemporaryTree()
        let config = try tree.load("ServerName ${NOT_DEFINED_ANYWHERE_X}\n")
        #expect(config.mainHost.serverName == "${NOT_DEFINED_ANYWHERE_X}")
        #expect(config.warnings.contains { $0.message == "Config variable ${NOT_DEFINED_ANYWHERE_X} is not defined" })
    }

    @Test func ifModuleKnowsWhatIsBuiltIn() throws {
        let tree = TemporaryTree()
        let config = try tree.load("""
            <IfModule mod_alias.c>
            ServerName has-alias
            </IfModule>
            <IfModule mod_lua.c>
            LuaRoot /nowhere
            </IfModule>
            <IfModule !lua_module>
            ServerAdmin no-lua@example.com
            </IfModule>
            <IfModule ssl_module>
            SSLProtocol -all +TLSv1.3
            </IfModule>
            <IfModule dir_module>
            DirectoryIndex start.html
            </IfModule>
            """)
        #expect(config.mainHost.serverName == "has-alias")
        #expect(config.mainHost.serverAdmin == "no-lua@example.com")
        #expect(config.mainHost.ssl.effectiveProtocols == [.tlsv13])
        #expect(config.mainHost.defaults.directoryIndex == ["start.html"])
    }

    @Test func includeGlobInOrderAndDirectory() throws {
        let tree = TemporaryTree()
        tree.write("conf/d/20-b.conf", "ServerAdmin b@example.com\n")
        tree.write("conf/d/10-a.conf", "ServerAdmin a@example.com\nServerName from-a\n")
        tree.write("conf/e/only.conf", "Timeout 7\n")
        let config = try tree.load("Include conf/d/*.conf\nInclude conf/e\n")
        #expect(config.mainHost.serverAdmin == "b@example.com")
        #expect(config.mainHost.serverName == "from-a")
        #expect(config.timeoutSeconds == 7)
    }

    @Test func commandLineDirectivesBeforeAndAfter() throws {
        let tree = TemporaryTree()
        let config = try tree.load("ServerName file\nTimeout 10\n", pre: ["ServerName pre", "Timeout 5"], post: ["Timeout 20"])
        #expect(config.mainHost.serverName == "file")
        #expect(config.timeoutSeconds == 20)
    }

    @Test func virtualHostsInheritFromMainServer() throws {
        let tree = TemporaryTree()
        tree.mkdir("a")
        let config = try tree.load("""
            ServerName main.example.com
            ServerAdmin main@example.com
            DocumentRoot htdocs
            Alias /icons/ /usr/share/icons/
            DirectoryIndex index.htm
            <VirtualHost *:80>
            ServerName a.example.com
            ServerAlias *.a.example.com a.test
            DocumentRoot a
            </VirtualHost>
            <VirtualHost 127.0.0.2:80 [::1]:8080>
            ServerName b.example.com
            </VirtualHost>
            """)
        #expect(config.virtualHosts.count == 2)
        let a = config.virtualHosts[0]
        #expect(a.id == 1)
        #expect(a.addresses == [HostAddress(host: "*", port: 80)])
        #expect(a.documentRoot == tree.root + "/a")
        #expect(a.serverAdmin == "main@example.com")
        #expect(a.aliases.count == 1)
        #expect(a.defaults.directoryIndex == ["index.htm"])
        #expect(a.answers(to: "www.a.example.com") && a.answers(to: "A.TEST") && !a.answers(to: "b.example.com"))
        let b = config.virtualHosts[1]
        #expect(b.addresses == [HostAddress(host: "127.0.0.2", port: 80), HostAddress(host: "::1", port: 8080)])
        #expect(b.documentRoot == tree.root + "/htdocs")
    }

    @Test func virtualHostSelection() throws {
        let tree = TemporaryTree()
        let config = try tree.load("""
            ServerName main
            <VirtualHost *:8080>
            ServerName first
            </VirtualHost>
            <VirtualHost *:8080>
            ServerName second
            ServerAlias www.second
            </VirtualHost>
            <VirtualHost 127.0.0.5:8080>
            ServerName exact
            </VirtualHost>
            """)
        func pick(_ ip: String, _ port: Int, _ host: String?) -> String? {
            config.virtualHost(localAddress: ip, localPort: port, hostHeader: host).serverName
        }
        #expect(pick("127.0.0.1", 8080, "second") == "second")
        #expect(pick("127.0.0.1", 8080, "WWW.SECOND:8080") == "second")
        #expect(pick("127.0.0.1", 8080, "unknown") == "first")
        #expect(pick("127.0.0.1", 8080, nil) == "first")
        #expect(pick("127.0.0.5", 8080, "second") == "exact")
        #expect(pick("127.0.0.1", 9090, "second") == "main")
    }

    @Test func mimeAndHandlerDirectives() throws {
        let tree = TemporaryTree()
        tree.write("conf/types", "text/html html htm\n# comment\napplication/x-thing thing\n")
        let config = try tree.load("""
            TypesConfig conf/types
            AddHandler isapi-handler .dll .DLL2
            AddType text/x-custom .cst
            <Directory /srv>
            RemoveHandler .dll
            SetHandler None
            </Directory>
            """)
        #expect(config.mimeTypes["htm"] == "text/html")
        #expect(config.mimeTypes["thing"] == "application/x-thing")
        #expect(config.mainHost.defaults.handlersByExtension["dll"] == .some("isapi-handler"))
        #expect(config.mainHost.defaults.handlersByExtension["dll2"] == .some("isapi-handler"))
        #expect(config.mainHost.defaults.typesByExtension["cst"] == .some("text/x-custom"))
        let section = try #require(config.mainHost.directorySections.first)
        #expect(section.config.handlersByExtension["dll"] == .some(nil))
        #expect(section.config.setHandler == SetHandlerValue.none)
    }

    @Test func customLogResolvesNicknames() throws {
        let tree = TemporaryTree()
        let config = try tree.load("""
            LogFormat "%h %>s" short
            CustomLog logs/access_log short
            CustomLog logs/combined_log combined env=!dontlog
            CustomLog logs/inline "%m %U"
            """)
        let logs = config.mainHost.customLogs
        #expect(logs.map(\.format) == ["%h %>s", config.logFormats["combined"]!, "%m %U"])
        #expect(logs[1].condition == LogCondition(variable: "dontlog", negated: true))
        #expect(logs[0].path == tree.root + "/logs/access_log")
    }

    @Test func requireAndRedirects() throws {
        let tree = TemporaryTree()
        let config = try tree.load("""
            Redirect permanent /old http://example.com/new
            Redirect gone /gone
            RedirectMatch 307 ^/m/(.*)$ /n/$1
            <Location /private>
            Require ip 10.0.0.0/8 192.168.1
            Require local
            </Location>
            """)
        let redirects = config.mainHost.redirects
        #expect(redirects.map(\.status) == [301, 410, 307])
        #expect(redirects[1].target == nil)
        let policy = try #require(config.mainHost.locationSections.first?.config.access)
        #expect(policy.grants(remoteAddress: "10.1.2.3", method: "GET"))
        #expect(policy.grants(remoteAddress: "192.168.1.77", method: "GET"))
        #expect(policy.grants(remoteAddress: "127.0.0.1", method: "GET"))
        #expect(policy.grants(remoteAddress: "::1", method: "GET"))
        #expect(!policy.grants(remoteAddress: "192.168.2.1", method: "GET"))
        #expect(!policy.grants(remoteAddress: "11.0.0.1", method: "GET"))
    }
}
