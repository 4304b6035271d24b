import Foundation
import Testing

/// `.htaccess` over sockets: a file edited while the daemon runs changes the next answer.
@Suite struct HtaccessServingTests {
    @Test func anEditedHtaccessChangesTheNextAnswer() throws {
        let daemon = try DaemonProcess.start(TestConfig.standard("""
            <Directory "htdocs">
                AllowOverride FileInfo
            </Directory>
            """))
        defer { daemon.stop() }
        let root = daemon.root
        try root.write("htdocs/sub/.htaccess", "ErrorDocument 404 \"first version\"\n")

        let first = try daemon.get("/sub/missing.html")
        #expect(first.status == 404)
        #expect(first.bodyText == "first version")

        try root.write("htdocs/sub/.htaccess", "ErrorDocument 404 \"second, edited version\"\n")
        let second = try daemon.get("/sub/missing.html")
        #expect(second.status == 404)
        #expect(second.bodyText == "second, edited version")

        try root.write("htdocs/sub/.htaccess", "Options +ExecCGI\n")
        #expect(try daemon.get("/sub/file.txt").status == 500)
        #expect(try daemon.get("/a.txt").status == 200)
        let path = root.path("htdocs/sub/.htaccess")
        #expect(eventually(timeout: 3) { daemon.errorLog.contains("IS00528: \(path):1: Options not allowed here") },
                "error log: \(daemon.errorLog)")

        try FileManager.default.removeItem(atPath: path)
        let gone = try daemon.get("/sub/file.txt")
        #expect(gone.status == 200)
        #expect(gone.bodyText == "file in sub\n")
    }
}
