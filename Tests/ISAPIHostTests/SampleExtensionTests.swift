import CISAPI
import Foundation
import Logging
import Testing
@testable import ISAPIHost

#if canImport(Glibc)
import Glibc
#endif

/// Every sample of extensions/ (SwiftPM's `lib<name>.so`, built next to the test binary)
/// loaded through `ExtensionRegistry.acquire` and driven through `ExtensionRunner.run`
/// with a `FakeConnection`: the C boundary exactly as the daemon crosses it, no sockets.
@Suite struct SampleExtensionTests {
    /// The directory of the running test binary, where SwiftPM builds the dynamic library products.
    static let buildDirectory: URL = {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: executable).deletingLastPathComponent()
    }()

    /// Whether this process exports the host's GetLastError/SetLastError to what it dlopens.
    /// The isapid binary does (`--export-dynamic-symbol`); a test runner need not. Samples
    /// that reference them cannot load (RTLD_NOW) where they are not exported.
    static let exportsLastError: Bool = {
        let handle = dlopen(nil, RTLD_NOW)
        defer { if let handle { dlclose(handle) } }
        return dlsym(handle, "GetLastError") != nil && dlsym(handle, "SetLastError") != nil
    }()

    struct Outcome {
        let connection: FakeConnection
        let logs: [String]
    }

    static func path(_ name: String) -> String {
        buildDirectory.appendingPathComponent("lib\(name).so").path
    }

    /// Loads `lib<name>.so` through a registry of its own, runs one request, releases the
    /// lease (unloading it) and shuts the registry down.
    static func run(_ name: String, _ request: ISAPIRequest = .make(), _ connection: FakeConnection = FakeConnection(),
                    settings: ISAPISettings = ISAPISettings()) throws -> Outcome {
        let logs = CapturedLogs()
        let logger = Logger(label: "isapi") { _ in CapturingLogHandler(logs) }
        let path = Self.path(name)
        try #require(FileManager.default.fileExists(atPath: path), "\(path) is missing: swift build --build-tests builds it")
        let registry = ExtensionRegistry(cachedPaths: [], logger: logger)
        defer { registry.shutdown() }
        let lease = try registry.acquire(path)
        #expect(lease.library.extensionDescription == "isapid sample: \(name)")
        ExtensionRunner.run({ lease.callHttpExtensionProc($0) }, extensionPath: path, request: request,
                            connection: connection, settings: settings, logger: logger)
        lease.release()
        #expect(registry.loadedPaths.isEmpty)
        return Outcome(connection: connection, logs: logs.lines)
    }

    /// For the samples that call GetLastError/SetLastError: where the process does not
    /// export them, the load must fail cleanly (an error naming the symbol), never crash.
    static func runNeedingLastError(_ name: String, _ request: ISAPIRequest = .make(),
                                    _ connection: FakeConnection = FakeConnection()) throws -> Outcome? {
        if exportsLastError { return try run(name, request, connection) }
        let registry = ExtensionRegistry(cachedPaths: [], logger: Logger(label: "isapi") { _ in SwiftLogNoOpLogHandler() })
        defer { registry.shutdown() }
        #expect {
            _ = try registry.acquire(Self.path(name))
        } throws: { error in
            "\(error)".contains("LastError")
        }
        return nil
    }

    static func contentType(_ connection: FakeConnection) -> String? {
        connection.head?.headers.first { $0.name.lowercased() == "content-type" }?.value
    }

    // MARK: - The samples

    @Test func hello() throws {
        let outcome = try Self.run("hello")
        let connection = outcome.connection
        #expect(connection.head?.status == 200)
        #expect(connection.head?.reason == "OK")
        #expect(Self.contentType(connection) == "text/plain")
        #expect(connection.sentText == "Hello from an ISAPI extension on isapid\n")
        #expect(connection.finished == false)
        #expect(connection.respondedStatus == nil)
    }

    @Test func echoContentLengthBodyByteExact() throws {
        var generator = SystemRandomNumberGenerator()
        let body = (0..<300_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        var request = ISAPIRequest.make(method: "POST", contentLength: Int64(body.count))
        request.contentType = "application/x-test"
        let connection = try Self.run("echo", request, FakeConnection(body: body)).connection
        #expect(connection.head?.status == 200)
        #expect(Self.contentType(connection) == "application/x-test")
        #expect(connection.sent.count == body.count)
        #expect(connection.sent == body, "the echoed body differs")
        #expect(connection.finished == false)
    }

    @Test func echoChunkedBody() throws {
        let body = Array(("first piece;" + String(repeating: "x", count: 70_000) + "\nlast\n").utf8)
        let connection = try Self.run("echo", .make(method: "POST", chunked: true), FakeConnection(body: body)).connection
        #expect(connection.head?.status == 200)
        #expect(Self.contentType(connection) == "application/octet-stream")
        #expect(connection.sent == body)
    }

    @Test func echoReadFailureIsAnError() throws {
        var settings = ISAPISettings()
        settings.readAheadBuffer = 0
        let connection = FakeConnection(body: [1, 2, 3])
        connection.failReads = true
        // fillECB reads nothing ahead; the sample's ReadClient fails: HSE_STATUS_ERROR after
        // the head, so the response ends as its framing says. The host does not withdraw the
        // keep-alive the head offered (the connection closes for the unread body, if at all).
        let outcome = try Self.run("echo", .make(method: "POST", contentLength: 3), connection, settings: settings)
        #expect(outcome.connection.head?.status == 200)
        #expect(outcome.connection.sent.isEmpty)
        #expect(outcome.connection.finished == false)
        #expect(outcome.logs.contains { $0.contains("HSE_STATUS_ERROR") })
    }

    @Test func servervars() throws {
        let request = ISAPIRequest.make(
            query: "q=1", pathInfo: "/x/y",
            variables: [("REQUEST_METHOD", "GET"), ("QUERY_STRING", "q=1"), ("PATH_INFO", "/x/y"),
                        ("HTTP_HOST", "localhost"), ("HTTP_X_LONG", String(repeating: "v", count: 300))],
            headers: [("Host", "localhost"), ("X-Long", String(repeating: "v", count: 300))])
        guard let outcome = try Self.runNeedingLastError("servervars", request) else { return }
        let connection = outcome.connection
        #expect(connection.head?.status == 200)
        let text = connection.sentText
        let lines = text.components(separatedBy: "\n")
        #expect(lines.contains("REQUEST_METHOD=GET"), "\(text)")
        #expect(lines.contains("QUERY_STRING=q=1"), "\(text)")
        #expect(lines.contains("PATH_INFO=/x/y"), "\(text)")
        #expect(lines.contains("CONTENT_LENGTH="), "unset standard variables are empty: \(text)")
        // ALL_HTTP is longer than the sample's first 64-byte buffer: it grows and retries.
        #expect(text.contains("\nALL_HTTP:\nHTTP_HOST:localhost\r\nHTTP_X_LONG:\(String(repeating: "v", count: 300))\r\n"), "\(text)")
        #expect(text.hasSuffix("\nALL_RAW:\nHost: localhost\r\nX-Long: \(String(repeating: "v", count: 300))\r\n"), "\(text)")
    }

    @Test func certinfo() throws {
        var request = ISAPIRequest.make()
        request.serverOnlyVariables = [("HTTPS", "on"), ("CERT_FLAGS", "3"), ("CERT_SUBJECT", "C=US, CN=alice")]
        request.clientCertificate = ISAPIClientCertificate(derEncoded: [0x30, 0x82, 0x01, 0x0A] + [UInt8](repeating: 7, count: 262),
                                                           flags: 3)
        guard let outcome = try Self.runNeedingLastError("certinfo", request) else { return }
        let lines = outcome.connection.sentText.components(separatedBy: "\n")
        #expect(lines.contains("HTTPS=on"), "\(lines)")
        #expect(lines.contains("CERT_SUBJECT=C=US, CN=alice"), "\(lines)")
        #expect(lines.contains("SSL_PROTOCOL=<error 1413>"), "not a standard name: unset fails \(lines)")
        #expect(lines.contains("GET_CERT_INFO_EX=266 bytes, flags 3, first bytes 30 82 01 0a 07 07 07 07"), "\(lines)")

        guard let plain = try Self.runNeedingLastError("certinfo", .make()) else { return }
        #expect(plain.connection.sentText.contains("GET_CERT_INFO_EX=<error 232>\n"), "\(plain.connection.sentText)")
    }

    @Test(arguments: [("status=404", 404, "Not Found"), ("", 200, "OK"), ("status=503", 503, "Service Unavailable")])
    func headers(_ query: String, _ status: Int, _ reason: String) throws {
        let connection = try Self.run("headers", .make(query: query)).connection
        #expect(connection.head?.status == status)
        #expect(connection.head?.reason == reason)
        #expect(connection.head?.headers.first { $0.name == "X-ISAPI-Sample" }?.value == "headers")
        #expect(Self.contentType(connection) == "text/plain")
        #expect(connection.sentText == "This response has status \(status) \(reason).\nTry ?status=404 or ?status=503.\n")
        #expect(connection.respondedStatus == nil)
    }

    @Test func headersNoContentHasNoBody() throws {
        let connection = try Self.run("headers", .make(query: "status=204")).connection
        #expect(connection.head?.status == 204)
        #expect(Self.contentType(connection) == nil)
        #expect(connection.sent.isEmpty)
    }

    @Test func redirectExternal() throws {
        let connection = try Self.run("redirect", .make(query: "to=%2Felsewhere%3Fa%3D1")).connection
        #expect(connection.redirectedTo == "/elsewhere?a=1")
        #expect(connection.internallyRedirectedTo == nil)
        #expect(connection.head == nil && connection.respondedStatus == nil && connection.finished == nil)
    }

    @Test func redirectInternal() throws {
        let connection = try Self.run("redirect", .make(query: "internal=/index.html")).connection
        #expect(connection.internallyRedirectedTo == "/index.html")
        #expect(connection.redirectedTo == nil)
        #expect(connection.head == nil && connection.respondedStatus == nil && connection.finished == nil)
    }

    @Test func redirectWithoutParametersShowsItsPage() throws {
        let connection = try Self.run("redirect").connection
        #expect(connection.head?.status == 200)
        #expect(Self.contentType(connection) == "text/html; charset=utf-8")
        #expect(connection.sentText.contains("<h1>ISAPI redirect sample</h1>"))
        #expect(connection.redirectedTo == nil && connection.internallyRedirectedTo == nil)
    }

    @Test func logparam() throws {
        var settings = ISAPISettings()
        settings.appendLogToErrors = true
        let outcome = try Self.run("logparam", .make(query: "a=1"), settings: settings)
        let connection = outcome.connection
        #expect(connection.logParameters.count == 1)
        #expect(connection.logParameters.first?.0 == "sample-log-param")
        #expect(connection.logParameters.first?.1 == true)
        #expect(connection.head?.status == 200)
        #expect(connection.sentText == "ok")
        // lpszLogData and (ISAPIAppendLogToErrors) the parameter reach the error log.
        let path = Self.path("logparam")
        #expect(outcome.logs.contains("\(path): logparam sample: lpszLogData set"), "\(outcome.logs)")
        #expect(outcome.logs.contains("\(path): sample-log-param"), "\(outcome.logs)")
    }

    @Test func mapurl() throws {
        let connection = FakeConnection()
        connection.mappings["/index.html"] = ("/srv/htdocs/index.html", false)
        guard let outcome = try Self.runNeedingLastError("mapurl", .make(query: "/index.html"), connection) else { return }
        let text = outcome.connection.sentText
        let path = "/srv/htdocs/index.html"
        let needed = path.utf8.count + 1
        #expect(text.hasPrefix("URL: /index.html\n\n"), "\(text)")
        #expect(text.contains("MAP_URL_TO_PATH, buffer 12 bytes: FALSE, GetLastError()=122, *lpdwSize=\(needed)\n"), "\(text)")
        #expect(text.contains("MAP_URL_TO_PATH, buffer \(needed) bytes: TRUE, GetLastError()=0, *lpdwSize=\(needed)\n  path: \(path)\n"), "\(text)")
        #expect(text.contains("MAP_URL_TO_PATH_EX: TRUE, GetLastError()=0\n  lpszPath:        \(path)\n"), "\(text)")
        #expect(text.contains("  cchMatchingURL:  11\n"), "\(text)")
    }

    @Test func unsupported() throws {
        guard let outcome = try Self.runNeedingLastError("unsupported") else { return }
        let connection = outcome.connection
        #expect(connection.head?.status == 200)
        let rows = connection.sentText.components(separatedBy: "\n").dropFirst().filter { !$0.isEmpty }
        #expect(rows.count == 10, "\(connection.sentText)")
        for row in rows {
            #expect(row.contains(" FALSE ") && row.hasSuffix(" 87 (ERROR_INVALID_PARAMETER)"), "row \(row)")
        }
    }

    @Test func asyncUnderFakeAsyncFinishes() throws {
        var settings = ISAPISettings()
        settings.fakeAsync = true
        settings.pendingTimeoutSeconds = 10
        let outcome = try Self.run("async", settings: settings)
        let connection = outcome.connection
        #expect(connection.head?.status == 200)
        #expect(Self.contentType(connection) == "text/plain")
        #expect(connection.sentText == "written synchronously from a worker pthread\nwritten with HSE_IO_ASYNC\n")
        #expect(connection.finished == false)
        #expect(!outcome.logs.contains { $0.contains("HSE_REQ_DONE_WITH_SESSION") }, "\(outcome.logs)")
    }

    @Test func asyncWithoutFakeAsyncAnswersSynchronously() throws {
        let connection = try Self.run("async").connection
        #expect(connection.head?.status == 200)
        #expect(connection.sentText.hasPrefix("async sample: HSE_REQ_IO_COMPLETION failed; enable ISAPIFakeAsync On"))
        #expect(connection.finished == false)
    }

    @Test func skeleton() throws {
        let request = ISAPIRequest.make(method: "POST", query: "k=v", contentLength: 5,
                                        variables: [("SERVER_NAME", "example.test")])
        guard let outcome = try Self.runNeedingLastError("skeleton", request, FakeConnection(body: Array("12345".utf8)))
        else { return }
        let connection = outcome.connection
        #expect(connection.head?.status == 200)
        #expect(Self.contentType(connection) == "text/plain; charset=utf-8")
        #expect(connection.head?.headers.first { $0.name == "Cache-Control" }?.value == "no-store")
        #expect(connection.sentText == "skeleton on example.test\nmethod=POST query=k=v body=5 bytes\n")
    }

    @Test func skeletonRefusesOtherMethodsWith405() throws {
        guard let outcome = try Self.runNeedingLastError("skeleton", .make(method: "DELETE")) else { return }
        #expect(outcome.connection.head == nil)
        #expect(outcome.connection.respondedStatus == 405)
    }
}

// MARK: - Log capture

final class CapturedLogs: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []
    func append(_ line: String) { lock.withLock { stored.append(line) } }
    var lines: [String] { lock.withLock { stored } }
}

struct CapturingLogHandler: LogHandler {
    let logs: CapturedLogs
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]

    init(_ logs: CapturedLogs) { self.logs = logs }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        logs.append(event.message.description)
    }
}
