import Foundation
import Testing

/// mod_rewrite syntax over sockets: WordPress's stock .htaccess, an .htaccess edited
/// while the daemon runs, and rewrite-test naming the file each rule came from.
@Suite struct ModRewriteServingTests {
    /// WordPress's stock .htaccess (Tests/Fixtures/wordpress.htaccess).
    static let wordPress = try! String(
        contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../Fixtures/wordpress.htaccess").standardized, encoding: .utf8)

    static func start() throws -> DaemonProcess {
        try DaemonProcess.start(TestConfig.standard("""
            <Directory "htdocs">
                AllowOverride All
            </Directory>
            """), site: { root in
            try TestConfig.writeSite(root)
            try root.write("htdocs/index.php", "front controller\n")
            try root.write("htdocs/.htaccess", wordPress)
        })
    }

    static func body(_ response: HTTPResponse) -> String { String(decoding: response.body, as: UTF8.self) }

    @Test func wordPressPrettyLinksReachTheFrontControllerAndFilesStay() throws {
        let daemon = try Self.start()
        defer { daemon.stop() }
        let routed = try daemon.get("/2024/05/hello-world/")
        #expect(routed.status == 200)
        #expect(Self.body(routed) == "front controller\n")
        #expect(Self.body(try daemon.get("/a.txt")) == "alpha document\n")
        #expect(Self.body(try daemon.get("/sub/file.txt")) == "file in sub\n")
    }

    @Test func anEditedAccessFileChangesTheNextRequest() throws {
        let daemon = try Self.start()
        defer { daemon.stop() }
        #expect(Self.body(try daemon.get("/anything")) == "front controller\n")
        // The file cache's watcher hears of each edit: seen within moments.
        try daemon.root.write("htdocs/.htaccess", "RewriteEngine On\nRewriteRule ^anything$ b.txt [L]\n")
        #expect(eventually(timeout: 3) { (try? daemon.get("/anything")).map(Self.body) == "bravo document, a little longer\n" })
        try daemon.root.write("htdocs/.htaccess", "RewriteEngine On\nRewriteRule ^anything$ /moved [R=301,L]\n")
        #expect(eventually(timeout: 3) { (try? daemon.get("/anything").status) == 301 })
        let moved = try daemon.get("/anything")
        #expect(moved.status == 301)
        #expect(moved.header("Location") == "http://localhost/moved")
    }

    @Test func rewriteTestNamesTheAccessFileOfEachRule() throws {
        let root = try ServerRoot()
        try root.writeConfig(TestConfig.standard("<Directory \"htdocs\">\n    AllowOverride All\n</Directory>"))
        try root.write("htdocs/index.php", "front controller\n")
        try root.write("htdocs/.htaccess", Self.wordPress)
        let result = try runIsapid(["rewrite-test", "-d", root.path, "/2024/05/hello-world/"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("/htdocs/.htaccess:9: RewriteRule . /index.php [L]"))
        #expect(result.stdout.contains("internal redirect to /index.php"))
    }
}
