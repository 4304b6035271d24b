import Foundation
import Testing

/// An extension that never answers: after Timeout the client gets 504, the thread is
/// logged as stuck, and the rest of the server keeps serving.
@Suite struct StuckExtensionTests {
    @Test func silentExtensionGets504AndTheServerGoesOn() throws {
        let daemon = try ISAPITests.start([], config: { ISAPITests.config($0, extra: "Timeout 1\nThreadsPerChild 2") }) { root in
            // Sleeps (without writing) for the seconds in its query, then answers "late".
            try ISAPITests.installMisbehaving("sleeper", into: root)
        }
        defer { daemon.stop() }
        let started = Date()
        let stuck = try daemon.get("/scripts/sleeper.dll?3")
        #expect(stuck.status == 504)
        #expect(Date().timeIntervalSince(started) < 2.5)
        // Both pool threads stuck: static files still come from the event loop.
        let second = try daemon.get("/scripts/sleeper.dll?3")
        #expect(second.status == 504)
        #expect(try daemon.get("/a.txt").status == 200)
        // Once the threads come back, an extension that answers in time is served as usual.
        Thread.sleep(forTimeInterval: max(0, 3.3 - Date().timeIntervalSince(started)))
        let quick = try daemon.get("/scripts/sleeper.dll?0")
        #expect(quick.status == 200)
        #expect(String(decoding: quick.body, as: UTF8.self).contains("late"))
        #expect(eventually(timeout: 3) { daemon.root.read("logs/error_log").contains("IS02030") })
    }
}
