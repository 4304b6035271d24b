import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

// Support for the end-to-end tests: the built `isapid` binary, a temporary ServerRoot,
// a daemon process on 127.0.0.1 with port 0, a raw socket client and an HTTP/1.1
// response parser. Every wait here is bounded.

struct E2EError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Polls `condition` every `interval` seconds until it holds or `timeout` passes.
@discardableResult
func eventually(timeout: Double, interval: Double = 0.02, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while true {
        if condition() { return true }
        if Date() >= deadline { return false }
        usleep(UInt32(interval * 1_000_000))
    }
}

// MARK: - Locations

enum E2EPaths {
    /// The package root: the first directory above this file holding Package.swift.
    static let packageRoot: URL = {
        var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while directory.path != "/" {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
                return directory
            }
            directory = directory.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    }()

    /// The `isapid` built next to the test bundle (same scratch path), else `.build/debug/isapid`.
    static let isapidBinary: URL = {
        if let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            let candidate = URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent("isapid")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return packageRoot.appendingPathComponent(".build/debug/isapid")
    }()
}

// MARK: - Running isapid to completion (-t, -v, bad flags)

struct CommandResult {
    var status: Int32
    var exitedNormally: Bool
    var stdout: String
    var stderr: String
}

/// Runs `isapid` with `arguments` and waits (at most `timeout` seconds) for it to exit.
func runIsapid(_ arguments: [String], timeout: Double = 10) throws -> CommandResult {
    try runCommand(E2EPaths.isapidBinary, arguments, timeout: timeout)
}

/// Runs a Python script of the repository (`Tests/.../run.py`) with `arguments`, from
/// the package root.
func runPython(_ script: URL, _ arguments: [String], timeout: Double) throws -> CommandResult {
    try runCommand(URL(fileURLWithPath: "/usr/bin/env"), ["python3", script.path] + arguments, timeout: timeout,
                   currentDirectory: E2EPaths.packageRoot)
}

/// Runs a program, collecting its output in files (pipes could fill up), and waits at
/// most `timeout` seconds: then SIGTERM, SIGKILL after 10 more, and an error.
func runCommand(_ executable: URL, _ arguments: [String], timeout: Double,
                currentDirectory: URL? = nil) throws -> CommandResult {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    if let currentDirectory { process.currentDirectoryURL = currentDirectory }
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("isapid-e2e-cmd-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    let outURL = scratch.appendingPathComponent("stdout")
    let errURL = scratch.appendingPathComponent("stderr")
    _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
    let out = try FileHandle(forWritingTo: outURL)
    let err = try FileHandle(forWritingTo: errURL)
    defer {
        try? out.close()
        try? err.close()
    }
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    if !eventually(timeout: timeout, interval: 0.05, { !process.isRunning }) {
        kill(process.processIdentifier, SIGTERM)
        _ = eventually(timeout: 10) { !process.isRunning }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        throw E2EError("\(executable.lastPathComponent) \(arguments) did not exit within \(timeout) s")
    }
    process.waitUntilExit()
    let stdout = (try? String(contentsOf: outURL, encoding: .utf8)) ?? ""
    let stderr = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
    return CommandResult(status: process.terminationStatus, exitedNormally: process.terminationReason == .exit,
                         stdout: stdout, stderr: stderr)
}

// MARK: - ServerRoot

/// A temporary ServerRoot: `htdocs/`, `logs/`, `conf/mime.types` (the repository's);
/// the test writes `conf/httpd.conf` and the documents. Removed when released.
final class ServerRoot {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("isapid-e2e-\(UUID().uuidString)")
        let fm = FileManager.default
        for directory in ["htdocs", "logs", "conf"] {
            try fm.createDirectory(at: url.appendingPathComponent(directory), withIntermediateDirectories: true)
        }
        try fm.copyItem(at: E2EPaths.packageRoot.appendingPathComponent("conf/mime.types"),
                        to: url.appendingPathComponent("conf/mime.types"))
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    var path: String { url.path }

    func path(_ relative: String) -> String { url.appendingPathComponent(relative).path }

    /// Writes a file below the ServerRoot, creating its directories.
    func write(_ relative: String, _ contents: String) throws {
        let file = url.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(contents.utf8).write(to: file)
    }

    func writeConfig(_ text: String) throws { try write("conf/httpd.conf", text) }

    func read(_ relative: String) -> String {
        guard let data = FileManager.default.contents(atPath: path(relative)) else { return "" }
        return String(decoding: data, as: UTF8.self)
    }
}

/// The configurations the tests start from.
enum TestConfig {
    /// A small, complete configuration on 127.0.0.1 port 0, logging to `logs/`.
    static func standard(_ extra: String = "", listen: Bool = true) -> String {
        """
        \(listen ? "Listen 127.0.0.1:0" : "# no Listen here")
        ServerName localhost
        DocumentRoot "htdocs"
        ErrorLog "logs/error_log"
        LogLevel info
        CustomLog "logs/access_log" combined
        TypesConfig conf/mime.types
        GracefulShutdownTimeout 3
        <Directory />
            Require all denied
        </Directory>
        <Directory "htdocs">
            Require all granted
        </Directory>
        DirectoryIndex index.html
        \(extra)

        """
    }

    static let indexBody = "<html><body>isapid e2e index</body></html>\n"

    /// The documents most tests serve.
    static func writeSite(_ root: ServerRoot) throws {
        try root.write("htdocs/index.html", indexBody)
        try root.write("htdocs/a.txt", "alpha document\n")
        try root.write("htdocs/b.txt", "bravo document, a little longer\n")
        try root.write("htdocs/c.txt", "charlie\n")
        try root.write("htdocs/digits.txt", "0123456789abcdef")
        try root.write("htdocs/sub/file.txt", "file in sub\n")
    }
}

// MARK: - The daemon

/// A running `isapid -f conf/httpd.conf -d ROOT`. Stopped (SIGTERM, then SIGKILL) by
/// `stop()` or when released, so no daemon outlives its test.
final class DaemonProcess {
    let root: ServerRoot
    let process = Process()
    private let stdoutPipe = Pipe()
    private(set) var port: Int = 0
    private(set) var stdoutText = ""

    /// Starts the daemon on `root` (whose `conf/httpd.conf` is already written) and waits
    /// up to `startTimeout` seconds for its first `listening on` line. `environment` adds
    /// to (or replaces in) the test's own.
    init(root: ServerRoot, extraArguments: [String] = [], environment: [String: String] = [:],
         startTimeout: Double = 10) throws {
        self.root = root
        process.executableURL = E2EPaths.isapidBinary
        process.arguments = ["-f", "conf/httpd.conf", "-d", root.path] + extraArguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        process.standardOutput = stdoutPipe
        let stderrPath = root.path("logs/stderr")
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        process.standardInput = FileHandle.nullDevice
        try process.run()

        let fd = stdoutPipe.fileHandleForReading.fileDescriptor
        let deadline = Date().addingTimeInterval(startTimeout)
        var collected: [UInt8] = []
        while Date() < deadline {
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&descriptor, 1, 50) > 0 {
                var chunk = [UInt8](repeating: 0, count: 4096)
                let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
                if count > 0 { collected += chunk[0..<count] }
            }
            stdoutText = String(decoding: collected, as: UTF8.self)
            if let found = Self.listeningPort(in: stdoutText) {
                port = found
                return
            }
            if !process.isRunning && poll(&descriptor, 1, 0) <= 0 { break }
        }
        stop()
        throw E2EError("""
            isapid did not start listening (exit \(process.isRunning ? "-" : String(process.terminationStatus)))
            stdout: \(stdoutText)
            stderr: \(root.read("logs/stderr"))
            error_log: \(root.read("logs/error_log"))
            """)
    }

    /// The port of the first `isapid: listening on http://127.0.0.1:PORT/` line (or https://).
    static func listeningPort(in text: String) -> Int? {
        let markers = ["isapid: listening on http://127.0.0.1:", "isapid: listening on https://127.0.0.1:"]
        for line in text.split(separator: "\n") {
            guard let marker = markers.first(where: { line.hasPrefix($0) }) else { continue }
            let rest = line.dropFirst(marker.count)
            guard rest.hasSuffix("/") else { continue }
            return Int(rest.dropLast())
        }
        return nil
    }

    /// Convenience: a ServerRoot with the standard site and `config` written, and a daemon on it.
    static func start(_ config: String, extraArguments: [String] = [], environment: [String: String] = [:],
                      site: (ServerRoot) throws -> Void = TestConfig.writeSite) throws -> DaemonProcess {
        let root = try ServerRoot()
        try site(root)
        try root.writeConfig(config)
        return try DaemonProcess(root: root, extraArguments: extraArguments, environment: environment)
    }

    deinit { stop() }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    func sendSignal(_ signal: Int32) {
        if process.isRunning { kill(process.processIdentifier, signal) }
    }

    /// The exit status, or nil if the process is still running after `timeout` seconds.
    func waitForExit(timeout: Double) -> Int32? {
        guard eventually(timeout: timeout, { !process.isRunning }) else { return nil }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// True when the process ended by exiting (not by a signal).
    var exitedNormally: Bool { !process.isRunning && process.terminationReason == .exit }

    var errorLog: String { root.read("logs/error_log") }
    var accessLog: String { root.read("logs/access_log") }
    var stderrText: String { root.read("logs/stderr") }

    /// Lines of the access log (asynchronously written: poll with `eventually`).
    var accessLogLines: [String] { accessLog.split(separator: "\n").map(String.init) }

    /// SIGTERM, up to 3 s for a graceful exit, then SIGKILL.
    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        if !eventually(timeout: 3, { !process.isRunning }) {
            kill(process.processIdentifier, SIGKILL)
            _ = eventually(timeout: 3) { !process.isRunning }
        }
        if !process.isRunning { process.waitUntilExit() }
    }

    /// A new connection to the daemon.
    func connect() throws -> RawClient { try RawClient(port: port) }

    /// One request on a new connection; the response (reads until it is complete).
    func request(_ raw: String, method: String = "GET", timeout: Double = 5) throws -> HTTPResponse {
        let client = try connect()
        try client.send(raw)
        guard let response = client.readResponses(1, methods: [method], timeout: timeout).first else {
            throw E2EError("no response to \(raw.debugDescription); received \(client.bufferText.debugDescription)")
        }
        return response
    }

    /// `GET path` with Host and Connection: close on a new connection.
    func get(_ path: String, headers: [String] = []) throws -> HTTPResponse {
        let extra = headers.map { $0 + "\r\n" }.joined()
        return try request("GET \(path) HTTP/1.1\r\nHost: localhost\r\n\(extra)Connection: close\r\n\r\n")
    }
}

// MARK: - Raw socket client

/// A blocking TCP client to 127.0.0.1 that sends exact bytes and reads with deadlines.
final class RawClient {
    private var fd: Int32
    /// Bytes received and not yet consumed as responses.
    private(set) var buffer: [UInt8] = []
    /// The server closed (FIN) or reset the connection.
    private(set) var peerClosed = false

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw E2EError("socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            let reason = String(cString: strerror(errno))
            Glibc.close(fd)
            fd = -1
            throw E2EError("connect to 127.0.0.1:\(port): \(reason)")
        }
    }

    deinit { close() }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    /// Shuts down the sending side (`shutdown(SHUT_WR)`, a half-close): the server sees
    /// the end of input, and the client can still read.
    func shutdownWrite() {
        if fd >= 0 { _ = shutdown(fd, Int32(SHUT_WR)) }
    }

    /// Whether a new connection to the port is accepted.
    static func canConnect(port: Int) -> Bool { (try? RawClient(port: port)) != nil }

    var bufferText: String { String(decoding: buffer, as: UTF8.self) }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent < 0 {
                if errno == EINTR { continue }
                throw E2EError("send: \(String(cString: strerror(errno)))")
            }
            offset += sent
        }
    }

    /// Reads into `buffer` until `done(buffer)` holds, the peer closes, or `timeout` passes.
    /// Returns whether `done` held.
    @discardableResult
    func read(timeout: Double, until done: ([UInt8]) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if done(buffer) { return true }
            if peerClosed { return false }
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 { return false }
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, Int32(min(remaining, 0.1) * 1000) + 1)
            if ready < 0 && errno != EINTR { peerClosed = true; return done(buffer) }
            if ready <= 0 { continue }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                buffer += chunk[0..<count]
            } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                peerClosed = true  // FIN, or ECONNRESET
            }
        }
    }

    /// Waits until the server closes the connection; true if it did within `timeout`.
    func waitForClose(timeout: Double) -> Bool {
        read(timeout: timeout) { _ in false }
        return peerClosed
    }

    /// Reads until `count` complete responses are parsed (or the peer closes, or the
    /// timeout passes); returns the responses parsed and consumes their bytes.
    /// `methods[i]` is the method of the i-th final response's request (HEAD → no body).
    func readResponses(_ count: Int, methods: [String] = [], timeout: Double = 5) -> [HTTPResponse] {
        read(timeout: timeout) { bytes in
            HTTPResponseParser.parse(bytes, methods: methods, limit: count).responses.count >= count
        }
        let parsed = HTTPResponseParser.parse(buffer, methods: methods, closed: peerClosed, limit: count)
        buffer.removeFirst(parsed.consumed)
        return parsed.responses
    }
}

// MARK: - HTTP/1.1 responses

struct HTTPResponse {
    var version: String
    var status: Int
    var reason: String
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    func headerValues(_ name: String) -> [String] {
        headers.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
    }

    var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// A minimal response parser: status line, fields, and a body framed by Content-Length or
/// chunked (decoded; trailers skipped) — none for 1xx, 204, 304 and answers to HEAD; to
/// the end when the peer closed.
enum HTTPResponseParser {
    static func parse(_ bytes: [UInt8], methods: [String] = [], closed: Bool = false, limit: Int = .max)
        -> (responses: [HTTPResponse], consumed: Int)
    {
        var responses: [HTTPResponse] = []
        var offset = 0
        var finalIndex = 0
        while responses.count < limit, let headEnd = find([13, 10, 13, 10], in: bytes, from: offset) {
            let headText = String(decoding: bytes[offset..<headEnd], as: UTF8.self)
            var lines = headText.components(separatedBy: "\r\n")
            let statusLine = lines.removeFirst()
            let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let status = Int(parts[1]) else { break }
            var headers: [(name: String, value: String)] = []
            for line in lines {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers.append((String(line[..<colon]),
                                line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
            }
            var response = HTTPResponse(version: String(parts[0]), status: status,
                                        reason: parts.count > 2 ? String(parts[2]) : "", headers: headers, body: [])
            let bodyStart = headEnd + 4
            let isInterim = (100..<200).contains(status)
            let method = isInterim ? "" : (finalIndex < methods.count ? methods[finalIndex] : "GET")
            var bodyEnd = bodyStart
            if isInterim || status == 204 || status == 304 || method == "HEAD" {
                bodyEnd = bodyStart
            } else if response.header("Transfer-Encoding")?.lowercased().contains("chunked") == true {
                guard let (body, end) = decodeChunked(bytes, from: bodyStart) else { break }
                response.body = body
                responses.append(response)
                offset = end
                finalIndex += 1
                continue
            } else if let length = response.header("Content-Length").flatMap(Int.init) {
                guard bytes.count - bodyStart >= length else { break }
                bodyEnd = bodyStart + length
            } else {
                guard closed else { break }
                bodyEnd = bytes.count
            }
            response.body = Array(bytes[bodyStart..<bodyEnd])
            responses.append(response)
            offset = bodyEnd
            if !isInterim { finalIndex += 1 }
        }
        return (responses, offset)
    }

    /// A complete chunked body from `start`: its data and where it ends; nil while incomplete.
    private static func decodeChunked(_ bytes: [UInt8], from start: Int) -> ([UInt8], Int)? {
        var body: [UInt8] = []
        var position = start
        while let lineEnd = find([13, 10], in: bytes, from: position) {
            let sizeText = String(decoding: bytes[position..<lineEnd], as: UTF8.self)
            guard let size = Int(sizeText.split(separator: ";").first.map(String.init) ?? "", radix: 16) else {
                return nil
            }
            if size == 0 {
                // Trailer fields, then the empty line.
                var trailer = lineEnd + 2
                while let end = find([13, 10], in: bytes, from: trailer) {
                    if end == trailer { return (body, end + 2) }
                    trailer = end + 2
                }
                return nil
            }
            let dataStart = lineEnd + 2
            guard bytes.count >= dataStart + size + 2 else { return nil }
            body += bytes[dataStart..<(dataStart + size)]
            position = dataStart + size + 2
        }
        return nil
    }

    /// Where `needle` first occurs in `bytes` from `start`.
    static func find(_ needle: [UInt8], in bytes: [UInt8], from start: Int) -> Int? {
        guard bytes.count >= needle.count, start <= bytes.count - needle.count else { return nil }
        var index = start
        while index <= bytes.count - needle.count {
            if bytes[index] == needle[0] && Array(bytes[index..<index + needle.count]) == needle { return index }
            index += 1
        }
        return nil
    }
}
