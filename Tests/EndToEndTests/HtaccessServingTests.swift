import Foundation
import Testing

/// `.htaccess` over sockets: a file edited while the daemon runs changes the answers
/// as soon as the file cache's watcher hears of it.
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

        // The file cache's watcher hears of each edit: seen within moments.
        try root.write("htdocs/sub/.htaccess", "ErrorDocument 404 \"second, edited version\"\n")
        #expect(eventually(timeout: 3) { (try? daemon.get("/sub/missing.html").bodyText) == "second, edited version" })
        let second = try daemon.get("/sub/missing.html")
        #expect(second.status == 404)
        #expect(second.bodyText == "second, edited version")

        try root.write("htdocs/sub/.htaccess", "Options +ExecCGI\n")
        #expect(eventually(timeout: 3) { (try? daemon.get("/sub/file.txt").status) == 500 })
        #expect(try daemon.get("/a.txt").status == 200)
        let path = root.path("htdocs/sub/.htaccess")
        #expect(eventually(timeout: 3) { daemon.errorLog.contains("IS00528: \(path):1: Options not allowed here") },
                "error log: \(daemon.errorLog)")

        try FileManager.default.removeItem(atPath: path)
        #expect(eventually(timeout: 3) { (try? daemon.get("/sub/file.txt").status) == 200 })
        let gone = try daemon.get("/sub/file.txt")
        #expect(gone.status == 200)
        #expect(gone.bodyText == "file in sub\n")
    }
}
