import Foundation
import ServerConfig
import Testing
@testable import RequestPipeline

/// Sat Nov 21 19:02:22 2026 UTC
private let sampleTime: Int64 = 1_795_287_742

struct ErrorLogLineTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var seconds: Int64 = sampleTime
        var microseconds = 123_456
        var offset = 0
        var module = "core"
        var level = "error"
        var client: String? = "127.0.0.1:5555"
        var messageID: String? = "IS00128"
        var message = "File does not exist: /x"
        var expected: String

        var testDescription: String { expected }
    }

    @Test(arguments: [
        Case(expected: "[Sat Nov 21 19:02:22.123456 2026] [core:error] [pid 1234:tid 140234] [client 127.0.0.1:5555] "
             + "IS00128: File does not exist: /x"),
        Case(client: nil, expected: "[Sat Nov 21 19:02:22.123456 2026] [core:error] [pid 1234:tid 140234] "
             + "IS00128: File does not exist: /x"),
        Case(messageID: nil, expected: "[Sat Nov 21 19:02:22.123456 2026] [core:error] [pid 1234:tid 140234] "
             + "[client 127.0.0.1:5555] File does not exist: /x"),
        Case(module: "isapi", level: "trace3", client: nil, messageID: nil, message: "starting",
             expected: "[Sat Nov 21 19:02:22.123456 2026] [isapi:trace3] [pid 1234:tid 140234] starting"),
        Case(microseconds: 7, client: "[::1]:40000", messageID: nil, message: "m",
             expected: "[Sat Nov 21 19:02:22.000007 2026] [core:error] [pid 1234:tid 140234] [client [::1]:40000] m"),
        Case(offset: -25_200, client: nil, messageID: nil, message: "m",
             expected: "[Sat Nov 21 12:02:22.123456 2026] [core:error] [pid 1234:tid 140234] m"),
        Case(offset: 19_800, client: nil, messageID: nil, message: "m",
             expected: "[Sun Nov 22 00:32:22.123456 2026] [core:error] [pid 1234:tid 140234] m"),
        Case(seconds: 970_000_000, microseconds: 0, client: nil, messageID: nil, message: "m",
             expected: "[Tue Sep 26 20:26:40.000000 2000] [core:error] [pid 1234:tid 140234] m"),
        Case(seconds: 1_767_225_599, microseconds: 999_999, client: nil, messageID: nil, message: "m",
             expected: "[Wed Dec 31 23:59:59.999999 2025] [core:error] [pid 1234:tid 140234] m"),
    ])
    func goldenLines(_ c: Case) {
        let line = ErrorLogLine.format(
            timeSeconds: c.seconds, microseconds: c.microseconds, utcOffsetSeconds: c.offset, module: c.module,
            level: c.level, pid: 1234, tid: 140_234, client: c.client, messageID: c.messageID, message: c.message)
        #expect(line == c.expected)
    }

    @Test(arguments: [
        ("two\nlines", #"two\nlines"#),
        ("tab\there\r", #"tab\there\r"#),
        (#"quote " stays, backslash \ doubles"#, #"quote " stays, backslash \\ doubles"#),
        ("bell\u{07} del\u{7F} nul\u{00}", #"bell\x07 del\x7f nul\x00"#),
        ("/srv/café", #"/srv/caf\xc3\xa9"#),
        ("100% done", "100% done"),
    ])
    func messagesAreEscaped(message: String, expected: String) {
        let line = ErrorLogLine.format(
            timeSeconds: sampleTime, microseconds: 0, utcOffsetSeconds: 0, module: "core", level: "warn",
            pid: 1, tid: 2, client: nil, messageID: nil, message: message)
        #expect(line == "[Sat Nov 21 19:02:22.000000 2026] [core:warn] [pid 1:tid 2] " + expected)
    }

    /// A message whose untrusted parts ISAPIHost escaped already (LogText): its
    /// backslashes stay single, the rest is escaped as ever.
    @Test(arguments: [
        (#"bad status "\xff\xfe 200""#, #"bad status "\xff\xfe 200""#),
        ("a\\b and\ttab", #"a\b and\ttab"#),
        ("/srv/café", #"/srv/caf\xc3\xa9"#),
    ])
    func escapedMessagesKeepTheirBackslashes(message: String, expected: String) {
        let line = ErrorLogLine.format(
            timeSeconds: sampleTime, microseconds: 0, utcOffsetSeconds: 0, module: "isapi", level: "error",
            pid: 1, tid: 2, client: nil, messageID: "IS02005", message: message, messageIsEscaped: true)
        #expect(line == "[Sat Nov 21 19:02:22.000000 2026] [isapi:error] [pid 1:tid 2] IS02005: " + expected)
    }

    /// The public entry point uses the process's local time zone, as Apache does.
    @Test func publicFormatUsesLocalTime() {
        let offset = ErrorLogLine.localUTCOffset(atSeconds: sampleTime)
        let viaLocal = ErrorLogLine.format(
            timeSeconds: sampleTime, microseconds: 5, module: "core", level: "notice", pid: 42, tid: 7,
            client: nil, messageID: "IS00001", message: "ready")
        let viaOffset = ErrorLogLine.format(
            timeSeconds: sampleTime, microseconds: 5, utcOffsetSeconds: offset, module: "core", level: "notice",
            pid: 42, tid: 7, client: nil, messageID: "IS00001", message: "ready")
        #expect(viaLocal == viaOffset)
        #expect(viaLocal.hasSuffix("] [core:notice] [pid 42:tid 7] IS00001: ready"))
    }

    @Test func localOffsetMatchesFoundation() {
        let offset = ErrorLogLine.localUTCOffset(atSeconds: sampleTime)
        let date = Date(timeIntervalSince1970: TimeInterval(sampleTime))
        #expect(offset == TimeZone.current.secondsFromGMT(for: date))
    }

    // MARK: Levels (ApacheLogLevel lives in ServerConfig)

    @Test(arguments: [
        ("emerg", ApacheLogLevel.emerg), ("ALERT", .alert), ("Crit", .crit), ("error", .error), ("warn", .warn),
        ("notice", .notice), ("info", .info), ("debug", .debug), ("trace1", .trace1), ("TRACE8", .trace8),
    ])
    func levelNames(name: String, level: ApacheLogLevel) {
        #expect(ApacheLogLevel(name: name) == level)
        #expect(level.name == name.lowercased())
    }

    @Test(arguments: ["warning", "trace9", "", "err"])
    func unknownLevelNames(name: String) {
        #expect(ApacheLogLevel(name: name) == nil)
    }

    @Test func levelOrder() {
        let names = ApacheLogLevel.allCases.map(\.name)
        #expect(names == ["emerg", "alert", "crit", "error", "warn", "notice", "info", "debug",
                          "trace1", "trace2", "trace3", "trace4", "trace5", "trace6", "trace7", "trace8"])
        #expect(ApacheLogLevel.emerg < .error)
        #expect(ApacheLogLevel.debug < .trace1)
        #expect(ApacheLogLevel.warn > .crit)
    }
}
