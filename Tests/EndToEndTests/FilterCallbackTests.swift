import Foundation
import Testing

/// The filter context's callbacks and the notifications FilterServingTests does not
/// reach, end to end with filters compiled here: END_OF_REQUEST, END_OF_NET_SESSION,
/// AddResponseHeaders, each SF_REQ_* answer, HANDLED_NOTIFICATION.
@Suite struct FilterCallbackTests {
    static func start(_ root: ServerRoot, filters: [String], extra: String = "") throws -> DaemonProcess {
        try TestConfig.writeSite(root)
        let lines = filters.map { "ISAPIFilter filters/\($0).dll" }.joined(separator: "\n")
        try root.writeConfig(TestConfig.standard(lines + "\n" + extra))
        return try DaemonProcess(root: root)
    }

    @Test("END_OF_REQUEST per request and END_OF_NET_SESSION once per connection, with SF_REQ_GET_CONNID's id")
    func endOfRequestAndNetSession() throws {
        let root = try ServerRoot()
        let record = root.path("logs/filter-ends")
        _ = try FilterServingTests.compileFilter(
            "ends", flags: "SF_NOTIFY_END_OF_REQUEST | SF_NOTIFY_END_OF_NET_SESSION",
            body: """
                DWORD id = 0;
                BOOL ok = pfc->ServerSupportFunction(pfc, SF_REQ_GET_CONNID, &id, 0, 0);
                FILE *f = fopen("\(record)", "a");
                if (f) {
                    fprintf(f, "%s %d %u\\n", notification == SF_NOTIFY_END_OF_REQUEST ? "request" : "session",
                            ok, (unsigned)id);
                    fclose(f);
                }
                """, into: root)
        let daemon = try Self.start(root, filters: ["ends"])
        defer { daemon.stop() }
        let client = try daemon.connect()
        try client.send("GET /a.txt HTTP/1.1\r\nHost: localhost\r\n\r\nGET /a.txt HTTP/1.1\r\nHost: localhost\r\n\r\n")
        #expect(client.readResponses(2).map(\.status) == [200, 200])
        client.close()
        #expect(eventually(timeout: 5) { root.read("logs/filter-ends").contains("session") }, "\(root.read("logs/filter-ends"))")
        let lines = root.read("logs/filter-ends").split(separator: "\n").map { $0.split(separator: " ") }
        #expect(lines.map { String($0[0]) } == ["request", "request", "session"])
        #expect(lines.allSatisfy { $0[1] == "1" })
        #expect(Set(lines.map { $0[2] }).count == 1, "one connection, one id: \(lines)")
        // Another connection: another id.
        _ = try daemon.get("/a.txt")
        #expect(
            eventually(timeout: 5) {
                root.read("logs/filter-ends").split(separator: "\n").filter { $0.hasPrefix("session") }.count == 2
            })
        let ids = root.read("logs/filter-ends").split(separator: "\n").filter { $0.hasPrefix("session") }
            .map { $0.split(separator: " ")[2] }
        #expect(ids.count == 2 && ids[0] != ids[1], "\(ids)")
    }

    @Test("AddResponseHeaders in PREPROC_HEADERS reaches the answer; SF_REQ_DISABLE_NOTIFICATIONS stops a later one")
    func addResponseHeadersAndDisable() throws {
        let root = try ServerRoot()
        _ = try FilterServingTests.compileFilter(
            "adder", flags: "SF_NOTIFY_PREPROC_HEADERS | SF_NOTIFY_SEND_RESPONSE",
            body: """
                if (notification == SF_NOTIFY_PREPROC_HEADERS) {
                    pfc->AddResponseHeaders(pfc, "X-Added: early\\r\\n", 0);
                    if (url_is(pfc, data, "/a.txt?quiet"))
                        pfc->ServerSupportFunction(pfc, SF_REQ_DISABLE_NOTIFICATIONS, NULL, SF_NOTIFY_SEND_RESPONSE, 0);
                }
                if (notification == SF_NOTIFY_SEND_RESPONSE)
                    ((HTTP_FILTER_SEND_RESPONSE *)data)->AddHeader(pfc, "X-Send-Response:", "ran");
                """, into: root)
        let daemon = try Self.start(root, filters: ["adder"])
        defer { daemon.stop() }
        let loud = try daemon.get("/a.txt")
        #expect(loud.status == 200)
        #expect(loud.header("X-Added") == "early", "\(loud.headers)")
        #expect(loud.header("X-Send-Response") == "ran")
        let quiet = try daemon.get("/a.txt?quiet")
        #expect(quiet.status == 200)
        #expect(quiet.header("X-Added") == "early")
        #expect(quiet.header("X-Send-Response") == nil, "disabled for this request: \(quiet.headers)")
        // Disabled for that request only.
        #expect(try daemon.get("/a.txt").header("X-Send-Response") == "ran")
    }

    @Test("SF_REQ_*: SET_PROXY_INFO and GET_PROPERTY(instance id) succeed, NORMALIZE_URL decodes in place, SET_CERTIFICATE_INFO and an unknown request fail (the latter logged)")
    func supportFunctionAnswers() throws {
        let root = try ServerRoot()
        _ = try FilterServingTests.compileFilter(
            "support", flags: "SF_NOTIFY_PREPROC_HEADERS",
            body: """
                if (notification == SF_NOTIFY_PREPROC_HEADERS) {
                    char line[512], url[128] = "/x/../a%2Etxt";
                    DWORD site = 0;
                    BOOL proxy = pfc->ServerSupportFunction(pfc, SF_REQ_SET_PROXY_INFO, NULL, 1, 0);
                    BOOL property = pfc->ServerSupportFunction(pfc, SF_REQ_GET_PROPERTY, &site,
                                                               SF_PROPERTY_INSTANCE_NUM_ID, 0);
                    BOOL normalized = pfc->ServerSupportFunction(pfc, SF_REQ_NORMALIZE_URL, url, 0, 0);
                    BOOL certificate = pfc->ServerSupportFunction(pfc, SF_REQ_SET_CERTIFICATE_INFO, NULL, 0, 0);
                    DWORD certificateError = GetLastError();
                    BOOL unknown = pfc->ServerSupportFunction(pfc, (enum SF_REQ_TYPE)999, NULL, 0, 0);
                    DWORD unknownError = GetLastError();
                    snprintf(line, sizeof line,
                             "X-Support: proxy=%d property=%d site=%u normalized=%d url=%s certificate=%d/%u unknown=%d/%u\\r\\n",
                             proxy, property, (unsigned)site, normalized, url, certificate, (unsigned)certificateError,
                             unknown, (unsigned)unknownError);
                    pfc->AddResponseHeaders(pfc, line, 0);
                }
                """, into: root)
        let daemon = try Self.start(root, filters: ["support"], extra: "ISAPIFilterLogNotSupported On")
        defer { daemon.stop() }
        let response = try daemon.get("/a.txt")
        #expect(response.status == 200)
        let support = response.header("X-Support") ?? ""
        #expect(support.hasPrefix("proxy=1 property=1 site="), "\(support)")
        #expect(support.contains("normalized=1 url=/a.txt "), "\(support)")
        #expect(support.contains("certificate=0/"), "\(support)")
        #expect(!support.contains("certificate=0/0"), "a reason is set: \(support)")
        #expect(support.hasSuffix("unknown=0/87"), "ERROR_INVALID_PARAMETER: \(support)")
        #expect(
            eventually(timeout: 5) {
                daemon.errorLog.contains("IS02306") && daemon.errorLog.contains("request 999 is not supported")
            }, "\(daemon.errorLog)")
    }

    @Test("HANDLED_NOTIFICATION: the filters after it in the list do not see that notification")
    func handledNotificationEndsTheChain() throws {
        let root = try ServerRoot()
        _ = try FilterServingTests.compileFilter(
            "first", flags: "SF_NOTIFY_SEND_RESPONSE | SF_NOTIFY_ORDER_HIGH",
            body: """
                if (notification == SF_NOTIFY_SEND_RESPONSE) {
                    ((HTTP_FILTER_SEND_RESPONSE *)data)->AddHeader(pfc, "X-First:", "yes");
                    char query[64];
                    DWORD size = sizeof query;
                    if (pfc->GetServerVariable(pfc, "QUERY_STRING", query, &size) && strcmp(query, "handled") == 0)
                        return SF_STATUS_REQ_HANDLED_NOTIFICATION;
                }
                """, into: root)
        _ = try FilterServingTests.orderFilter("second", priority: "SF_NOTIFY_ORDER_LOW", into: root)
        let daemon = try Self.start(root, filters: ["second", "first"])
        defer { daemon.stop() }
        let both = try daemon.get("/a.txt")
        #expect(both.header("X-First") == "yes")
        #expect(both.header("X-Order") == "second", "\(both.headers)")
        let handled = try daemon.get("/a.txt?handled")
        #expect(handled.status == 200)
        #expect(handled.header("X-First") == "yes")
        #expect(handled.header("X-Order") == nil, "\(handled.headers)")
    }

    @Test("READ_NEXT: the bytes are held and shown again joined to the next read; the request is parsed once the filter proceeds")
    func readNextJoinsReads() throws {
        let root = try ServerRoot()
        let record = root.path("logs/filter-reads")
        _ = try FilterServingTests.compileFilter(
            "whole", flags: "SF_NOTIFY_READ_RAW_DATA",
            body: """
                if (notification == SF_NOTIFY_READ_RAW_DATA) {
                    HTTP_FILTER_RAW_DATA *raw = data;
                    int complete = raw->cbInData >= 4
                        && memcmp((char *)raw->pvInData + raw->cbInData - 4, "\\r\\n\\r\\n", 4) == 0;
                    FILE *f = fopen("\(record)", "a");
                    if (f) { fprintf(f, "%u %d\\n", (unsigned)raw->cbInData, complete); fclose(f); }
                    if (!complete) return SF_STATUS_REQ_READ_NEXT;
                }
                """, into: root)
        let daemon = try Self.start(root, filters: ["whole"])
        defer { daemon.stop() }
        let client = try daemon.connect()
        let first = "GET /a.txt HTTP/1.1\r\nHost: localhost\r\n"
        try client.send(first)
        #expect(eventually(timeout: 5) { !root.read("logs/filter-reads").isEmpty })
        try client.send("\r\n")
        let response = client.readResponses(1).first
        #expect(response?.status == 200)
        #expect(response?.bodyText == "alpha document\n")
        let reads = root.read("logs/filter-reads").split(separator: "\n")
        #expect(reads == ["\(first.utf8.count) 0", "\(first.utf8.count + 2) 1"], "\(reads)")
    }

    /// Two filters on SEND_RESPONSE: one for the secure port only (SF_NOTIFY_SECURE_PORT),
    /// one for both that reports `fIsSecurePort` and sets HttpStatus on request.
    static func compilePortFilters(into root: ServerRoot) throws {
        _ = try FilterServingTests.compileFilter(
            "secureonly", flags: "SF_NOTIFY_SEND_RESPONSE | SF_NOTIFY_SECURE_PORT",
            body: """
                if (notification == SF_NOTIFY_SEND_RESPONSE)
                    ((HTTP_FILTER_SEND_RESPONSE *)data)->AddHeader(pfc, "X-Secure-Only:", "ran");
                """, into: root)
        _ = try FilterServingTests.compileFilter(
            "porter", flags: "SF_NOTIFY_SEND_RESPONSE",
            body: """
                if (notification == SF_NOTIFY_SEND_RESPONSE) {
                    HTTP_FILTER_SEND_RESPONSE *response = data;
                    char query[64];
                    DWORD size = sizeof query;
                    response->AddHeader(pfc, "X-Is-Secure:", pfc->fIsSecurePort ? "1" : "0");
                    if (pfc->GetServerVariable(pfc, "QUERY_STRING", query, &size) && strcmp(query, "status") == 0)
                        response->HttpStatus = 203;
                }
                """, into: root)
    }

    @Test("SF_NOTIFY_SECURE_PORT filters run on TLS connections only; fIsSecurePort says which; HttpStatus is writable")
    func securePortAndHttpStatus() throws {
        let plainRoot = try ServerRoot()
        try Self.compilePortFilters(into: plainRoot)
        let plain = try Self.start(plainRoot, filters: ["secureonly", "porter"])
        defer { plain.stop() }
        let answer = try plain.get("/a.txt")
        #expect(answer.status == 200)
        #expect(answer.header("X-Is-Secure") == "0", "\(answer.headers)")
        #expect(answer.header("X-Secure-Only") == nil)
        let changed = try plain.get("/a.txt?status")
        #expect(changed.status == 203, "HttpStatus written by the filter")
        #expect(changed.bodyText == "alpha document\n")

        let certificates = try TestCertificates.get()
        let tls = try DaemonProcess.start(
            TLSTests.config(certificates, extra: "ISAPIFilter filters/secureonly.dll\nISAPIFilter filters/porter.dll")
        ) { root in
            try TestConfig.writeSite(root)
            try Self.compilePortFilters(into: root)
        }
        defer { tls.stop() }
        let secure = try TLSTests.curlHTTPS(tls, certificates, name: "a.test", path: "/a.txt", extra: ["-i"])
        #expect(secure.status == 0, "\(secure.stderr)")
        let head = secure.stdout.lowercased()
        #expect(head.contains("x-is-secure: 1"), "\(secure.stdout)")
        #expect(head.contains("x-secure-only: ran"), "\(secure.stdout)")
    }
}
