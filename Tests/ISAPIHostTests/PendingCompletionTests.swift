import Foundation
import Testing
@testable import ISAPIHost

/// The PENDING wait: DONE_WITH_SESSION ends it, silence ends it, callbacks keep it going.
@Suite struct PendingCompletionTests {
    @Test func aSignalBeforeTheWaitIsKept() {
        let pending = PendingCompletion()
        pending.signal()
        #expect(pending.wait(timeout: .now() + 5) == .success)
    }

    @Test func silenceEndsTheWait() {
        let pending = PendingCompletion()
        let started = Date()
        #expect(pending.wait(timeout: .now() + 0.2) == .timedOut)
        let elapsed = Date().timeIntervalSince(started)
        #expect(elapsed >= 0.19 && elapsed < 2, "\(elapsed)")
    }

    /// Callbacks every 0.1 s for 1.5 s outlast a 1 s silence limit; then the signal ends the wait.
    @Test func callbacksMoveTheDeadline() {
        let pending = PendingCompletion()
        let worker = Thread {
            for _ in 0..<15 {
                Thread.sleep(forTimeInterval: 0.1)
                pending.noteActivity()
            }
            pending.signal()
        }
        let started = Date()
        worker.start()
        #expect(pending.wait(timeout: .now() + 1) == .success)
        #expect(Date().timeIntervalSince(started) >= 1.4)
    }
}

@Suite struct BackslashClimbTests {
    @Test(arguments: ["/..\\secret.txt", "/sub\\..\\..\\x", "\\..", "/a/..\\b", "/htdocs/x\\..\\"])
    func dotDotDelimitedByABackslash(_ path: String) {
        #expect(BackslashClimb.hasDotDot(path))
    }

    @Test(arguments: ["/a/b", "/..x\\y", "/a\\b", "/...\\x", "/a..\\b", "/%2e%2e\\x", ""])
    func noDotDotSegment(_ path: String) {
        #expect(!BackslashClimb.hasDotDot(path))
    }

    @Test func pathTranslatedIsEmptiedOnlyForSuchAPathInfo() {
        func request(_ pathInfo: String) -> ISAPIRequest {
            ISAPIRequest(method: "GET", queryString: "", pathInfo: pathInfo, pathTranslated: "/r/htdocs" + pathInfo,
                         contentType: "", contentLength: nil, isChunked: false,
                         variables: [("PATH_INFO", pathInfo), ("PATH_TRANSLATED", "/r/htdocs" + pathInfo)], rawHeaders: [])
        }
        var climbing = request("/..\\secret.txt")
        climbing.removeBackslashClimb()
        #expect(climbing.pathTranslated == "")
        #expect(climbing.variables.map(\.value) == ["/..\\secret.txt", ""])
        var plain = request("/sub/a\\b.txt")
        plain.removeBackslashClimb()
        #expect(plain.pathTranslated == "/r/htdocs/sub/a\\b.txt")
    }
}
