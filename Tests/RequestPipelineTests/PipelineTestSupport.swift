import Foundation
import Logging
import ServerConfig
@testable import RequestPipeline

/// A throw-away ServerRoot for pipeline tests: `htdocs/` plus whatever a test writes.
/// Tests call `remove()` when done (deinit removes it too, as a fallback).
final class PipelineTree {
    let root: String
    var htdocs: String { root + "/htdocs" }

    /// A fixed modification time in the past (Sun, 13 Sep 2020 12:26:40 GMT), so that
    /// ETags are strong and If-Modified-Since compares against a known date.
    static let mtime: Int64 = 1_600_000_000
    static let mtimeHTTPDate = "Sun, 13 Sep 2020 12:26:40 GMT"

    init() {
        let base = NSTemporaryDirectory() + "/isapid-pipeline-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: base + "/htdocs", withIntermediateDirectories: true)
        // The pipeline compares paths textually: use the real path (macOS's /var is a link).
        root = URL(fileURLWithPath: base).resolvingSymlinksInPath().path
    }

    deinit { remove() }

    func remove() { try? FileManager.default.removeItem(atPath: root) }

    /// Writes a file (creating its directories) with the fixed past modification time.
    @discardableResult
    func write(_ relative: String, _ text: String) -> String {
        let path = root + "/" + relative
        try! FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try! text.write(toFile: path, atomically: false, encoding: .utf8)
        try! FileManager.default.setAttributes(
            [.modificationDate: Date(timeIntervalSince1970: TimeInterval(Self.mtime))], ofItemAtPath: path)
        return path
    }

    @discardableResult
    func mkdir(_ relative: String) -> String {
        let path = root + "/" + relative
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// A symbolic link at `relative` pointing to the absolute `destination`.
    func symlink(_ relative: String, to destination: String) {
        try! FileManager.default.createSymbolicLink(atPath: root + "/" + relative, withDestinationPath: destination)
    }

    func configuration(_ text: String) throws -> ServerConfiguration {
        try ConfigLoader.load(text: text, serverRoot: root)
    }

    /// A pipeline on the real filesystem; the config text names its own DocumentRoot.
    func pipeline(_ text: String, handlers: [String: any RequestHandler] = [:]) throws -> Pipeline {
        var logger = Logger(label: "test")
        logger.logLevel = .critical  // the pipeline's error-log lines are expected here
        return Pipeline(configuration: try configuration(text), handlers: handlers, logger: logger)
    }
}

enum TestRequest {
    static let host = "www.example.test"

    /// Microseconds since the epoch, now: request time for validators and If-Modified-Since.
    static var nowMicroseconds: Int64 { Int64(Date().timeIntervalSince1970 * 1_000_000) }

    /// A request as the decoder would hand it over, with `Host: www.example.test` first.
    static func make(_ target: String, method: String = "GET", headers extra: [(String, String)] = [],
                     remoteAddress: String = "127.0.0.1", contentLength: Int64? = nil) -> IncomingRequest {
        var headers: HeaderFields = ["Host": host]
        for (name, value) in extra { headers.add(name, value) }
        return IncomingRequest(
            method: method, target: target, headers: headers,
            connection: ConnectionInfo(remoteAddress: remoteAddress, remotePort: 40000, localAddress: "127.0.0.1", localPort: 80),
            receivedAtMicroseconds: nowMicroseconds, contentLength: contentLength)
    }
}

extension Pipeline {
    /// Shorthand for `process(TestRequest.make(...))`.
    func run(_ target: String, method: String = "GET", headers: [(String, String)] = [],
             remoteAddress: String = "127.0.0.1", contentLength: Int64? = nil) -> (RequestContext, Response) {
        process(TestRequest.make(target, method: method, headers: headers, remoteAddress: remoteAddress,
                                 contentLength: contentLength))
    }
}

extension Response {
    /// The file a `.file` body sends, or nil.
    var filePath: String? {
        if case .file(let path, _) = body { return path }
        return nil
    }

    var fileSegments: [FileSegment]? {
        if case .file(_, let segments) = body { return segments }
        return nil
    }

    /// A `.bytes` body as text, or nil.
    var bodyText: String? {
        if case .bytes(let bytes) = body { return String(decoding: bytes, as: UTF8.self) }
        return nil
    }

    var isEmptyBody: Bool {
        if case .empty = body { return true }
        return false
    }
}
