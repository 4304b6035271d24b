import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// ISAPI filters, the second pass of issue 17: the filter host is no handler; FINISHED
/// closes the connection (FINISHED_KEEP_CONN keeps it); the daemon's own error answers
/// pass SEND_RESPONSE; AUTHENTICATION's user is the request's user.
@Suite struct FilterAnswerTests {
    /// A filter that answers `/finish` (FINISHED) and `/keep` (FINISHED_KEEP_CONN) itself.
    static func answerer(into root: ServerRoot) throws {
        _ = try FilterServingTests.compileFilter(
            "answerer", flags: "SF_NOTIFY_PREPROC_HEADERS",
            body: """
                if (notification == SF_NOTIFY_PREPROC_HEADERS
                    && (url_is(pfc, data, "/finish") || url_is(pfc, data, "/keep"))) {
                    pfc->ServerSupportFunction(pfc, SF_REQ_SEND_RESPONSE_HEADER, "200 OK",
                                               (ULONG_PTR)"Content-Type: text/plain\\r\\n", 0);
                    DWORD length = 4;
                    pfc->WriteClient(pfc, "own\\n", &length, 0);
                    return url_is(pfc, data, "/finish") ? SF_STATUS_REQ_FINISHED : SF_STATUS_REQ_FINISHED_KEEP_CONN;
                }
                """, into: root)
    }

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

    @Test("SF_STATUS_REQ_FINISHED closes the connection after the filter's answer; FINISHED_KEEP_CONN keeps it")
    func finishedClosesTheConnection() throws {
        let root = try ServerRoot()
        try TestConfig.writeSite(root)
        try Self.answerer(into: root)
        try root.writeConfig(TestConfig.standard("ISAPIFilter filters/answerer.dll"))
        let daemon = try DaemonProcess(root: root)
        let client = try daemon.connect()
        try client.send("GET /keep HTTP/1.1\r\nHost: localhost\r\n\r\n")
        let kept = try #require(client.readResponses(1).first)
        #expect(kept.status == 200 && kept.bodyText == "own\n")
        #expect(kept.header("Connection") != "close", "\(kept.headers)")
        // The same connection serves the next request.
        try client.send("GET /a.txt HTTP/1.1\r\nHost: localhost\r\n\r\n")
        #expect(client.readResponses(1).first?.status == 200)
        try client.send("GET /finish HTTP/1.1\r\nHost: localhost\r\n\r\n")
        let finished = try #require(client.readResponses(1).first)
        #expect(finished.status == 200 && finished.bodyText == "own\n")
        #expect(finished.header("Connection") == "close", "\(finished.headers)")
        #expect(client.waitForClose(timeout: 5))
        // The next connection is kept alive again (the close was that request's only).
        let next = try daemon.connect()
        try next.send("GET /a.txt HTTP/1.1\r\nHost: localhost\r\n\r\n")
        let plain = try #require(next.readResponses(1).first)
        #expect(plain.status == 200 && plain.header("Connection") != "close", "\(plain.headers)")
    }

    @Test("The daemon's own answers pass SEND_RESPONSE: 417, 413, 400 of a parsed request; garbage gets none")
    func daemonAnswersPassSendResponse() throws {
        let daemon = try Self.addheaderDaemon("LimitRequestBody 10")
        let expectation = try daemon.request(
            "GET /a.txt HTTP/1.1\r\nHost: localhost\r\nExpect: teapot\r\nConnection: close\r\n\r\n")
        #expect(expectation.status == 417)
        #expect(expectation.header("X-Filtered-By") == "isapid addheader", "\(expectation.headers)")
        let tooLarge = try daemon.request(
            "POST /a.txt HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n20\r\n"
                + String(repeating: "x", count: 32) + "\r\n0\r\n\r\n", method: "POST")
        #expect(tooLarge.status == 413)
        #expect(tooLarge.header("X-Filtered-By") == "isapid addheader", "\(tooLarge.headers)")
        let badHeader = try daemon.request("GET /a.txt HTTP/1.1\r\nHost: localhost\r\nNo colon here\r\n\r\n")
        #expect(badHeader.status == 400)
        #expect(badHeader.header("X-Filtered-By") == "isapid addheader", "\(badHeader.headers)")
        let garbage = try daemon.request("\u{1}\u{2}\u{3} garbage\r\n\r\n")
        #expect(garbage.status == 400)
        #expect(garbage.header("X-Filtered-By") == nil, "\(garbage.headers)")
    }

    @Test("408 on a body that trickles passes SEND_RESPONSE")
    func slowBodyTimeout() throws {
        let daemon = try Self.addheaderDaemon("Timeout 1")
        let client = try daemon.connect()
        try client.send("GET /a.txt HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000\r\n\r\n")
        // A trickle (5 bytes a second, below the minimum rate) until the daemon answers.
        for _ in 0..<40 {
            try? client.send("b")
            if client.read(timeout: 0.2, until: { HTTPResponseParser.find(Array("\r\n\r\n".utf8), in: $0, from: 0) != nil }) {
                break
            }
        }
        let response = try #require(client.readResponses(1, timeout: 5).first, "\(client.bufferText)")
        #expect(response.status == 408)
        #expect(response.header("X-Filtered-By") == "isapid addheader", "\(response.headers)")
    }

    @Test("AUTHENTICATION's user is the request's user: REMOTE_USER for extensions and filters, %u; once per request")
    func authenticatedUser() throws {
        let daemon = try ISAPITests.start(
            [],
            config: { root in
                ISAPITests.config(root, extra: "ISAPIFilter filters/mapper.dll\nErrorDocument 404 /scripts/user.dll")
            },
            prepare: { root in
                try FileManager.default.createDirectory(
                    atPath: root.path("htdocs/scripts"), withIntermediateDirectories: true)
                try ISAPITests.compileExtension(Self.userExtension, to: root.path("htdocs/scripts/user.dll"))
                // AUTHENTICATION maps every request to "mapped" and notes each call in
                // logs/auth.calls; SEND_RESPONSE shows REMOTE_USER as a filter sees it.
                _ = try FilterServingTests.compileFilter(
                    "mapper", flags: "SF_NOTIFY_AUTHENTICATION | SF_NOTIFY_SEND_RESPONSE",
                    body: """
                        if (notification == SF_NOTIFY_AUTHENTICATION) {
                            HTTP_FILTER_AUTHENT *auth = data;
                            strcpy(auth->pszUser, "mapped");
                            FILE *calls = fopen("\(root.path("logs/auth.calls"))", "a");
                            if (calls) { fputs("auth\\n", calls); fclose(calls); }
                        }
                        if (notification == SF_NOTIFY_SEND_RESPONSE) {
                            HTTP_FILTER_SEND_RESPONSE *response = data;
                            char user[64];
                            DWORD size = sizeof user;
                            if (pfc->GetServerVariable(pfc, "REMOTE_USER", user, &size))
                                response->SetHeader(pfc, "X-Remote-User:", user);
                        }
                        """, into: root)
            })
        let direct = try daemon.get("/scripts/user.dll")
        #expect(direct.status == 200)
        #expect(direct.bodyText == "REMOTE_USER=mapped AUTH_USER=mapped LOGON_USER=mapped", "\(direct.bodyText)")
        #expect(direct.header("X-Remote-User") == "mapped")
        #expect(daemon.root.read("logs/auth.calls") == "auth\n")
        // An ErrorDocument is an internal redirect: AUTHENTICATION runs once, the user kept.
        let redirected = try daemon.get("/missing.txt")
        #expect(redirected.bodyText == "REMOTE_USER=mapped AUTH_USER=mapped LOGON_USER=mapped", "\(redirected.bodyText)")
        #expect(daemon.root.read("logs/auth.calls") == "auth\nauth\n")
        #expect(
            eventually(timeout: 5) { daemon.accessLog.contains(" - mapped [") && daemon.accessLogLines.count >= 2 },
            "access log: \(daemon.accessLog)")
        #expect(daemon.accessLogLines.allSatisfy { $0.contains(" - mapped [") }, "access log: \(daemon.accessLog)")
    }

    @Test("SF_REQ_SET_NEXT_READ_SIZE: the next READ_RAW_DATA shows at most that many bytes, the rest comes after")
    func nextReadSize() throws {
        let root = try ServerRoot()
        try TestConfig.writeSite(root)
        let sizes = root.path("logs/read.sizes")
        // Notes each notification's cbInData; on the connection's first, asks for 4-byte reads.
        _ = try FilterServingTests.compileFilter(
            "sizer", flags: "SF_NOTIFY_READ_RAW_DATA",
            body: """
                if (notification == SF_NOTIFY_READ_RAW_DATA) {
                    FILE *file = fopen("\(sizes)", "a");
                    if (file) { fprintf(file, "%u\\n", (unsigned)((HTTP_FILTER_RAW_DATA *)data)->cbInData); fclose(file); }
                    if (pfc->pFilterContext == NULL) {
                        pfc->pFilterContext = (VOID *)1;
                        pfc->ServerSupportFunction(pfc, SF_REQ_SET_NEXT_READ_SIZE, NULL, 4, 0);
                    }
                }
                """, into: root)
        try root.writeConfig(TestConfig.standard("ISAPIFilter filters/sizer.dll"))
        let daemon = try DaemonProcess(root: root)
        let client = try daemon.connect()
        try client.send("GET /a.txt HTTP/1.1\r\n")
        #expect(eventually(timeout: 5) { root.read("logs/read.sizes") == "21\n" }, "\(root.read("logs/read.sizes"))")
        try client.send("Host: localhost\r\nConnection: close\r\n\r\n")
        let response = try #require(client.readResponses(1).first)
        #expect(response.status == 200)
        #expect(root.read("logs/read.sizes") == "21\n4\n34\n")
    }

    /// Writes `REMOTE_USER=... AUTH_USER=... LOGON_USER=...`.
    static let userExtension = #"""
        #include <stdio.h>
        #include <string.h>
        #include <httpext.h>
        BOOL WINAPI GetExtensionVersion(HSE_VERSION_INFO *v) {
            v->dwExtensionVersion = MAKELONG(HSE_VERSION_MINOR, HSE_VERSION_MAJOR);
            strcpy(v->lpszExtensionDesc, "user");
            return TRUE;
        }
        DWORD WINAPI HttpExtensionProc(EXTENSION_CONTROL_BLOCK *ecb) {
            const char *names[] = {"REMOTE_USER", "AUTH_USER", "LOGON_USER"};
            char out[512] = "";
            for (int i = 0; i < 3; i++) {
                char value[128] = "";
                DWORD size = sizeof value;
                if (!ecb->GetServerVariable(ecb->ConnID, (LPSTR)names[i], value, &size)) strcpy(value, "?");
                snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s=%s", i ? " " : "", names[i], value);
            }
            DWORD length = (DWORD)strlen(out);
            ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_SEND_RESPONSE_HEADER, NULL, NULL,
                                       (LPDWORD)"Content-Type: text/plain\r\n\r\n");
            ecb->WriteClient(ecb->ConnID, out, &length, 0);
            return HSE_STATUS_SUCCESS;
        }
        """#
}
