import Testing
@testable import ServerConfig

/// mod_proxy's ProxyTimeout: seconds or milliseconds, server-wide, unset by default;
/// a bad value is an error at its line; `<IfModule mod_proxy.c>` now holds.
@Suite struct ProxyDirectiveTests {
    @Test func proxyTimeoutTakesSecondsOrMilliseconds() throws {
        #expect(try TemporaryTree().load("").proxyTimeoutSeconds == nil)
        #expect(try TemporaryTree().load("ProxyTimeout 30\n").proxyTimeoutSeconds == 30)
        #expect(try TemporaryTree().load("ProxyTimeout 250ms\n").proxyTimeoutSeconds == 0.25)
        let inIfModule = try TemporaryTree().load("<IfModule mod_proxy.c>\nProxyTimeout 5\n</IfModule>\n")
        #expect(inIfModule.proxyTimeoutSeconds == 5)
    }

    @Test func badProxyTimeoutsAreErrorsAtTheirLine() throws {
        let tree = TemporaryTree()
        let zero = try #require(tree.error("\nProxyTimeout 0\n"))
        #expect(zero.kind == .badArguments)
        #expect(zero.line == 2)
        #expect(zero.message == "ProxyTimeout: ProxyTimeout must be greater than 0")
        let word = try #require(tree.error("ProxyTimeout soon\n"))
        #expect(word.message == "ProxyTimeout: 'soon' is not a time in seconds")
        let inDirectory = try #require(tree.error("<Directory />\nProxyTimeout 5\n</Directory>\n"))
        #expect(inDirectory.line == 2)
    }
}
