import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// ISAPI filters end to end (issue 17): the sample filters (SwiftPM's `lib<name>.so` next
/// to isapid) and filters compiled here from C, on a daemon of the test's own.
@Suite struct FilterServingTests {
    /// Copies the sample `lib<name>.so` into `filters/<name>.dll`; returns its path.
    static func installSample(_ name: String, into root: ServerRoot) throws -> String {
        let library = ISAPITests.buildDirectory.appendingPathComponent("lib\(name).so")
        guard FileManager.default.fileExists(atPath: library.path) else {
            throw E2EError("\(library.path) is missing: build the sample filters (swift build)")
        }
        try FileManager.default.createDirectory(atPath: root.path("filters"), withIntermediateDirectories: true)
        let destination = root.path("filters/\(name).dll")
        try FileManager.default.copyItem(atPath: library.path, toPath: destination)
        return destination
    }

    /// A filter of `flags` whose HttpFilterProc body is `body` (pfc, notification, data in scope).
    static func compileFilter(_ name: String, flags: String, body: String, into root: ServerRoot) throws -> String {
        try FileManager.default.createDirectory(atPath: root.path("filters"), withIntermediateDirectories: true)
        let path = root.path("filters/\(name).dll")
        try ISAPITests.compileExtension(
            """
            #include <stdio.h>
            #include <string.h>
            #include <stdlib.h>
            #include <unistd.h>
            #include "httpfilt.h"
            /* PREPROC_HEADERS: whether the request's url is `want`. */
            __attribute__((unused)) static int url_is(HTTP_FILTER_CONTEXT *pfc, VOID *data, const char *want) {
                char url[256];
                DWORD size = sizeof url;
                HTTP_FILTER_PREPROC_HEADERS *headers = data;
                return headers->GetHeader(pfc, "url", url, &size) && strcmp(url, want) == 0;
            }
            BOOL WINAPI GetFilterVersion(HTTP_FILTER_VERSION *v) {
                strcpy(v->lpszFilterDesc, "\(name)");
                v->dwFlags = \(flags);
                return TRUE;
            }
            DWORD WINAPI HttpFilterProc(HTTP_FILTER_CONTEXT *pfc, DWORD notification, VOID *data) {
                (void)pfc; (void)notification; (void)data;
                \(body)
                return SF_STATUS_REQ_NEXT_NOTIFICATION;
            }
            """, to: path)
        return path
    }

    /// A filter that adds `X-Order: <name>` in SEND_RESPONSE.
    static func orderFilter(_ name: String, priority: String, into root: ServerRoot) throws -> String {
        try compileFilter(
            name, flags: "SF_NOTIFY_SEND_RESPONSE | \(priority)",
            body: """
                if (notification == SF_NOTIFY_SEND_RESPONSE)
                    ((HTTP_FILTER_SEND_RESPONSE *)data)->AddHeader(pfc, "X-Order:", "\(name)");
                """, into: root)
    }

    @Test("addheader: every answer carries the header (file, 404, redirect); the load line names it")
    func addHeader() throws {
        let root = try ServerRoot()
        try TestConfig.writeSite(root)
        let filter = try Self.installSample("addheader", into: root)
        try root.writeConfig(
            TestConfig.standard("ISAPIFilter filters/addheader.dll\nRedirect /gone http://example.org/"))
        let daemon = try DaemonProcess(root: root)
        for path in ["/a.txt", "/missing.txt", "/gone"] {
            let response = try daemon.get(path)
            #expect(response.header("X-Filtered-By") == "isapid addheader", "\(path): \(response.headers)")
        }
        #expect(
            eventually(timeout: 5) {
                daemon.errorLog.contains(
                    "IS02300: loaded ISAPI filter \(filter): \"addheader sample filter\" version 2.0, priority low, notifications SF_NOTIFY_SEND_RESPONSE"
                )
            })
    }

    @Test("urlrewrite: the rewrite pre-handler and the file mapping see the URL the filter set")
    func urlRewrite() throws {
        let root = try ServerRoot()
        try TestConfig.writeSite(root)
        _ = try Self.installSample("urlrewrite", into: root)
        try root.writeConfig(
            TestConfig.standard(
                """
                ISAPIFilter filters/urlrewrite.dll
                RewriteEngine On
                RewriteRule ^/new/(.*)$ /sub/$1 [PT]
                """))
        let daemon = try DaemonProcess(root: root)
        let response = try daemon.get("/old/file.txt")
        #expect(response.status == 200)
        #expect(response.bodyText == "file in sub\n")
        #expect(
            eventually(timeout: 5) { daemon.accessLog.contains("\"GET /new/file.txt HTTP/1.1\" 200") },
            "access log: \(daemon.accessLog)")
    }

    @Test("basicauth: 401 with the filter's challenge without credentials, 200 with listed ones")
    func basicAuth() throws {
        let root = try ServerRoot()
        try TestConfig.writeSite(root)
        try root.write("htdocs/private/secret.txt", "the secret\n")
        _ = try Self.installSample("basicauth", into: root)
        try root.write("filters/basicauth.users", "alice:wonderland\n")
        try root.writeConfig(TestConfig.standard("ISAPIFilter filters/basicauth.dll"))
        let daemon = try DaemonProcess(root: root)
        let denied = try daemon.get("/private/secret.txt")
        #expect(denied.status == 401)
        #expect(denied.header("WWW-Authenticate") == "Basic realm=\"private\"")
        let wrong = try daemon.get("/private/secret.txt", headers: ["Authorization: Basic YWxpY2U6d3Jvbmc="])
        #expect(wrong.status == 401)
        let allowed = try daemon.get("/private/secret.txt", headers: ["Authorization: Basic YWxpY2U6d29uZGVybGFuZA=="])
        #expect(allowed.status == 200 && allowed.bodyText == "the secret\n")
        #expect(try daemon.get("/a.txt").status == 200)
    }

    @Test("logscrub: the access log shows the LOG notification's changed fields")
    func logScrub() throws {
        let root = try ServerRoot()
        try TestConfig.writeSite(root)
        _ = try Self.installSample("logscrub", into: root)
        try root.writeConfig(TestConfig.standard("ISAPIFilter filters/logscrub.dll"))
        let daemon = try DaemonProcess(root: root)
        #expect(try daemon.get("/a.txt?user=bob&password=hunter2&x=1").status == 200)
        #expect(
            eventually(timeout: 5) { daemon.accessLog.contains("GET /a.txt?user=bob&password=***&x=1 HTTP/1.1") },
            "access log: \(daemon.accessLog)")
        #expect(!daemon.accessLog.contains("hunter2"))
    }

    @Test("Order: global filters before the site's; within each, high, medium, low, then configuration order")
    func order() throws {
        let root = try ServerRoot()
        try TestConfig.writeSite(root)
        for (name, priority) in [
            ("g-low", "SF_NOTIFY_ORDER_LOW"), ("g-high", "SF_NOTIFY_ORDER_HIGH"),
            ("g-default", "0"), ("g-medium", "SF_NOTIFY_ORDER_MEDIUM"),
            ("s-low", "SF_NOTIFY_ORDER_LOW"), ("s-high", "SF_NOTIFY_ORDER_HIGH"),
        ] {
            _ = try Self.orderFilter(name, priority: priority, into: root)
        }
        try root.writeConfig(
            TestConfig.standard(
                """
                ISAPIFilter filters/g-low.dll
                ISAPIFilter filters/g-high.dll
                ISAPIFilter filters/g-default.dll
                ISAPIFilter filters/g-medium.dll
                <VirtualHost *:*>
                    ServerName site.example
                    DocumentRoot "htdocs"
                    ISAPIFilter filters/s-low.dll
                    ISAPIFilter filters/s-high.dll
                </VirtualHost>
                <VirtualHost *:*>
                    ServerName other.example
                    DocumentRoot "htdocs"
                </VirtualHost>
                """))
        let daemon = try DaemonProcess(root: root)
        let site = try daemon.request("GET /a.txt HTTP/1.1\r\nHost: site.example\r\nConnection: close\r\n\r\n")
        #expect(site.headerValues("X-Order") == ["g-high", "g-medium", "g-low", "g-default", "s-high", "s-low"])
        let other = try daemon.request("GET /a.txt HTTP/1.1\r\nHost: other.example\r\nConnection: close\r\n\r\n")
        #expect(other.headerValues("X-Order") == ["g-high", "g-medium", "g-low", "g-default"])
    }

    @Test("A filter whose GetFilterVersion fails: isapid -t warns with file:line; the daemon serves without it")
    func refusedFilter() throws {
        let root = try ServerRoot()
        try TestConfig.writeSite(root)
        let path = root.path("filters/refuse.dll")
        try FileManager.default.createDirectory(atPath: root.path("filters"), withIntermediateDirectories: true)
        try ISAPITests.compileExtension(
            """
            #include "httpfilt.h"
            BOOL WINAPI GetFilterVersion(HTTP_FILTER_VERSION *v) { (void)v; SetLastError(5); return FALSE; }
            DWORD WINAPI HttpFilterProc(HTTP_FILTER_CONTEXT *p, DWORD n, VOID *d) { (void)p; (void)n; (void)d; return 0; }
            """, to: path)
        _ = try Self.installSample("addheader", into: root)
        try root.writeConfig(TestConfig.standard("ISAPIFilter filters/refuse.dll\nISAPIFilter filters/addheader.dll"))
        let check = try runIsapid(["-t", "-d", root.path, "-f", "conf/httpd.conf"])
        #expect(check.status == 0)
        #expect(
            check.stderr.contains(
                "warning: \(root.path("conf/httpd.conf")):16: ISAPIFilter: GetFilterVersion() returned FALSE in ISAPI filter \(path) (last error 5)"
            ),
            "stderr: \(check.stderr)")
        #expect(check.stdout.contains("Syntax OK"))
        let daemon = try DaemonProcess(root: root)
        let response = try daemon.get("/a.txt")
        #expect(response.status == 200 && response.header("X-Filtered-By") == "isapid addheader")
        #expect(
            eventually(timeout: 5) {
                daemon.errorLog.contains(
                    "IS02301: \(root.path("conf/httpd.conf")):16: GetFilterVersion() returned FALSE in ISAPI filter \(path) (last error 5); serving without it"
                )
            },
            "error log: \(daemon.errorLog)")
    }

    @Test("A bad return code is a 500 with the filter named; the daemon keeps serving")
    func badReturnCode() throws {
        let root = try ServerRoot()
        try TestConfig.writeSite(root)
        let path = try Self.compileFilter("badcode", flags: "SF_NOTIFY_URL_MAP", body: "return 42;", into: root)
        try root.writeConfig(TestConfig.standard("ISAPIFilter filters/badcode.dll"))
        let daemon = try DaemonProcess(root: root)
        #expect(try daemon.get("/a.txt").status == 500)
        #expect(
            eventually(timeout: 5) {
                daemon.errorLog.contains(
                    "IS02303: ISAPI filter \(path) returned 42 (no SF_STATUS_* code) from HttpFilterProc for SF_NOTIFY_URL_MAP"
                )
            })
        #expect(try daemon.get("/a.txt").status == 500)
    }

    @Test("AllocMem abuse is refused past the connection's limit, logged, and the request still served")
    func allocMemAbuse() throws {
        let root = try ServerRoot()
        try TestConfig.writeSite(root)
        let path = try Self.compileFilter(
            "greedy", flags: "SF_NOTIFY_PREPROC_HEADERS",
            body: """
                for (int i = 0; i < 64; i++) if (!pfc->AllocMem(pfc, 1 << 20, 0)) break;
                """, into: root)
        try root.writeConfig(TestConfig.standard("ISAPIFilter filters/greedy.dll"))
        let daemon = try DaemonProcess(root: root)
        #expect(try daemon.get("/a.txt").status == 200)
        #expect(
            eventually(timeout: 5) {
                daemon.errorLog.contains("IS02305: ISAPI filter \(path): AllocMem(1048576) refused")
            })
        #expect(try daemon.get("/a.txt").status == 200)
    }

    @Test("A crashing filter: the supervising parent names the filter and the notification")
    func crash() throws {
        let root = try ServerRoot()
        try TestConfig.writeSite(root)
        let path = try Self.compileFilter(
            "crasher", flags: "SF_NOTIFY_SEND_RESPONSE",
            body: """
                if (notification == SF_NOTIFY_SEND_RESPONSE) { volatile int *p = NULL; *p = 1; }
                """, into: root)
        try root.writeConfig(TestConfig.standard("ISAPIFilter filters/crasher.dll"))
        let daemon = try DaemonProcess(root: root)
        let client = try daemon.connect()
        try client.send("GET /a.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        #expect(client.waitForClose(timeout: 10))
        #expect(
            eventually(timeout: 10) {
                daemon.errorLog.contains(
                    "IS00053: the crash was in \(path) while serving \"ISAPI filter: SF_NOTIFY_SEND_RESPONSE for GET /a.txt HTTP/1.1 from 127.0.0.1\""
                )
            }, "error log: \(daemon.errorLog)")
    }

    @Test("A filter that blocks holds a pool thread, not an event loop: other connections are answered meanwhile")
    func blockingFilter() throws {
        let root = try ServerRoot()
        try TestConfig.writeSite(root)
        let marker = root.path("entered")
        _ = try Self.compileFilter(
            "sleeper", flags: "SF_NOTIFY_PREPROC_HEADERS",
            body: """
                if (notification == SF_NOTIFY_PREPROC_HEADERS && url_is(pfc, data, "/b.txt")) {
                    FILE *file = fopen("\(marker)", "w");
                    if (file) fclose(file);
                    sleep(4);
                }
                """, into: root)
        try root.writeConfig(TestConfig.standard("ISAPIFilter filters/sleeper.dll"))
        let daemon = try DaemonProcess(root: root)
        let slow = try daemon.connect()
        try slow.send("GET /b.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        #expect(eventually(timeout: 5) { FileManager.default.fileExists(atPath: marker) })
        let started = Date()
        for _ in 0..<6 {
            #expect(try daemon.get("/a.txt").status == 200)
        }
        #expect(Date().timeIntervalSince(started) < 3, "answers waited for the blocked filter")
        #expect(slow.readResponses(1, timeout: 10).first?.status == 200)
    }

    @Test("Extensions see what PREPROC_HEADERS changed, and their answers pass SEND_RESPONSE")
    func extensionsSeeFilters() throws {
        let daemon = try ISAPITests.start(
            ["servervars"],
            config: { root in
                ISAPITests.config(root, extra: "ISAPIFilter filters/addheader.dll\nISAPIFilter filters/tagger.dll")
            },
            prepare: { root in
                _ = try Self.installSample("addheader", into: root)
                _ = try Self.compileFilter(
                    "tagger", flags: "SF_NOTIFY_PREPROC_HEADERS | SF_NOTIFY_AUTH_COMPLETE",
                    body: """
                        if (notification == SF_NOTIFY_PREPROC_HEADERS)
                            ((HTTP_FILTER_PREPROC_HEADERS *)data)->AddHeader(pfc, "X-From-Filter:", "tagged");
                        if (notification == SF_NOTIFY_AUTH_COMPLETE) {
                            HTTP_FILTER_AUTH_COMPLETE_INFO *info = data;
                            HANDLE token = (HANDLE)1;
                            BOOL got = info->GetUserToken(pfc, &token);
                            char seen[64];
                            DWORD size = sizeof seen;
                            if (!got && token == NULL && info->GetHeader(pfc, "X-From-Filter:", seen, &size))
                                info->SetHeader(pfc, "X-Auth-Complete:", seen);
                        }
                        """, into: root)
            })
        let response = try daemon.get("/scripts/servervars.dll")
        #expect(response.status == 200)
        #expect(response.bodyText.contains("HTTP_X_FROM_FILTER:tagged"), "body: \(response.bodyText)")
        // AUTH_COMPLETE: GetUserToken is FALSE (no token), GetHeader sees PREPROC's change, SetHeader reaches the extension.
        #expect(response.bodyText.contains("HTTP_X_AUTH_COMPLETE:tagged"), "body: \(response.bodyText)")
        #expect(response.header("X-Filtered-By") == "isapid addheader")
    }

    @Test("linkfix (SEND_RAW_DATA): static and extension bodies rewritten, longer, and framed for their new length")
    func sendRawData() throws {
        let daemon = try ISAPITests.start(
            ["hello"],
            config: { root in
                ISAPITests.config(root, extra: "ISAPIFilter filters/linkfix.dll")
            },
            prepare: { root in
                try TestConfig.writeSite(root)
                try root.write("htdocs/links.html", "<a href=\"http://example.org/\">x</a> http://b/\n")
                _ = try Self.installSample("linkfix", into: root)
            })
        let client = try daemon.connect()
        try client.send(
            "GET /links.html HTTP/1.1\r\nHost: localhost\r\n\r\nGET /a.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        )
        let responses = client.readResponses(2, timeout: 10)
        #expect(responses.count == 2)
        #expect(responses.first?.bodyText == "<a href=\"https://example.org/\">x</a> https://b/\n")
        #expect(responses.first?.header("Content-Length") == "\(responses.first?.body.count ?? -1)")
        #expect(responses.last?.bodyText == "alpha document\n")
        let hello = try daemon.get("/scripts/hello.dll")
        #expect(hello.status == 200)
        #expect(!hello.bodyText.isEmpty)
    }

    @Test("READ_RAW_DATA: a global filter rewrites the bytes before the request is parsed")
    func readRawData() throws {
        let root = try ServerRoot()
        try TestConfig.writeSite(root)
        _ = try Self.compileFilter(
            "rawread", flags: "SF_NOTIFY_READ_RAW_DATA",
            body: """
                if (notification == SF_NOTIFY_READ_RAW_DATA) {
                    HTTP_FILTER_RAW_DATA *raw = data;
                    char *bytes = raw->pvInData;
                    for (DWORD i = 0; i + 6 <= raw->cbInData; i++)
                        if (memcmp(bytes + i, "/x.txt", 6) == 0) memcpy(bytes + i, "/c.txt", 6);
                }
                """, into: root)
        try root.writeConfig(TestConfig.standard("ISAPIFilter filters/rawread.dll"))
        let daemon = try DaemonProcess(root: root)
        let response = try daemon.get("/x.txt")
        #expect(response.status == 200 && response.bodyText == "charlie\n")
    }

    @Test("URL_MAP: the physical path the filter writes is the file served")
    func urlMap() throws {
        let root = try ServerRoot()
        try TestConfig.writeSite(root)
        _ = try Self.compileFilter(
            "mapper", flags: "SF_NOTIFY_URL_MAP",
            body: """
                if (notification == SF_NOTIFY_URL_MAP) {
                    HTTP_FILTER_URL_MAP *map = data;
                    char *dot = strstr(map->pszPhysicalPath, "/b.txt");
                    if (dot) strcpy(dot, "/c.txt");
                }
                """, into: root)
        try root.writeConfig(TestConfig.standard("ISAPIFilter filters/mapper.dll"))
        let daemon = try DaemonProcess(root: root)
        #expect(try daemon.get("/b.txt").bodyText == "charlie\n")
        #expect(try daemon.get("/a.txt").bodyText == "alpha document\n")
    }

    @Test("FINISHED: the filter's own answer (SEND_RESPONSE_HEADER + WriteClient) is the response, and is logged")
    func finishedWithOwnAnswer() throws {
        let root = try ServerRoot()
        try TestConfig.writeSite(root)
        _ = try Self.compileFilter(
            "answerer", flags: "SF_NOTIFY_PREPROC_HEADERS",
            body: """
                if (notification == SF_NOTIFY_PREPROC_HEADERS && url_is(pfc, data, "/teapot")) {
                    pfc->ServerSupportFunction(pfc, SF_REQ_SEND_RESPONSE_HEADER, "418 I'm a teapot",
                                               (ULONG_PTR)"Content-Type: text/plain\\r\\n", 0);
                    DWORD length = 6;
                    pfc->WriteClient(pfc, "short\\n", &length, 0);
                    return SF_STATUS_REQ_FINISHED_KEEP_CONN;
                }
                """, into: root)
        try root.writeConfig(TestConfig.standard("ISAPIFilter filters/answerer.dll"))
        let daemon = try DaemonProcess(root: root)
        let response = try daemon.get("/teapot")
        #expect(response.status == 418)
        #expect(response.header("Content-Type") == "text/plain")
        #expect(response.bodyText == "short\n")
        #expect(
            eventually(timeout: 5) { daemon.accessLog.contains("\"GET /teapot HTTP/1.1\" 418 6") },
            "access log: \(daemon.accessLog)")
        #expect(try daemon.get("/a.txt").status == 200)
    }

    @Test("Reload: a dropped filter gets TerminateFilter and stops; a kept one is not reloaded; a new one loads")
    func reload() throws {
        let root = try ServerRoot()
        try TestConfig.writeSite(root)
        let kept = try Self.orderFilter("kept", priority: "SF_NOTIFY_ORDER_HIGH", into: root)
        let dropped = try Self.compileFilter(
            "dropped", flags: "SF_NOTIFY_SEND_RESPONSE",
            body: """
                if (notification == SF_NOTIFY_SEND_RESPONSE)
                    ((HTTP_FILTER_SEND_RESPONSE *)data)->AddHeader(pfc, "X-Order:", "dropped");
                """, into: root)
        _ = try Self.orderFilter("added", priority: "SF_NOTIFY_ORDER_LOW", into: root)
        try root.writeConfig(TestConfig.standard("ISAPIFilter filters/kept.dll\nISAPIFilter filters/dropped.dll"))
        let daemon = try DaemonProcess(root: root)
        #expect(try daemon.get("/a.txt").headerValues("X-Order") == ["kept", "dropped"])
        try root.writeConfig(TestConfig.standard("ISAPIFilter filters/kept.dll\nISAPIFilter filters/added.dll"))
        daemon.sendSignal(SIGHUP)
        #expect(
            eventually(timeout: 5, interval: 0.05) {
                (try? daemon.get("/a.txt"))?.headerValues("X-Order") == ["kept", "added"]
            }, "error log: \(daemon.errorLog)")
        #expect(eventually(timeout: 5) { daemon.errorLog.contains("IS02302: unloaded ISAPI filter \(dropped)") })
        let loads = daemon.errorLog.components(separatedBy: "IS02300: loaded ISAPI filter \(kept)").count - 1
        #expect(loads == 1, "error log: \(daemon.errorLog)")
    }
}
