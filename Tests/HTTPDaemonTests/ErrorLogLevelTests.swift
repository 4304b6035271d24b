import Foundation
import Logging
import ServerConfig
import Testing
@testable import HTTPDaemon

/// LogLevel filtering of the error log, with Apache's exception for notice messages.
@Suite struct ErrorLogLevelTests {
    @Test func noticeIsAlwaysWrittenOtherLevelsFollowLogLevel() throws {
        let path = NSTemporaryDirectory() + "/isapid-errorlog-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try LogFileWriter(path: path)
        var levels = LogLevelSetting()
        levels.level = .warn
        let logger = Logger.errorLog("core", writer: writer, levels: levels)
        logger.info("an info line")
        logger.notice("a notice line")
        logger.warning("a warning line")
        writer.flush()
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(!text.contains("an info line"))
        #expect(text.contains("[core:notice]") && text.contains("a notice line"))
        #expect(text.contains("[core:warn]") && text.contains("a warning line"))
    }
}
