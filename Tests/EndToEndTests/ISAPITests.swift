import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The ISAPI host end to end: the sample extensions (built by SwiftPM as `lib<name>.so`
/// next to the isapid binary) installed as `htdocs/scripts/<name>.dll` in a temporary
/// ServerRoot, and extensions compiled by hand with only the SDK header.
@Suite struct ISAPITests {
    // MARK: - Set-up helpers

    /// The directory of the isapid binary, where SwiftPM put the sample `lib<name>.so`.
    static let buildDirectory = E2EPaths.isapidBinary.deletingLastPathComponent()

    /// `AddHandler` plus an ExecCGI `<Directory>` for `htdocs/scripts` (with `directoryExtra` inside).
    static func config(_ root: ServerRoot, execCGI: Bool = true, directoryExtra: String = "", extra: String = "") -> String {
        TestConfig.standard("""
            AddHandler isapi-handler .dll
            <Directory "\(root.path)/htdocs/scripts">
                \(execCGI ? "Options ExecCGI" : "Options None")
                \(directoryExtra)
            </Directory>
            \(extra)
            """)
    }

    /// Copies `lib<name>.so` to `htdocs/scripts/<name>.dll` for each name.
    static func install(_ names: [String], into root: ServerRoot) throws {
        let fm = FileManager.default
        let scripts = root.url.appendingPathComponent("htdocs/scripts")
        try fm.createDirectory(at: scripts, withIntermediateDirectories: true)
        for name in names {
            let library = buildDirectory.appendingPathComponent("lib\(name).so")
            guard fm.fileExists(atPath: library.path) else {
                throw E2EError("\(library.path) is missing: build the sample extensions (swift build)")
            }
            try fm.copyItem(at: library, to: scripts.appendingPathComponent("\(name).dll"))
        }
    }

    /// A ServerRoot with the standard site, `names` installed and `config(root)` written; a daemon on it.
    static func start(_ names: [String], config: (ServerRoot) -> String = { ISAPITests.config($0) },
                      prepare: (ServerRoot) throws -> Void = { _ in }) throws -> DaemonProcess {
        let root = try ServerRoot()
        try TestConfig.writeSite(root)
        try install(names, into: root)
        try prepare(root)
        try root.writeConfig(config(root))
        return try DaemonProcess(root: root)
    }

    /// Compiles `source` with only `cc -shared -fPIC -I Sources/CISAPI/include` into `output`.
    static func compileExtension(_ source: String, to output: String) throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("isapid-e2e-src-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let sourceURL = work.appendingPathComponent("ext.c")
        try Data(source.utf8).write(to: sourceURL)
        try compileExtension(file: sourceURL, to: output)
    }

    /// Compiles the C file at `source` the same way into `output`.
    static func compileExtension(file source: URL, to output: String) throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("isapid-e2e-cc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let include = E2EPaths.packageRoot.appendingPathComponent("Sources/CISAPI/include").path
        let log = work.appendingPathComponent("cc.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let logHandle = try FileHandle(forWritingTo: log)
        defer { try? logHandle.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["cc", "-shared", "-fPIC", "-I", include, source.path, "-o", output]
        process.standardOutput = logHandle
        process.standardError = logHandle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        if !eventually(timeout: 60, { !process.isRunning }) {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw E2EError("cc did not finish within 60 s")
        }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw E2EError("cc failed (\(process.terminationStatus)): \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
        }
    }

    /// Compiles the deliberately bad sample `Tests/MisbehavingExtensions/<name>.c` into
    /// `htdocs/scripts/<name>.dll`.
    static func installMisbehaving(_ name: String, into root: ServerRoot) throws {
        try FileManager.default.createDirectory(atPath: root.path("htdocs/scripts"), withIntermediateDirectories: true)
        let source = E2EPaths.packageRoot.appendingPathComponent("Tests/MisbehavingExtensions/\(name).c")
        try compileExtension(file: source, to: root.path("htdocs/scripts/\(name).dll"))
    }

    // MARK: - Responses (Content-Length, chunked, or to the close)

    /// Parses every complete final response in `bytes` (interim 1xx ones left out),
    /// decoding chunked bodies.
    static func parseResponses(_ bytes: [UInt8], closed: Bool) -> [HTTPResponse] {
        HTTPResponseParser.parse(bytes, closed: closed).responses.filter { !(100..<200).contains($0.status) }
    }

    /// Reads until `count` responses are complete in the client's buffer (never consumed:
    /// the result always holds every response of the connection so far).
    static func responses(_ client: RawClient, count: Int, timeout: Double = 10) -> [HTTPResponse] {
        client.read(timeout: timeout) { parseResponses($0, closed: false).count >= count }
        return parseResponses(client.buffer, closed: client.peerClosed)
    }

    /// One GET on a new connection (Connection: close).
    static func get(_ daemon: DaemonProcess, _ path: String, headers: [String] = []) throws -> HTTPResponse {
        let client = try daemon.connect()
        let extra = headers.map { $0 + "\r\n" }.joined()
        try client.send("GET \(path) HTTP/1.1\r\nHost: localhost\r\n\(extra)Connection: close\r\n\r\n")
        guard let response = responses(client, count: 1).first else {
            throw E2EError("no response to GET \(path); received \(client.bufferText.debugDescription)")
        }
        return response
    }

    /// Sends `bytes` on another thread (so a streaming echo cannot deadlock against us)
    /// and reads one response; both bounded by `timeout`.
    static func exchange(_ daemon: DaemonProcess, _ bytes: [UInt8], timeout: Double = 20) throws -> HTTPResponse {
        final class Sender: @unchecked Sendable {
            let client: RawClient
            let bytes: [UInt8]
            var error: Error?
            let done = DispatchSemaphore(value: 0)
            init(client: RawClient, bytes: [UInt8]) { self.client = client; self.bytes = bytes }
        }
        let client = try daemon.connect()
        let sender = Sender(client: client, bytes: bytes)
        let thread = Thread {
            do { try sender.client.send(sender.bytes) } catch { sender.error = error }
            sender.done.signal()
        }
        thread.start()
        let all = responses(client, count: 1, timeout: timeout)
        if sender.done.wait(timeout: .now() + 5) == .timedOut {
            client.close()  // unblocks the sender
            _ = sender.done.wait(timeout: .now() + 5)
            throw E2EError("the request body was not consumed within the timeout")
        }
        if let error = sender.error { throw error }
        guard let response = all.first else {
            throw E2EError("no response; received \(client.buffer.count) bytes")
        }
        return response
    }

    // MARK: - Samples

    @Test func helloAnswers200TextPlain() throws {
        let daemon = try Self.start(["hello"])
        let response = try Self.get(daemon, "/scripts/hello.dll")
        #expect(response.status == 200)
        #expect(response.header("Content-Type")?.hasPrefix("text/plain") == true, "\(response.headers)")
        #expect(response.bodyText == "Hello from an ISAPI extension on isapid\n")
    }

    /// An HTTP/0.9 request (`GET /path`, no version) is answered with the body alone, as
    /// Apache answers it: no head, no chunk framing; the body ends with the connection.
    @Test func anHTTP09RequestGetsTheExtensionsBodyAlone() throws {
        let daemon = try Self.start(["hello"])
        let client = try daemon.connect()
        try client.send("GET /scripts/hello.dll\r\n")
        #expect(client.waitForClose(timeout: 5), "the connection stayed open")
        #expect(client.bufferText == "Hello from an ISAPI extension on isapid\n", "\(client.bufferText.debugDescription)")
    }

    /// headers.dll with `?status=404` only sets its status; an ErrorDocument naming another
    /// extension answers with that extension's body and keeps the 404.
    @Test func errorDocumentServedByAnExtensionKeepsTheErrorStatus() throws {
        let daemon = try Self.start(["hello"]) { root in
            Self.config(root, extra: "ErrorDocument 404 /scripts/hello.dll")
        }
        let response = try Self.get(daemon, "/no/such/page")
        #expect(response.status == 404)
        #expect(response.bodyText == "Hello from an ISAPI extension on isapid\n")
    }

    @Test func twoHelloRequestsOnOneKeptAliveConnection() throws {
        let daemon = try Self.start(["hello"])
        let client = try daemon.connect()
        for count in 1...2 {
            try client.send("GET /scripts/hello.dll HTTP/1.1\r\nHost: localhost\r\n\r\n")
            let responses = Self.responses(client, count: count)
            try #require(responses.count == count, "answer \(count) missing; received \(client.bufferText.debugDescription)")
            #expect(responses[count - 1].status == 200)
            #expect(responses[count - 1].bodyText == "Hello from an ISAPI extension on isapid\n")
            #expect(responses[count - 1].header("Connection")?.lowercased() != "close")
        }
        #expect(!client.peerClosed)
    }

    @Test func echoReturnsA2MBContentLengthBodyByteExact() throws {
        let daemon = try Self.start(["echo"])
        var generator = SystemRandomNumberGenerator()
        let body = (0..<(2 * 1024 * 1024)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let head = "POST /scripts/echo.dll HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-test\r\n"
            + "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        let response = try Self.exchange(daemon, Array(head.utf8) + body, timeout: 30)
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "application/x-test")
        #expect(response.body.count == body.count)
        #expect(response.body == body, "the echoed body differs")
    }

    @Test func echoReturnsAChunkedBody() throws {
        let daemon = try Self.start(["echo"])
        let pieces = ["first piece;", String(repeating: "x", count: 70_000), "\nlast\n"]
        var raw = "POST /scripts/echo.dll HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        for piece in pieces { raw += String(piece.utf8.count, radix: 16) + "\r\n" + piece + "\r\n" }
        raw += "0\r\n\r\n"
        let response = try Self.exchange(daemon, Array(raw.utf8))
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "application/octet-stream")
        #expect(response.bodyText == pieces.joined())
    }

    @Test func servervarsShowsPathInfoQueryAllHttpAndAllRaw() throws {
        let daemon = try Self.start(["servervars"])
        let response = try Self.get(daemon, "/scripts/servervars.dll/x/y?q=1", headers: ["X-Test-Header: abc"])
        #expect(response.status == 200)
        let text = response.bodyText
        let lines = text.components(separatedBy: "\n")
        #expect(lines.contains("PATH_INFO=/x/y"), "\(text)")
        #expect(lines.contains("QUERY_STRING=q=1"), "\(text)")
        #expect(lines.contains("REQUEST_METHOD=GET"), "\(text)")

        let allHTTP = try #require(text.range(of: "\nALL_HTTP:\n"), "\(text)")
        let allRaw = try #require(text.range(of: "\nALL_RAW:\n"), "\(text)")
        let httpBlock = String(text[allHTTP.upperBound..<allRaw.lowerBound])
        let rawBlock = String(text[allRaw.upperBound...])
        #expect(httpBlock.contains("HTTP_HOST:localhost\r\n"), "\(httpBlock.debugDescription)")
        #expect(httpBlock.contains("HTTP_X_TEST_HEADER:abc\r\n"), "\(httpBlock.debugDescription)")
        let httpLines = httpBlock.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        #expect(!httpLines.isEmpty)
        for line in httpLines {
            #expect(line.hasPrefix("HTTP_") && !line.contains(": ") && !line.contains("\n"), "ALL_HTTP line \(line.debugDescription)")
        }
        #expect(httpBlock.hasSuffix("\r\n"))
        #expect(rawBlock.contains("Host: localhost\r\n"), "\(rawBlock.debugDescription)")
        #expect(rawBlock.contains("X-Test-Header: abc\r\n"), "\(rawBlock.debugDescription)")
    }

    @Test func headersSetsStatusAndCustomHeader() throws {
        let daemon = try Self.start(["headers"])
        let notFound = try Self.get(daemon, "/scripts/headers.dll?status=404")
        #expect(notFound.status == 404)
        #expect(notFound.header("X-ISAPI-Sample") == "headers")
        let ok = try Self.get(daemon, "/scripts/headers.dll")
        #expect(ok.status == 200)
        #expect(ok.header("X-ISAPI-Sample") == "headers")
    }

    @Test func redirectSends302OrServesInternally() throws {
        let daemon = try Self.start(["redirect"])
        let external = try Self.get(daemon, "/scripts/redirect.dll?to=/elsewhere")
        #expect(external.status == 302)
        let location = try #require(external.header("Location"))
        #expect(location == "/elsewhere" || location.hasSuffix("://localhost/elsewhere") || location.hasSuffix("/elsewhere"),
                "Location: \(location)")

        let served = try Self.get(daemon, "/scripts/redirect.dll?internal=/index.html")
        #expect(served.status == 200)
        #expect(served.bodyText == TestConfig.indexBody)
        #expect(served.header("Location") == nil)
    }

    static let unsupportedNames = [
        "HSE_REQ_GET_SSPI_INFO", "HSE_REQ_REFRESH_ISAPI_ACL", "HSE_REQ_GET_IMPERSONATION_TOKEN",
        "HSE_REQ_ABORTIVE_CLOSE", "HSE_REQ_EXTENSION_TRIGGER", "HSE_REQ_EXEC_URL",
        "HSE_REQ_SEND_CUSTOM_ERROR", "HSE_REQ_IS_IN_PROCESS", "HSE_REQ_GET_ANONYMOUS_TOKEN",
    ]

    @Test func unsupportedCodesReturnFalseWith87AndAreLoggedWhenAsked() throws {
        let daemon = try Self.start(["unsupported"]) { Self.config($0, directoryExtra: "ISAPILogNotSupported On") }
        let response = try Self.get(daemon, "/scripts/unsupported.dll")
        #expect(response.status == 200)
        let rows = response.bodyText.components(separatedBy: "\n").dropFirst().filter { !$0.isEmpty }
        #expect(rows.count == Self.unsupportedNames.count + 1, "\(response.bodyText)")
        for row in rows {
            #expect(row.contains(" FALSE ") && row.contains(" 87 (ERROR_INVALID_PARAMETER)"), "row \(row)")
        }
        let path = daemon.root.path("htdocs/scripts/unsupported.dll")
        let expected = Self.unsupportedNames.map { "ServerSupportFunction \($0) is not supported: \(path)" }
        let logged = eventually(timeout: 2) { expected.allSatisfy { daemon.errorLog.contains($0) } }
        #expect(logged, "error log: \(daemon.errorLog)")
    }

    @Test func unsupportedCodesAreNotLoggedByDefault() throws {
        let daemon = try Self.start(["unsupported"])
        let response = try Self.get(daemon, "/scripts/unsupported.dll")
        #expect(response.status == 200)
        #expect(response.bodyText.contains("HSE_REQ_EXEC_URL"))
        // Wait for the access log line (written after the response): the error log had its chance.
        _ = eventually(timeout: 2) { daemon.accessLog.contains("unsupported.dll") }
        usleep(200_000)
        #expect(!daemon.errorLog.contains("is not supported"), "error log: \(daemon.errorLog)")
    }

    @Test func logparamPutsTheParameterInTheAccessLog() throws {
        let daemon = try Self.start(["logparam"]) { root in
            Self.config(root).replacingOccurrences(
                of: "CustomLog \"logs/access_log\" combined",
                with: "CustomLog logs/access_log \"%q %{isapi-parameter}n\"")
        }
        let response = try Self.get(daemon, "/scripts/logparam.dll?a=1")
        #expect(response.status == 200)
        #expect(response.bodyText == "ok")
        // The sample passes "sample-log-param": the note always, and (ISAPIAppendLogToQuery
        // defaults to On, as in mod_isapi) appended to the query.
        let logged = eventually(timeout: 2) { !daemon.accessLogLines.isEmpty }
        #expect(logged)
        let line = daemon.accessLogLines.first ?? ""
        #expect(line.hasSuffix(" sample-log-param"), "access log line \(line.debugDescription)")
        #expect(line.hasPrefix("?a=1"), "access log line \(line.debugDescription)")
        #expect(line.components(separatedBy: "sample-log-param").count == 3, "query and note: \(line.debugDescription)")
    }

    @Test func mapurlReportsTheNeededSizeThenThePath() throws {
        let daemon = try Self.start(["mapurl"])
        let response = try Self.get(daemon, "/scripts/mapurl.dll?/index.html")
        #expect(response.status == 200)
        let text = response.bodyText
        let path = daemon.root.path("htdocs/index.html")
        let needed = path.utf8.count + 1
        let first = "MAP_URL_TO_PATH, buffer 12 bytes: FALSE, GetLastError()=122, *lpdwSize=\(needed)\n"
        let second = "MAP_URL_TO_PATH, buffer \(needed) bytes: TRUE, GetLastError()=0, *lpdwSize=\(needed)\n  path: \(path)\n"
        let firstRange = try #require(text.range(of: first), "\(text)")
        let secondRange = try #require(text.range(of: second), "\(text)")
        #expect(firstRange.upperBound <= secondRange.lowerBound)
        #expect(text.contains("MAP_URL_TO_PATH_EX: TRUE, GetLastError()=0\n  lpszPath:        \(path)\n"), "\(text)")
    }

    @Test func asyncWithFakeAsyncCompletes() throws {
        let daemon = try Self.start(["async"]) { Self.config($0, directoryExtra: "ISAPIFakeAsync On") }
        let response = try Self.get(daemon, "/scripts/async.dll")
        #expect(response.status == 200)
        #expect(response.bodyText == "written synchronously from a worker pthread\nwritten with HSE_IO_ASYNC\n")
        // And again on a kept-alive connection: the session ended cleanly.
        let client = try daemon.connect()
        for count in 1...2 {
            try client.send("GET /scripts/async.dll HTTP/1.1\r\nHost: localhost\r\n\r\n")
            let responses = Self.responses(client, count: count)
            try #require(responses.count == count, "received \(client.bufferText.debugDescription)")
            #expect(responses[count - 1].bodyText.hasSuffix("written with HSE_IO_ASYNC\n"))
        }
    }

    @Test func asyncWithoutFakeAsyncFallsBackToASynchronousAnswer() throws {
        let daemon = try Self.start(["async"])
        let response = try Self.get(daemon, "/scripts/async.dll")
        // The sample detects that HSE_REQ_IO_COMPLETION fails and answers synchronously.
        #expect(response.status == 200)
        #expect(response.bodyText.hasPrefix("async sample: HSE_REQ_IO_COMPLETION failed; enable ISAPIFakeAsync On"),
                "\(response.bodyText)")
    }

    // MARK: - Host checks

    @Test func withoutExecCGIIsForbiddenAndLogged() throws {
        let daemon = try Self.start(["hello"]) { Self.config($0, execCGI: false) }
        let response = try Self.get(daemon, "/scripts/hello.dll")
        #expect(response.status == 403)
        let logged = eventually(timeout: 2) { daemon.errorLog.contains("ExecCGI") }
        #expect(logged, "error log: \(daemon.errorLog)")
    }

    @Test func missingExtensionIs404() throws {
        let daemon = try Self.start(["hello"])
        let response = try Self.get(daemon, "/scripts/missing.dll")
        #expect(response.status == 404)
    }

    @Test func directoryNamedDllIs403() throws {
        let daemon = try Self.start(["hello"], prepare: { root in
            try FileManager.default.createDirectory(atPath: root.path("htdocs/scripts/x.dll"), withIntermediateDirectories: true)
        })
        let response = try Self.get(daemon, "/scripts/x.dll")
        #expect(response.status == 403)
    }

    @Test func brokenExtensionIs500AndTheNextRequestStillWorks() throws {
        let daemon = try Self.start(["hello"], prepare: { root in
            try Self.compileExtension("""
                #include <httpext.h>
                BOOL WINAPI GetExtensionVersion(HSE_VERSION_INFO *pVer)
                {
                    pVer->dwExtensionVersion = MAKELONG(HSE_VERSION_MINOR, HSE_VERSION_MAJOR);
                    pVer->lpszExtensionDesc[0] = '\\0';
                    return TRUE;
                }
                """, to: root.path("htdocs/scripts/broken.dll"))
        })
        let response = try Self.get(daemon, "/scripts/broken.dll")
        #expect(response.status == 500)
        let path = daemon.root.path("htdocs/scripts/broken.dll")
        let logged = eventually(timeout: 2) { daemon.errorLog.contains(path) }
        #expect(logged, "error log: \(daemon.errorLog)")
        let hello = try Self.get(daemon, "/scripts/hello.dll")
        #expect(hello.status == 200)
        #expect(hello.bodyText == "Hello from an ISAPI extension on isapid\n")
        #expect(daemon.isRunning)
    }

    @Test func handBuiltExtensionResolvesTheHostsGetLastError() throws {
        let daemon = try Self.start([], prepare: { root in
            try Self.compileExtension("""
                #include <stdio.h>
                #include <string.h>
                #include <httpext.h>
                BOOL WINAPI GetExtensionVersion(HSE_VERSION_INFO *pVer)
                {
                    pVer->dwExtensionVersion = MAKELONG(HSE_VERSION_MINOR, HSE_VERSION_MAJOR);
                    pVer->lpszExtensionDesc[0] = '\\0';
                    return TRUE;
                }
                DWORD WINAPI HttpExtensionProc(EXTENSION_CONTROL_BLOCK *pECB)
                {
                    SetLastError(0);
                    BOOL ok = pECB->ServerSupportFunction(pECB->ConnID, HSE_REQ_GET_ANONYMOUS_TOKEN, NULL, NULL, NULL);
                    DWORD err = GetLastError();
                    static const char headers[] = "Content-Type: text/plain\\r\\n\\r\\n";
                    HSE_SEND_HEADER_EX_INFO hdr;
                    memset(&hdr, 0, sizeof hdr);
                    hdr.pszStatus = "200 OK";
                    hdr.cchStatus = 6;
                    hdr.pszHeader = headers;
                    hdr.cchHeader = (DWORD)(sizeof headers - 1);
                    if (!pECB->ServerSupportFunction(pECB->ConnID, HSE_REQ_SEND_RESPONSE_HEADER_EX, &hdr, NULL, NULL))
                        return HSE_STATUS_ERROR;
                    char body[64];
                    snprintf(body, sizeof body, "ok=%d lasterror=%u", (int)ok, (unsigned)err);
                    DWORD len = (DWORD)strlen(body);
                    pECB->WriteClient(pECB->ConnID, body, &len, HSE_IO_SYNC);
                    return HSE_STATUS_SUCCESS;
                }
                """, to: root.path("htdocs/scripts/lasterror.dll"))
        })
        let response = try Self.get(daemon, "/scripts/lasterror.dll")
        #expect(response.status == 200)
        #expect(response.bodyText == "ok=0 lasterror=87")
    }

    @Test func missingISAPICacheFileIsOnlyAWarning() throws {
        let root = try ServerRoot()
        try TestConfig.writeSite(root)
        try Self.install(["hello"], into: root)
        try root.writeConfig(Self.config(root, extra: "ISAPICacheFile htdocs/scripts/nowhere.dll"))

        let check = try runIsapid(["-t", "-f", "conf/httpd.conf", "-d", root.path])
        #expect(check.status == 0, "stdout: \(check.stdout) stderr: \(check.stderr)")
        let output = check.stdout + check.stderr
        #expect(output.contains("Syntax OK"), "\(output)")
        #expect(output.lowercased().contains("warning") && output.contains("nowhere.dll"), "\(output)")

        let daemon = try DaemonProcess(root: root)
        let response = try Self.get(daemon, "/scripts/hello.dll")
        #expect(response.status == 200)
    }

    @Test func cachedExtensionServes() throws {
        let daemon = try Self.start(["hello"]) { Self.config($0, extra: "ISAPICacheFile htdocs/scripts/hello.dll") }
        for _ in 0..<2 {
            let response = try Self.get(daemon, "/scripts/hello.dll")
            #expect(response.status == 200)
            #expect(response.bodyText == "Hello from an ISAPI extension on isapid\n")
        }
    }

    // MARK: - ServerSupportFunction and connection behaviour (a test-compiled extension)

    /// One extension, its behaviour chosen by the query string's first word (`mode` or
    /// `mode=argument`); compiled with only the SDK header, so GetLastError is the host's.
    static let probeSource = #"""
        #define _POSIX_C_SOURCE 200809L
        #include <fcntl.h>
        #include <stdint.h>
        #include <stdio.h>
        #include <string.h>
        #include <time.h>
        #include <unistd.h>
        #include <httpext.h>

        BOOL WINAPI GetExtensionVersion(HSE_VERSION_INFO *pVer)
        {
            pVer->dwExtensionVersion = MAKELONG(HSE_VERSION_MINOR, HSE_VERSION_MAJOR);
            strcpy(pVer->lpszExtensionDesc, "probe");
            return TRUE;
        }

        static BOOL head(EXTENSION_CONTROL_BLOCK *pECB)
        {
            static const char headers[] = "Content-Type: text/plain\r\n\r\n";
            HSE_SEND_HEADER_EX_INFO hdr;
            memset(&hdr, 0, sizeof hdr);
            hdr.pszStatus = "200 OK";
            hdr.cchStatus = 6;
            hdr.pszHeader = headers;
            hdr.cchHeader = (DWORD)(sizeof headers - 1);
            hdr.fKeepConn = TRUE;
            return pECB->ServerSupportFunction(pECB->ConnID, HSE_REQ_SEND_RESPONSE_HEADER_EX, &hdr, NULL, NULL);
        }

        static BOOL put(EXTENSION_CONTROL_BLOCK *pECB, const char *s)
        {
            DWORD len = (DWORD)strlen(s);
            return pECB->WriteClient(pECB->ConnID, (LPVOID)s, &len, HSE_IO_SYNC);
        }

        static const char *arg(const char *qs, const char *mode)
        {
            size_t n = strlen(mode);
            if (strncmp(qs, mode, n) != 0) return NULL;
            if (qs[n] == '\0') return "";
            return qs[n] == '=' ? qs + n + 1 : NULL;
        }

        static void record(const char *path, const char *text)
        {
            char tmp[1024];
            snprintf(tmp, sizeof tmp, "%s.tmp", path);
            FILE *f = fopen(tmp, "w");
            if (f == NULL) return;
            fputs(text, f);
            fclose(f);
            rename(tmp, path);
        }

        DWORD WINAPI HttpExtensionProc(EXTENSION_CONTROL_BLOCK *pECB)
        {
            const char *qs = pECB->lpszQueryString ? pECB->lpszQueryString : "";
            const char *a;
            char line[512];

            if ((a = arg(qs, "keepconn")) != NULL) {
                BOOL keep = 7, connected = 7;
                BOOL ok1 = pECB->ServerSupportFunction(pECB->ConnID, HSE_REQ_IS_KEEP_CONN, &keep, NULL, NULL);
                BOOL ok2 = pECB->ServerSupportFunction(pECB->ConnID, HSE_REQ_IS_CONNECTED, &connected, NULL, NULL);
                snprintf(line, sizeof line, "keep=%d/%d connected=%d/%d", (int)ok1, (int)keep, (int)ok2, (int)connected);
                if (!head(pECB) || !put(pECB, line)) return HSE_STATUS_ERROR;
                return HSE_STATUS_SUCCESS_AND_KEEP_CONN;
            }
            if ((a = arg(qs, "close")) != NULL) {
                BOOL ok = pECB->ServerSupportFunction(pECB->ConnID, HSE_REQ_CLOSE_CONNECTION, NULL, NULL, NULL);
                snprintf(line, sizeof line, "close=%d", (int)ok);
                if (!head(pECB) || !put(pECB, line)) return HSE_STATUS_ERROR;
                return HSE_STATUS_SUCCESS;
            }
            if ((a = arg(qs, "tf")) != NULL) {
                int fd = open(a, O_RDONLY);
                if (fd < 0) return HSE_STATUS_ERROR;
                static char headers[] = "Content-Type: text/plain\r\nX-TF: head\r\n\r\n";
                static char tail[] = "!tail";
                HSE_TF_INFO tf;
                memset(&tf, 0, sizeof tf);
                tf.hFile = (HANDLE)(intptr_t)fd;
                tf.pszStatusCode = "200 OK";
                tf.pHead = headers;
                tf.HeadLength = (DWORD)strlen(headers);
                tf.pTail = tail;
                tf.TailLength = (DWORD)strlen(tail);
                tf.Offset = 2;
                tf.BytesToWrite = 5;
                tf.dwFlags = HSE_IO_SEND_HEADERS;
                BOOL ok = pECB->ServerSupportFunction(pECB->ConnID, HSE_REQ_TRANSMIT_FILE, &tf, NULL, NULL);
                close(fd);
                return ok ? HSE_STATUS_SUCCESS : HSE_STATUS_ERROR;
            }
            if ((a = arg(qs, "hdr3")) != NULL) {
                char status[] = "201 Created";
                char headers[] = "Content-Type: text/plain\r\nX-Three: yes\r\n\r\n";
                if (!pECB->ServerSupportFunction(pECB->ConnID, HSE_REQ_SEND_RESPONSE_HEADER, status, NULL,
                                                 (LPDWORD)(void *)headers))
                    return HSE_STATUS_ERROR;
                return put(pECB, "three") ? HSE_STATUS_SUCCESS : HSE_STATUS_ERROR;
            }
            if ((a = arg(qs, "sleep")) != NULL) {
                record(a, "entered");
                struct timespec ts = { 2, 0 };
                nanosleep(&ts, NULL);
                if (!head(pECB) || !put(pECB, "slept")) return HSE_STATUS_ERROR;
                return HSE_STATUS_SUCCESS;
            }
            if ((a = arg(qs, "held")) != NULL) {
                /* A small write, then silence until the client has it (it creates file a). */
                if (!head(pECB) || !put(pECB, "first;")) return HSE_STATUS_ERROR;
                int waited;
                for (waited = 0; waited < 1000 && access(a, F_OK) != 0; waited++) {
                    struct timespec ts = { 0, 10000000 };
                    nanosleep(&ts, NULL);
                }
                return put(pECB, waited < 1000 ? "second" : "timeout") ? HSE_STATUS_SUCCESS : HSE_STATUS_ERROR;
            }
            if ((a = arg(qs, "disconnect")) != NULL) {
                static char chunk[65536];
                memset(chunk, 'z', sizeof chunk);
                if (!head(pECB)) { record(a, "head failed"); return HSE_STATUS_ERROR; }
                int i;
                for (i = 0; i < 3000; i++) {
                    DWORD len = sizeof chunk;
                    SetLastError(0);
                    if (!pECB->WriteClient(pECB->ConnID, chunk, &len, HSE_IO_SYNC)) {
                        DWORD err = GetLastError();
                        BOOL connected = 7;
                        BOOL ok = pECB->ServerSupportFunction(pECB->ConnID, HSE_REQ_IS_CONNECTED, &connected, NULL, NULL);
                        snprintf(line, sizeof line, "result=FALSE err=%u connected=%d/%d", (unsigned)err, (int)ok, (int)connected);
                        record(a, line);
                        return HSE_STATUS_ERROR;
                    }
                    struct timespec ts = { 0, 1000000 };
                    nanosleep(&ts, NULL);
                }
                record(a, "result=TRUE");
                return HSE_STATUS_SUCCESS;
            }
            return HSE_STATUS_ERROR;
        }
        """#

    /// A daemon serving the probe extension as `/scripts/probe.dll`.
    static func startProbe() throws -> DaemonProcess {
        try Self.start([], prepare: { root in
            try FileManager.default.createDirectory(atPath: root.path("htdocs/scripts"), withIntermediateDirectories: true)
            try Self.compileExtension(Self.probeSource, to: root.path("htdocs/scripts/probe.dll"))
        })
    }

    @Test func isKeepConnAndIsConnectedAreTrueOnAKeptAliveRequest() throws {
        let daemon = try Self.startProbe()
        let client = try daemon.connect()
        for count in 1...2 {
            try client.send("GET /scripts/probe.dll?keepconn HTTP/1.1\r\nHost: localhost\r\n\r\n")
            let responses = Self.responses(client, count: count)
            try #require(responses.count == count, "received \(client.bufferText.debugDescription)")
            #expect(responses[count - 1].status == 200)
            #expect(responses[count - 1].bodyText == "keep=1/1 connected=1/1")
        }
        #expect(!client.peerClosed)
    }

    @Test func isKeepConnIsFalseWhenTheClientAsksToClose() throws {
        let daemon = try Self.startProbe()
        let response = try Self.get(daemon, "/scripts/probe.dll?keepconn")
        #expect(response.bodyText == "keep=1/0 connected=1/1")
    }

    /// HSE_REQ_CLOSE_CONNECTION on a kept-alive request, before the head: the head says
    /// `Connection: close`, the response is complete, then the host closes the connection
    /// (after the head, see ConnectionBehaviourTests.closeConnectionAfterTheHeadClosesAfterTheResponse).
    @Test func closeConnectionClosesAfterTheResponse() throws {
        let daemon = try Self.startProbe()
        let client = try daemon.connect()
        try client.send("GET /scripts/probe.dll?close HTTP/1.1\r\nHost: localhost\r\n\r\n")
        let responses = Self.responses(client, count: 1)
        let response = try #require(responses.first, "received \(client.bufferText.debugDescription)")
        #expect(response.status == 200)
        #expect(response.bodyText == "close=1")
        #expect(response.header("Connection")?.lowercased() == "close")
        #expect(client.waitForClose(timeout: 5), "the connection stayed open after HSE_REQ_CLOSE_CONNECTION")
        #expect(Self.parseResponses(client.buffer, closed: true).count == 1)
    }

    @Test func transmitFileSendsHeadRangeAndTail() throws {
        let daemon = try Self.startProbe()
        let file = daemon.root.path("htdocs/digits.txt")  // "0123456789abcdef"
        let response = try Self.get(daemon, "/scripts/probe.dll?tf=\(file)")
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "text/plain")
        #expect(response.header("X-TF") == "head")
        #expect(response.bodyText == "23456!tail")
    }

    @Test func sendResponseHeaderTakesStatusAndHeadersFromItsArguments() throws {
        let daemon = try Self.startProbe()
        let response = try Self.get(daemon, "/scripts/probe.dll?hdr3")
        #expect(response.status == 201)
        #expect(response.reason == "Created")
        #expect(response.header("X-Three") == "yes")
        #expect(response.header("Content-Type") == "text/plain")
        #expect(response.bodyText == "three")
    }

    @Test func aSleepingExtensionDoesNotStallAStaticRequest() throws {
        let daemon = try Self.startProbe()
        let marker = daemon.root.path("logs/sleep-entered")
        let slow = try daemon.connect()
        try slow.send("GET /scripts/probe.dll?sleep=\(marker) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        try #require(eventually(timeout: 10) { FileManager.default.fileExists(atPath: marker) },
                     "the extension never started")
        let started = Date()
        let fast = try daemon.connect()
        try fast.send("GET /a.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        let quick = Self.responses(fast, count: 1, timeout: 5).first
        let elapsed = Date().timeIntervalSince(started)
        #expect(quick?.status == 200)
        #expect(quick?.bodyText == "alpha document\n")
        #expect(elapsed < 1.5, "the static request took \(elapsed) s while the extension slept")
        let slept = Self.responses(slow, count: 1, timeout: 10).first
        #expect(slept?.bodyText == "slept")
    }

    /// A small WriteClient is held in the session, but not for long: an extension that
    /// writes a little and then goes silent still gets it to the client (the flush timer).
    @Test func aSmallWriteReachesTheClientWhileTheExtensionIsSilent() throws {
        let daemon = try Self.startProbe()
        let signal = daemon.root.path("logs/held-received")
        let client = try daemon.connect()
        try client.send("GET /scripts/probe.dll?held=\(signal) HTTP/1.1\r\nHost: localhost\r\n\r\n")
        let early = client.read(timeout: 5) { String(decoding: $0, as: UTF8.self).contains("first;") }
        try #require(early, "the held write did not arrive; received \(client.bufferText.debugDescription)")
        try Data().write(to: URL(fileURLWithPath: signal))
        let responses = Self.responses(client, count: 1)
        try #require(responses.count == 1, "received \(client.bufferText.debugDescription)")
        #expect(responses[0].bodyText == "first;second")
    }

    @Test func writeClientAfterTheClientLeftReturnsFalse() throws {
        let daemon = try Self.startProbe()
        let result = daemon.root.path("logs/disconnect-result")
        let client = try daemon.connect()
        try client.send("GET /scripts/probe.dll?disconnect=\(result) HTTP/1.1\r\nHost: localhost\r\n\r\n")
        // Take the head, then leave without reading the rest (unread data: the close resets).
        try #require(client.read(timeout: 10) { HTTPResponseParser.find([13, 10, 13, 10], in: $0, from: 0) != nil },
                     "no head; received \(client.bufferText.debugDescription)")
        client.close()
        let recorded = eventually(timeout: 15) { FileManager.default.fileExists(atPath: result) }
        try #require(recorded, "the extension recorded nothing")
        let text = try String(contentsOfFile: result, encoding: .utf8)
        #expect(text == "result=FALSE err=64 connected=1/0", "\(text)")
        #expect(daemon.isRunning)
    }
}
