import Foundation
import Testing

/// mod_headers end to end: security headers on an extension's answer, a static file and
/// the server's own 404, and a RequestHeader an extension reads in ALL_HTTP.
@Suite struct HeadersTests {
    static func config(_ root: ServerRoot) -> String {
        ISAPITests.config(root, extra: """
            Header set Strict-Transport-Security "max-age=63072000; includeSubDomains"
            Header always set X-Frame-Options DENY
            Header unset X-Not-There
            RequestHeader set X-From-Proxy 1
            """)
    }

    @Test func anExtensionAStaticFileAndA404GetTheHeadersTheirTablesSay() throws {
        let daemon = try ISAPITests.start(["hello"], config: Self.config)
        let hello = try ISAPITests.get(daemon, "/scripts/hello.dll")
        #expect(hello.status == 200)
        #expect(hello.bodyText == "Hello from an ISAPI extension on isapid\n")
        #expect(hello.header("Strict-Transport-Security") == "max-age=63072000; includeSubDomains", "\(hello.headers)")
        #expect(hello.headerValues("X-Frame-Options") == ["DENY"])

        let page = try ISAPITests.get(daemon, "/")
        #expect(page.status == 200)
        #expect(page.header("Strict-Transport-Security") == "max-age=63072000; includeSubDomains", "\(page.headers)")
        #expect(page.header("X-Frame-Options") == "DENY")

        let missing = try ISAPITests.get(daemon, "/no/such/page")
        #expect(missing.status == 404)
        #expect(missing.header("X-Frame-Options") == "DENY", "\(missing.headers)")
        #expect(missing.header("Strict-Transport-Security") == nil, "onsuccess lines stay off Apache's error pages")
    }

    @Test func requestHeaderIsSeenByTheExtensionInAllHttp() throws {
        let daemon = try ISAPITests.start(["servervars"], config: Self.config)
        let response = try ISAPITests.get(daemon, "/scripts/servervars.dll", headers: ["X-From-Proxy: spoofed"])
        #expect(response.status == 200)
        let text = response.bodyText
        let allHTTP = try #require(text.range(of: "\nALL_HTTP:\n"), "\(text)")
        let allRaw = try #require(text.range(of: "\nALL_RAW:\n"), "\(text)")
        let httpBlock = String(text[allHTTP.upperBound..<allRaw.lowerBound])
        #expect(httpBlock.contains("HTTP_X_FROM_PROXY:1\r\n"), "\(httpBlock.debugDescription)")
        #expect(!httpBlock.contains("spoofed"), "\(httpBlock.debugDescription)")
    }

    @Test func configTestRejectsExprWithFileAndLine() throws {
        let root = try ServerRoot()
        try root.writeConfig(TestConfig.standard("""
            Header always set X-Frame-Options DENY
            Header set X-Path "%{REQUEST_URI}e" "expr=%{REQUEST_URI} =~ m#^/app#"
            """))
        let lines = try String(contentsOfFile: root.path + "/conf/httpd.conf", encoding: .utf8).components(separatedBy: "\n")
        let line = try #require(lines.firstIndex { $0.contains("expr=") }) + 1
        let result = try runIsapid(["-t", "-f", "conf/httpd.conf", "-d", root.path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("httpd.conf:\(line):"), "stderr: \(result.stderr)")
        #expect(result.stderr.contains("expr= is not supported"), "stderr: \(result.stderr)")
        #expect(!result.stdout.contains("Syntax OK"))
    }
}
