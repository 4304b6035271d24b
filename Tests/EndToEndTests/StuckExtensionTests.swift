import Foundation
import Testing

/// An extension that never answers: after Timeout the client gets 504, the thread is
/// logged as stuck, and the rest of the server keeps serving.
@Suite struct StuckExtensionTests {
    /// Sleeps (without writing) for the seconds in its query, then answers "late".
    static let sleeper = """
        #include <stdlib.h>
        #include <string.h>
        #include <unistd.h>
        #include <httpext.h>
        BOOL WINAPI GetExtensionVersion(HSE_VERSION_INFO *v) {
            v->dwExtensionVersion = MAKELONG(HSE_VERSION_MINOR, HSE_VERSION_MAJOR);
            strcpy(v->lpszExtensionDesc, "sleeper");
            return TRUE;
        }
        DWORD WINAPI HttpExtensionProc(EXTENSION_CONTROL_BLOCK *ecb) {
            sleep((unsigned)atoi(ecb->lpszQueryString));
            char head[] = "Content-Type: text/plain\\r\\n\\r\\n";
            HSE_SEND_HEADER_EX_INFO info = { "200 OK", head, 6, sizeof(head) - 1, FALSE };
            ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_SEND_RESPONSE_HEADER_EX, &info, NULL, NULL);
            DWORD length = 5;
            ecb->WriteClient(ecb->ConnID, "late\\n", &length, HSE_IO_SYNC);
            return HSE_STATUS_SUCCESS;
        }
        """

    @Test func silentExtensionGets504AndTheServerGoesOn() throws {
        let daemon = try ISAPITests.start([], config: { ISAPITests.config($0, extra: "Timeout 1\nThreadsPerChild 2") }) { root in
            try FileManager.default.createDirectory(atPath: root.path("htdocs/scripts"), withIntermediateDirectories: true)
            try ISAPITests.compileExtension(Self.sleeper, to: root.path("htdocs/scripts/sleeper.dll"))
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
