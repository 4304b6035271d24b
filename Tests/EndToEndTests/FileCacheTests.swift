import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The file cache over sockets: a static file, a site httpd.ini or a `.htaccess` that
/// changes while the daemon serves is seen within the bound (the watcher hears at
/// once; FileCacheValid is the bound where it does not), and `FileCacheValid 0` turns
/// the cache off.
@Suite struct FileCacheTests {
    @Test func anEditedReplacedOrDeletedFileIsSeen() throws {
        let daemon = try DaemonProcess.start(TestConfig.standard())
        defer { daemon.stop() }
        let root = daemon.root
        #expect(try daemon.get("/a.txt").bodyText == "alpha document\n")
        // Edited in place, same size.
        try root.write("htdocs/a.txt", "ALPHA DOCUMENT\n")
        #expect(eventually(timeout: 3) { (try? daemon.get("/a.txt").bodyText) == "ALPHA DOCUMENT\n" })
        // Replaced: another file renamed over it.
        try root.write("htdocs/a.txt.new", "a new alpha, longer than before\n")
        #expect(rename(root.path("htdocs/a.txt.new"), root.path("htdocs/a.txt")) == 0)
        #expect(eventually(timeout: 3) { (try? daemon.get("/a.txt").bodyText) == "a new alpha, longer than before\n" })
        // A large file (sent from the file, not kept in memory) edited.
        try root.write("htdocs/large.txt", String(repeating: "1", count: 100_000))
        #expect(try daemon.get("/large.txt").body.count == 100_000)
        try root.write("htdocs/large.txt", String(repeating: "2", count: 50_000))
        #expect(eventually(timeout: 3) { (try? daemon.get("/large.txt").bodyText) == String(repeating: "2", count: 50_000) })
        // Deleted; then created again.
        try FileManager.default.removeItem(atPath: root.path("htdocs/a.txt"))
        #expect(eventually(timeout: 3) { (try? daemon.get("/a.txt").status) == 404 })
        try root.write("htdocs/a.txt", "back\n")
        #expect(eventually(timeout: 3) { (try? daemon.get("/a.txt").bodyText) == "back\n" })
        // A directory created where there was none.
        #expect(try daemon.get("/new/x.txt").status == 404)
        try root.write("htdocs/new/x.txt", "x\n")
        #expect(eventually(timeout: 3) { (try? daemon.get("/new/x.txt").bodyText) == "x\n" })
    }

    /// chmod 000 on a served file: 403 (read as User nobody; root could read it anyway).
    @Test(.enabled(if: PrivilegeDropTests.runningAsRoot, PrivilegeDropTests.notRootReason))
    func aFileMadeUnreadableIsRefused() throws {
        let daemon = try DaemonProcess.start(TestConfig.standard("User nobody\nGroup nogroup"))
        defer { daemon.stop() }
        let path = daemon.root.path("htdocs/a.txt")
        #expect(try daemon.get("/a.txt").status == 200)
        #expect(chmod(path, 0o000) == 0)
        #expect(eventually(timeout: 3) { (try? daemon.get("/a.txt").status) == 403 })
        #expect(chmod(path, 0o644) == 0)
        #expect(eventually(timeout: 3) { (try? daemon.get("/a.txt").status) == 200 })
    }

    @Test func aSiteHttpdIniCreatedLaterApplies() throws {
        let daemon = try DaemonProcess.start(TestConfig.standard())
        defer { daemon.stop() }
        #expect(try daemon.get("/page").status == 404)
        try daemon.root.write("htdocs/httpd.ini", "[ISAPI_Rewrite]\nRewriteRule /page /b.txt\n")
        #expect(eventually(timeout: 3) { (try? daemon.get("/page").bodyText) == "bravo document, a little longer\n" })
        try FileManager.default.removeItem(atPath: daemon.root.path("htdocs/httpd.ini"))
        #expect(eventually(timeout: 3) { (try? daemon.get("/page").status) == 404 })
    }

    @Test func anHtaccessCreatedLaterApplies() throws {
        let daemon = try DaemonProcess.start(TestConfig.standard("""
            <Directory "htdocs/sub">
                AllowOverride AuthConfig
            </Directory>
            """))
        defer { daemon.stop() }
        #expect(try daemon.get("/sub/file.txt").status == 200)
        try daemon.root.write("htdocs/sub/.htaccess", "Require all denied\n")
        #expect(eventually(timeout: 3) { (try? daemon.get("/sub/file.txt").status) == 403 })
        try FileManager.default.removeItem(atPath: daemon.root.path("htdocs/sub/.htaccess"))
        #expect(eventually(timeout: 3) { (try? daemon.get("/sub/file.txt").status) == 200 })
    }

    @Test func fileCacheValidZeroAsksTheFilesystemEachTime() throws {
        let daemon = try DaemonProcess.start(TestConfig.standard("FileCacheValid 0"))
        defer { daemon.stop() }
        #expect(try daemon.get("/a.txt").bodyText == "alpha document\n")
        try daemon.root.write("htdocs/a.txt", "edited\n")
        #expect(try daemon.get("/a.txt").bodyText == "edited\n")
    }

    @Test func fileCacheValidTakesSecondsOnly() throws {
        let root = try ServerRoot()
        try root.writeConfig(TestConfig.standard("FileCacheValid soon"))
        let check = try runIsapid(["-t", "-f", "conf/httpd.conf", "-d", root.path])
        #expect(check.status != 0)
        #expect((check.stdout + check.stderr).contains("FileCacheValid"), "\(check.stdout)\(check.stderr)")
    }
}
