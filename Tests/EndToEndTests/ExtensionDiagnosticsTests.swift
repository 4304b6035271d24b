import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What a porter needs to see in the error log (issue 13, item 6): an extension's own
/// stderr, under the supervising parent and under -X, also after a log rotation; the
/// load line; an extension's bad bytes escaped in log messages. Start-up errors before
/// the logs are open, and an ErrorLog that is standard error, stay on the terminal.
@Suite struct ExtensionDiagnosticsTests {
    /// Writes its query string to stderr four ways, then answers `ok`; `?abort` fails an
    /// assert (glibc prints the message, then abort()); `?badstatus` sends a status line
    /// with bytes that are not UTF-8.
    static let stderrWriter = """
        #include <assert.h>
        #include <errno.h>
        #include <stdio.h>
        #include <string.h>
        #include <httpext.h>
        BOOL WINAPI GetExtensionVersion(HSE_VERSION_INFO *pVer)
        {
            pVer->dwExtensionVersion = MAKELONG(HSE_VERSION_MINOR, HSE_VERSION_MAJOR);
            strcpy(pVer->lpszExtensionDesc, "stderr \\"writer\\"");
            return TRUE;
        }
        DWORD WINAPI HttpExtensionProc(EXTENSION_CONTROL_BLOCK *pECB)
        {
            const char *token = pECB->lpszQueryString;
            if (strcmp(token, "abort") == 0) {
                assert(!"diagnostics-assert fired");
            }
            static const char headers[] = "Content-Type: text/plain\\r\\n\\r\\n";
            HSE_SEND_HEADER_EX_INFO hdr;
            memset(&hdr, 0, sizeof hdr);
            hdr.pszStatus = strcmp(token, "badstatus") == 0 ? "\\xff\\xfe 200 \\\\ \\"q\\"" : "200 OK";
            hdr.cchStatus = (DWORD)strlen(hdr.pszStatus);
            hdr.pszHeader = headers;
            hdr.cchHeader = (DWORD)(sizeof headers - 1);
            if (!pECB->ServerSupportFunction(pECB->ConnID, HSE_REQ_SEND_RESPONSE_HEADER_EX, &hdr, NULL, NULL))
                return HSE_STATUS_ERROR;
            fprintf(stderr, "fprintf-%s line\\n", token);
            fputs("fputs-", stderr);
            fputs(token, stderr);
            fflush(stderr);
            errno = ENOENT;
            perror("\\nperror-line");
            DWORD len = 2;
            pECB->WriteClient(pECB->ConnID, "ok", &len, HSE_IO_SYNC);
            return HSE_STATUS_SUCCESS;
        }
        """

    /// A ServerRoot with the stderr writer at `htdocs/scripts/diag.dll` and `config`.
    static func start(_ extraArguments: [String] = [], errorLog: String = #"ErrorLog "logs/error_log""#)
        throws -> DaemonProcess {
        let root = try ServerRoot()
        try TestConfig.writeSite(root)
        try FileManager.default.createDirectory(atPath: root.path("htdocs/scripts"), withIntermediateDirectories: true)
        try ISAPITests.compileExtension(stderrWriter, to: root.path("htdocs/scripts/diag.dll"))
        let config = ISAPITests.config(root).replacingOccurrences(of: #"ErrorLog "logs/error_log""#, with: errorLog)
        try root.writeConfig(config)
        return try DaemonProcess(root: root, extraArguments: extraArguments)
    }

    /// Asks for `?token` and checks the answer.
    static func request(_ daemon: DaemonProcess, _ token: String) throws {
        let response = try ISAPITests.get(daemon, "/scripts/diag.dll?\(token)")
        #expect(response.status == 200 && response.bodyText == "ok", "\(response.status) \(response.bodyText)")
    }

    /// The lines the stderr writer writes for `token`.
    static func written(_ token: String) -> [String] {
        ["fprintf-\(token) line", "fputs-\(token)", "perror-line: No such file or directory"]
    }

    static func token() -> String { "t" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased() }

    @Test(arguments: [[], ["-X"]])
    func extensionStderrIsInTheErrorLog(_ arguments: [String]) throws {
        let daemon = try Self.start(arguments)
        let token = Self.token()
        try Self.request(daemon, token)
        let logged = eventually(timeout: 5) { Self.written(token).allSatisfy(daemon.errorLog.contains) }
        #expect(logged, "error log: \(daemon.errorLog)")
        #expect(!daemon.stderrText.contains(token), "on the terminal: \(daemon.stderrText)")
        // isapid's own lines stay whole beside the extension's (one write each; only an
        // extension's own unfinished line, like its fputs above, may come before one).
        let path = daemon.root.path("htdocs/scripts/diag.dll")
        let loadLine = #"] [isapi:info] [pid "#
        let loadText = #"IS02040: loaded \#(path): "stderr \"writer\"" version 2.0, "#
            + "exports neither DllMain nor TerminateExtension"
        // Written through the log's queue: it may come after the extension's own lines.
        let whole = eventually(timeout: 5) {
            daemon.errorLog.split(separator: "\n").contains { $0.contains(loadLine) && $0.hasSuffix(loadText) }
        }
        #expect(whole, "error log: \(daemon.errorLog)")
        daemon.stop()
        #expect(daemon.exitedNormally)
    }

    @Test func stderrFollowsTheErrorLogThroughARotation() throws {
        let daemon = try Self.start()
        let before = Self.token()
        try Self.request(daemon, before)
        #expect(eventually(timeout: 5) { daemon.errorLog.contains("fprintf-\(before) line") }, "\(daemon.errorLog)")
        // Rotate: move the file away, SIGHUP; the server reopens ErrorLog and says so in the new file.
        try FileManager.default.moveItem(atPath: daemon.root.path("logs/error_log"),
                                         toPath: daemon.root.path("logs/error_log.1"))
        daemon.sendSignal(SIGHUP)
        #expect(eventually(timeout: 10) { daemon.errorLog.contains("IS00094") }, "new error log: \(daemon.errorLog)")
        let after = Self.token()
        try Self.request(daemon, after)
        #expect(eventually(timeout: 5) { Self.written(after).allSatisfy(daemon.errorLog.contains) },
                "new error log: \(daemon.errorLog)")
        let rotated = daemon.root.read("logs/error_log.1")
        #expect(rotated.contains("fprintf-\(before) line") && !rotated.contains(after), "rotated: \(rotated)")
        #expect(!daemon.stderrText.contains(before) && !daemon.stderrText.contains(after), "\(daemon.stderrText)")
    }

    @Test func aCrashingExtensionsAbortMessageIsInTheErrorLog() throws {
        let daemon = try Self.start()
        let client = try daemon.connect()
        try client.send("GET /scripts/diag.dll?abort HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        _ = client.waitForClose(timeout: 10)
        let logged = eventually(timeout: 10) {
            let log = daemon.errorLog
            return log.contains("diagnostics-assert fired") && log.contains("IS00052")
        }
        #expect(logged, "error log: \(daemon.errorLog)")
        #expect(!daemon.stderrText.contains("diagnostics-assert"), "on the terminal: \(daemon.stderrText)")
        // The replacement serving process writes there too.
        let token = Self.token()
        #expect(eventually(timeout: 10) { (try? Self.request(daemon, token)) != nil })
        #expect(eventually(timeout: 5) { daemon.errorLog.contains("fprintf-\(token) line") }, "\(daemon.errorLog)")
    }

    /// A C++ extension whose exception reaches a noexcept boundary: libstdc++'s
    /// terminate message ("terminate called after throwing …") is in the error log.
    @Test func aCppTerminateMessageIsInTheErrorLog() throws {
        let root = try ServerRoot()
        try TestConfig.writeSite(root)
        try FileManager.default.createDirectory(atPath: root.path("htdocs/scripts"), withIntermediateDirectories: true)
        try Self.compileCpp("""
            #include <cstring>
            #include <stdexcept>
            #include <httpext.h>
            BOOL WINAPI GetExtensionVersion(HSE_VERSION_INFO *pVer)
            {
                pVer->dwExtensionVersion = MAKELONG(HSE_VERSION_MINOR, HSE_VERSION_MAJOR);
                std::strcpy(pVer->lpszExtensionDesc, "terminates");
                return TRUE;
            }
            static void fail() { throw std::runtime_error("diagnostics-terminate fired"); }
            static void serve() noexcept { fail(); }
            DWORD WINAPI HttpExtensionProc(EXTENSION_CONTROL_BLOCK *)
            {
                serve();
                return HSE_STATUS_SUCCESS;
            }
            """, to: root.path("htdocs/scripts/terminate.dll"))
        try root.writeConfig(ISAPITests.config(root))
        let daemon = try DaemonProcess(root: root)
        let client = try daemon.connect()
        try client.send("GET /scripts/terminate.dll HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        _ = client.waitForClose(timeout: 10)
        let logged = eventually(timeout: 10) {
            let log = daemon.errorLog
            return log.contains("terminate called after throwing an instance of 'std::runtime_error'")
                && log.contains("diagnostics-terminate fired") && log.contains("IS00052")
        }
        #expect(logged, "error log: \(daemon.errorLog)")
        #expect(!daemon.stderrText.contains("diagnostics-terminate"), "on the terminal: \(daemon.stderrText)")
    }

    /// `c++ -shared -fPIC -I Sources/CISAPI/include` of `source` into `output`.
    static func compileCpp(_ source: String, to output: String) throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("isapid-e2e-cpp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let sourceURL = work.appendingPathComponent("ext.cpp")
        try Data(source.utf8).write(to: sourceURL)
        let include = E2EPaths.packageRoot.appendingPathComponent("Sources/CISAPI/include").path
        let result = try runCommand(URL(fileURLWithPath: "/usr/bin/env"),
                                    ["c++", "-shared", "-fPIC", "-I", include, sourceURL.path, "-o", output],
                                    timeout: 120)
        guard result.status == 0 else { throw E2EError("c++ failed (\(result.status)): \(result.stderr)") }
    }

    @Test(arguments: [[], ["-X"]])
    func badBytesFromAnExtensionAreEscapedInTheLog(_ arguments: [String]) throws {
        let daemon = try Self.start(arguments)
        let response = try ISAPITests.get(daemon, "/scripts/diag.dll?badstatus")
        #expect(response.status == 500)
        let path = daemon.root.path("htdocs/scripts/diag.dll")
        let expected = #"IS02005: refused a malformed response header from \#(path): "#
            + #"bad status "\xff\xfe 200 \\ \"q\"""#
        #expect(eventually(timeout: 5) { daemon.errorLog.contains(expected) }, "error log: \(daemon.errorLog)")
    }

    /// With no ErrorLog (isapid logs to standard error) or ErrorLog /dev/stderr, the
    /// extension's stderr and the log stay where standard error was.
    @Test(arguments: ["", "ErrorLog /dev/stderr"])
    func anErrorLogOnStandardErrorStaysThere(_ errorLog: String) throws {
        let daemon = try Self.start(errorLog: errorLog)
        let token = Self.token()
        try Self.request(daemon, token)
        let logged = eventually(timeout: 5) {
            let text = daemon.stderrText
            return Self.written(token).allSatisfy(text.contains) && text.contains("IS02040")
        }
        #expect(logged, "stderr: \(daemon.stderrText)")
        #expect(!FileManager.default.fileExists(atPath: daemon.root.path("logs/error_log")))
    }

    /// Start-up errors before the server runs are said on the terminal, not only in the
    /// error log: here an address already in use, under the parent and under -X.
    @Test(arguments: [[], ["-X"]])
    func aStartupFailureIsOnTheTerminal(_ arguments: [String]) throws {
        let (holder, port) = try Self.listeningSocket()
        defer { close(holder) }
        let root = try ServerRoot()
        try TestConfig.writeSite(root)
        try root.writeConfig(TestConfig.standard().replacingOccurrences(of: "Listen 127.0.0.1:0",
                                                                          with: "Listen 127.0.0.1:\(port)"))
        let result = try runIsapid(["-f", "conf/httpd.conf", "-d", root.path] + arguments, timeout: 30)
        #expect(result.status != 0)
        #expect(result.stderr.contains("could not bind"), "stderr: \(result.stderr)")
        #expect(root.read("logs/error_log").contains("IS00072"), "error log: \(root.read("logs/error_log"))")
    }

    /// A socket listening on 127.0.0.1 at a port the system chose.
    static func listeningSocket() throws -> (Int32, Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 1) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard fd >= 0, bound else { throw E2EError("could not open a listening socket") }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }
}
