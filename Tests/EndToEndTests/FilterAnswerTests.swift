import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// ISAPI filters, the second pass of issue 17: the filter host is no handler; FINISHED
/// closes the connection (FINISHED_KEEP_CONN keeps it); the daemon's own error answers
/// pass SEND_RESPONSE; AUTHENTICATION's user is the request's user.
@Suite struct FilterAnswerTests {
    /// A daemon with the addheader sample as global filter and `extra` configuration.
    static func addheaderDaemon(_ extra: String) throws -> DaemonProcess {
        let root = try ServerRoot()
        try TestConfig.writeSite(root)
        _ = try FilterServingTests.installSample("addheader", into: root)
        try root.writeConfig(TestConfig.standard("ISAPIFilter filters/addheader.dll\n" + extra))
        return try DaemonProcess(root: root)
    }

    @Test("The filter host is no handler: SetHandler isapi-filter-host is an unknown handler; filters still load and stop")
    func noHandlerName() throws {
        let daemon = try Self.addheaderDaemon("<Location /h>\nSetHandler isapi-filter-host\n</Location>")
        let filter = daemon.root.path("filters/addheader.dll")
        let response = try daemon.get("/h")
        #expect(response.status == 500)
        #expect(response.header("X-Filtered-By") == "isapid addheader")
        #expect(
            eventually(timeout: 5) { daemon.errorLog.contains("handler \"isapi-filter-host\" not found") },
            "error log: \(daemon.errorLog)")
        // The daemon itself tells the filter host of the end of serving: TerminateFilter.
        daemon.stop()
        #expect(daemon.errorLog.contains("IS02302: unloaded ISAPI filter \(filter)"), "error log: \(daemon.errorLog)")
    }
}
