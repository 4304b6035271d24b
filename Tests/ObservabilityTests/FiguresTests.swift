import CrashBoard
import Foundation
import Testing

@testable import Observability

/// The figures' own bookkeeping (this process has no crash board: its own memory).
@Suite struct FiguresTests {
    @Test func requestTotalsAddUp() {
        let before = SharedFigures.requestTotals
        let figures = ServerFigures()
        figures.requests.ended(method: "GET", status: 204, bytesIn: 0, bytesOut: 2048, durationMicroseconds: 1500)
        let after = SharedFigures.requestTotals
        // Other tests may count at the same time: at least ours.
        #expect(after.accesses >= before.accesses + 1)
        #expect(after.bytes >= before.bytes + 2048)
        #expect(after.durationMicroseconds >= before.durationMicroseconds + 1500)
        #expect(figures.requests.count(method: 0, statusClass: 1) == 1)
    }

    @Test func restartsKeepTheirCausesAndCountCrashesPerExtension() {
        let path = "/tmp/figures-test-\(UUID().uuidString).dll"
        let before = SharedFigures.childRestarts
        SharedFigures.noteRestart(
            signal: 11, cause: "exit signal Segmentation fault (11) in \(path)", extensionPath: path)
        SharedFigures.noteRestart(signal: 6, cause: "exit signal Aborted (6) in \(path)", extensionPath: path)
        #expect(SharedFigures.childRestarts >= before + 2)
        #expect(SharedFigures.crashesByExtension[path] == 2)
        let newest = SharedFigures.recentRestarts.first { $0.extensionPath == path }
        #expect(newest?.signal == 6 && newest?.cause == "exit signal Aborted (6) in \(path)")
    }

    @Test func connectionSlotsComeAndGo() {
        let board = ConnectionBoard()
        let first = board.open()
        let second = board.open()
        second.set(.keepAlive)
        #expect(board.states.sorted { $0.rawValue < $1.rawValue } == [.keepAlive, .reading])
        board.close(first)
        #expect(board.states == [.keepAlive])
        #expect(board.accepted.load(ordering: .relaxed) == 2)
    }

    @Test func extensionCallsErrorsAndTime() {
        let table = ExtensionFiguresTable()
        let figures = table.figures(for: "/srv/x.dll")
        figures.measure { .succeeded }
        figures.measure {
            #expect(figures.inFlight.load(ordering: .relaxed) == 1)
            return .failed
        }
        #expect(table.figures(for: "/srv/x.dll") === figures)
        #expect(figures.calls.load(ordering: .relaxed) == 2 && figures.errors.load(ordering: .relaxed) == 1)
        #expect(figures.inFlight.load(ordering: .relaxed) == 0 && figures.time.count == 2)
    }
}
