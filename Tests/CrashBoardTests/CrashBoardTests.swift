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

    /// An extension call names its request by parts; the board reads the same text as
    /// for the whole line given at once.
    @Test func aRequestGivenByPartsReadsAsItsLine() throws {
        let descriptor = try CrashBoard.create()
        defer { close(descriptor) }
        let inside = CrashBoard.during(extensionPath: "/srv/b.dll", method: "POST", target: "/b.dll?y=1",
                                       versionMajor: 1, versionMinor: 0, client: "10.0.0.2") {
            CrashBoard.takeReport()
        }
        #expect(inside.otherCalls.contains(
            CrashReport.Call(extensionPath: "/srv/b.dll", request: "POST /b.dll?y=1 HTTP/1.0 from 10.0.0.2")))
        let wide = CrashBoard.during(extensionPath: "/srv/c.dll", method: "GET", target: "/c.dll",
                                     versionMajor: 12, versionMinor: -3, client: "::1") {
            CrashBoard.takeReport()
        }
        #expect(wide.otherCalls.contains(
            CrashReport.Call(extensionPath: "/srv/c.dll", request: "GET /c.dll HTTP/12.-3 from ::1")))
    }

    /// A filter call's text starts with its lead (the filter and its notification).
    @Test func aLeadComesBeforeTheRequest() throws {
        let descriptor = try CrashBoard.create()
        defer { close(descriptor) }
        let inside = CrashBoard.during(extensionPath: "/srv/f.dll", lead: "ISAPI filter: SF_NOTIFY_LOG for ",
                                       method: "GET", target: "/a.txt", versionMajor: 1, versionMinor: 1,
                                       client: "127.0.0.1") { CrashBoard.takeReport() }
        #expect(inside.otherCalls.contains(CrashReport.Call(
            extensionPath: "/srv/f.dll", request: "ISAPI filter: SF_NOTIFY_LOG for GET /a.txt HTTP/1.1 from 127.0.0.1")))
    }

    @Test func aLongRequestByPartsIsTruncatedNotOverrun() throws {
        let descriptor = try CrashBoard.create()
        defer { close(descriptor) }
        let long = String(repeating: "x", count: 10_000)
        let report = CrashBoard.during(extensionPath: "/srv/d.dll", method: "GET", target: long,
                                       versionMajor: 1, versionMinor: 1, client: long) { CrashBoard.takeReport() }
        let call = try #require(report.otherCalls.first { $0.extensionPath == "/srv/d.dll" })
        #expect(call.request.count == 1023)
        #expect(call.request.hasPrefix("GET xxx"))
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
