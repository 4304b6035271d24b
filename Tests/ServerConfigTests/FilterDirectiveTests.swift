import Testing

@testable import ServerConfig

// ISAPIFilter: global (server context) and site (<VirtualHost>) lists, in order, with
// their configuration lines (issue 17).

@Suite struct FilterDirectiveTests {
    @Test func globalAndSiteListsKeepOrderPathsAndLines() throws {
        let tree = TemporaryTree()
        let config = try tree.load(
            """
            ISAPIFilter filters/a.dll
            <VirtualHost *:80>
                ServerName shop.example
                ISAPIFilter /opt/filters/site.dll
            </VirtualHost>
            ISAPIFilter filters/b.dll
            ISAPIFilterLogNotSupported On
            """)
        let global = config.mainHost.isapiFilters
        #expect(global.lines.map(\.path) == [tree.root + "/filters/a.dll", tree.root + "/filters/b.dll"])
        #expect(global.lines.map(\.location.line) == [1, 6])
        #expect(global.logNotSupported)
        #expect(config.virtualHosts[0].isapiFilters.lines.map(\.path) == ["/opt/filters/site.dll"])
        #expect(config.virtualHosts[0].isapiFilters.lines[0].location.line == 4)
    }

    @Test(arguments: [
        ("ISAPIFilter\n", "ISAPIFilter: takes one argument, the ISAPI filter's path (relative to ServerRoot)"),
        (
            "ISAPIFilter a.dll b.dll\n",
            "ISAPIFilter: takes one argument, the ISAPI filter's path (relative to ServerRoot)"
        ),
        ("<Directory />\nISAPIFilter a.dll\n</Directory>\n", "ISAPIFilter not allowed here (in <Directory> context)"),
        (
            "<VirtualHost *:80>\nISAPIFilterLogNotSupported On\n</VirtualHost>\n",
            "ISAPIFilterLogNotSupported not allowed here (in <VirtualHost> context)"
        ),
    ])
    func badUses(text: String, message: String) throws {
        let error = try #require(TemporaryTree().error(text))
        #expect(error.message == message)
    }
}
