@testable import CrashBoard
import Foundation
import Testing

/// The board as the parent reads it: calls in progress are listed, finished ones are
/// not, and reading empties it for the next serving process. (The fault handler itself
/// is exercised end to end by CrashRecoveryTests: it needs a process to die.)
/// The board is per process and other suites' extension calls may appear on it: the
/// tests look only for their own calls.
@Suite(.serialized) struct CrashBoardTests {
    @Test func callsInProgressAreReportedAndReadingEmptiesTheBoard() throws {
        let descriptor = try CrashBoard.create()
        defer { close(descriptor) }
        _ = CrashBoard.takeReport()

        let inside = CrashBoard.during(extensionPath: "/srv/a.dll", request: "GET /a.dll?x HTTP/1.1 from 10.0.0.1") {
            CrashBoard.takeReport()
        }
        let call = CrashReport.Call(extensionPath: "/srv/a.dll", request: "GET /a.dll?x HTTP/1.1 from 10.0.0.1")
        #expect(inside.faultSignal == nil)
        #expect(inside.crashedCall == nil)
        #expect(inside.otherCalls.contains(call))

        let after = CrashBoard.takeReport()
        #expect(!after.otherCalls.contains(call))
    }

    @Test func longTextIsTruncatedNotOverrun() throws {
        let descriptor = try CrashBoard.create()
        defer { close(descriptor) }
        let long = String(repeating: "x", count: 10_000)
        let report = CrashBoard.during(extensionPath: long, request: long) { CrashBoard.takeReport() }
        let call = try #require(report.otherCalls.first { $0.extensionPath.hasPrefix("xxx") })
        #expect(call.extensionPath.count == 511)
        #expect(call.request.count == 1023)
    }

    /// The parent tells systemd READY=1 when the count changes: each markServing raises it,
    /// and emptying the board after a crash does not reset it.
    @Test func servingCountRisesAndSurvivesEmptying() throws {
        let descriptor = try CrashBoard.create()
        defer { close(descriptor) }
        let start = CrashBoard.servingCount
        CrashBoard.markServing()
        #expect(CrashBoard.servingCount == start &+ 1)
        #expect(CrashBoard.takeReport().wasServing)
        #expect(CrashBoard.servingCount == start &+ 1)
        CrashBoard.markServing()
        #expect(CrashBoard.servingCount == start &+ 2)
    }
}
