import Foundation
import Testing

/// `BufferedLogs On`: access-log lines are held in memory, and none is lost at a log
/// rotation (SIGUSR1 reopens the files) or a graceful stop (SIGTERM).
@Suite struct BufferedLogsTests {
    @Test func everyRequestIsLoggedAcrossARotationAndAGracefulStop() throws {
        let daemon = try DaemonProcess.start(TestConfig.standard("BufferedLogs On"))
        // Fewer than 4 KiB of lines, sent and then rotated at once: only the reopen
        // writes them (the 1 s timer would write them to the new file).
        for i in 0..<20 { #expect(try daemon.get("/a.txt?before=\(i)").status == 200) }
        let reloads = daemon.errorLog.components(separatedBy: "IS00094").count
        let accessLog = daemon.root.path("logs/access_log")
        try FileManager.default.moveItem(atPath: accessLog, toPath: accessLog + ".1")
        daemon.sendSignal(SIGUSR1)
        #expect(eventually(timeout: 10) { daemon.errorLog.components(separatedBy: "IS00094").count > reloads },
                "error log: \(daemon.errorLog)")
        #expect(eventually(timeout: 5) { daemon.root.read("logs/access_log.1").split(separator: "\n").count == 20 })
        let rotated = daemon.root.read("logs/access_log.1").split(separator: "\n")
        #expect(rotated.count == 20)
        #expect(rotated.allSatisfy { $0.contains("GET /a.txt?before=") })

        for i in 0..<20 { #expect(try daemon.get("/a.txt?after=\(i)").status == 200) }
        daemon.sendSignal(SIGTERM)
        #expect(daemon.waitForExit(timeout: 10) != nil)
        let after = daemon.accessLogLines
        #expect(after.count == 20, "access log after the stop: \(after)")
        #expect(after.allSatisfy { $0.contains("GET /a.txt?after=") })
        #expect(!daemon.errorLog.contains("IS0236"))
    }
}
