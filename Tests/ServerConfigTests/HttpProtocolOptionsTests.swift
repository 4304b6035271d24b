import Testing
@testable import ServerConfig

/// `HttpProtocolOptions Strict|Unsafe RegisteredMethods|LenientMethods Allow0.9|Require1.0`.
@Suite struct HttpProtocolOptionsTests {
    @Test func defaultsAreApaches() throws {
        let configuration = try TemporaryTree().load("Listen 8080\n")
        #expect(configuration.httpProtocolOptions == HTTPProtocolOptions(conformance: .strict, methods: .lenient, http09: .allow))
    }

    @Test(arguments: [
        ("Unsafe", HTTPProtocolOptions(conformance: .unsafe)),
        ("unsafe registeredmethods REQUIRE1.0", HTTPProtocolOptions(conformance: .unsafe, methods: .registered, http09: .require10)),
        ("Strict LenientMethods Allow0.9", HTTPProtocolOptions()),
        ("RegisteredMethods", HTTPProtocolOptions(methods: .registered)),
    ])
    func words(_ words: String, _ expected: HTTPProtocolOptions) throws {
        let configuration = try TemporaryTree().load("Listen 8080\nHttpProtocolOptions \(words)\n")
        #expect(configuration.httpProtocolOptions == expected)
    }

    @Test func laterLinesChangeOnlyTheirPairs() throws {
        let configuration = try TemporaryTree().load(
            "Listen 8080\nHttpProtocolOptions Unsafe Require1.0\nHttpProtocolOptions RegisteredMethods\n")
        #expect(configuration.httpProtocolOptions
            == HTTPProtocolOptions(conformance: .unsafe, methods: .registered, http09: .require10))
    }

    @Test(arguments: [
        ("HttpProtocolOptions Lenient\n", 2, "HttpProtocolOptions: Invalid option 'Lenient'"),
        ("HttpProtocolOptions Strict Unsafe\n", 2, "HttpProtocolOptions: 'Strict' and 'Unsafe' are mutually exclusive"),
        ("HttpProtocolOptions Allow0.9 Require1.0\n", 2, "HttpProtocolOptions: 'Allow0.9' and 'Require1.0' are mutually exclusive"),
        ("HttpProtocolOptions RegisteredMethods LenientMethods\n", 2, "HttpProtocolOptions: 'RegisteredMethods' and 'LenientMethods' are mutually exclusive"),
        ("HttpProtocolOptions\n", 2, "HttpProtocolOptions: takes Strict or Unsafe, RegisteredMethods or LenientMethods, Allow0.9 or Require1.0"),
    ])
    func badArgumentsNameFileAndLine(_ line: String, _ lineNumber: Int, _ message: String) throws {
        let tree = TemporaryTree()
        let error = try #require(tree.error("Listen 8080\n" + line))
        #expect(error.kind == .badArguments)
        #expect(error.line == lineNumber)
        #expect(error.message == message, "\(error.message)")
        #expect(error.description.hasPrefix("\(tree.root)/conf/httpd.conf:\(lineNumber): "), "\(error.description)")
    }

    @Test func notAllowedInDirectory() throws {
        let error = try #require(TemporaryTree().error("<Directory /x>\nHttpProtocolOptions Unsafe\n</Directory>\n"))
        #expect(error.kind == .notAllowedHere)
        #expect(error.line == 2)
    }

    @Test func virtualHostValueIsCheckedAndWarnedAbout() throws {
        let tree = TemporaryTree()
        let configuration = try tree.load(
            "Listen 8080\n<VirtualHost *:8080>\nServerName a.example\nHttpProtocolOptions Unsafe\n</VirtualHost>\n")
        #expect(configuration.httpProtocolOptions == HTTPProtocolOptions())
        let warning = try #require(configuration.warnings.first { $0.message.contains("HttpProtocolOptions") })
        #expect(warning.line == 4)
        #expect(warning.message.contains("main server's HttpProtocolOptions"))
        let error = try #require(tree.error("<VirtualHost *:8080>\nHttpProtocolOptions Bogus\n</VirtualHost>\n"))
        #expect(error.kind == .badArguments && error.line == 2)
    }
}
