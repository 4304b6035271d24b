import Foundation
import NIOCore
import NIOEmbedded
import NIOHTTP1
import RequestPipeline
import ServerConfig
import Testing

@testable import HTTPDaemon

/// Outermost outbound handler (next to the socket): passes every write and flush on at
/// once but, while `holding`, keeps the write promises until `release()`, the way a
/// socket that has not drained yet would. It also counts the reads that reach the socket.
final class WriteCompletionGate: ChannelOutboundHandler {
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    var holding = false
    private(set) var held: [EventLoopPromise<Void>] = []
    private(set) var readsForwarded = 0

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if holding, let promise {
            held.append(promise)
            context.write(data, promise: nil)
        } else {
            context.write(data, promise: promise)
        }
    }

    func read(context: ChannelHandlerContext) {
        readsForwarded += 1
        context.read()
    }

    /// Completes the writes held so far (their callbacks may write and hold more).
    func release() {
        let promises = held
        held = []
        for promise in promises { promise.succeed(()) }
    }
}

/// What came out of the channel: bytes, or a file region (sent with sendfile, never read).
enum WireChunk: Equatable, CustomStringConvertible {
    case bytes([UInt8])
    case file(readerIndex: Int, endIndex: Int)

    var description: String {
        switch self {
        case .bytes(let bytes): return "bytes(\(String(decoding: bytes, as: UTF8.self).debugDescription))"
        case .file(let start, let end): return "file(\(start)..<\(end))"
        }
    }
}

/// One response as parsed off the wire.
struct WireResponse: CustomStringConvertible {
    var statusLine: String
    var headers: [(name: String, value: String)]
    var body: [WireChunk]

    var headerNames: [String] { headers.map(\.name) }

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    func count(_ name: String) -> Int {
        headers.filter { $0.name.lowercased() == name.lowercased() }.count
    }

    /// The body when it is all bytes (nil when it has a file region).
    var bodyText: String? {
        var bytes: [UInt8] = []
        for chunk in body {
            guard case .bytes(let part) = chunk else { return nil }
            bytes += part
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    var description: String {
        ([statusLine] + headers.map { "\($0.name): \($0.value)" }).joined(separator: "\n") + "\n\(body)"
    }
}

/// A throw-away ServerRoot (htdocs, conf/mime.types, logs) and one connection to a
/// daemon serving it: an EmbeddedChannel with the pipeline `Daemon.makeBootstrap` builds.
final class ConnectionHarness {
    static let indexHTML = "<html><body>It works!</body></html>\n"
    static let smallText = "hello, world\n"
    /// Sun, 13 Sep 2020 12:26:40 GMT: files get an old mtime, so their ETags are strong.
    static let mtime: Int64 = 1_600_000_000
    static let mtimeHTTPDate = "Sun, 13 Sep 2020 12:26:40 GMT"

    let root: String
    let configuration: ServerConfiguration
    let daemon: DaemonContext
    let logFiles = LogFiles()
    let channel: EmbeddedChannel
    let gate = WriteCompletionGate()
    private var wire: [WireChunk] = []

    /// `directives` are appended to a base configuration that only sets the ErrorLog.
    /// `tls`: the connection is to a TLS listener (the TLS handlers come first, as `makeBootstrap` adds them).
    init(_ directives: String = "", files: [String: String] = [:], tls: Bool = false) throws {
        let base = NSTemporaryDirectory() + "/isapid-connection-" + UUID().uuidString
        let manager = FileManager.default
        for directory in ["htdocs", "conf", "logs"] {
            try manager.createDirectory(atPath: base + "/" + directory, withIntermediateDirectories: true)
        }
        root = URL(fileURLWithPath: base).resolvingSymlinksInPath().path
        var all = ["htdocs/index.html": Self.indexHTML, "htdocs/small.txt": Self.smallText,
                   "conf/mime.types": "text/html\thtml htm\ntext/plain\ttxt\n"]
        all.merge(files) { _, new in new }
        for (relative, text) in all {
            let path = root + "/" + relative
            try manager.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                        withIntermediateDirectories: true)
            try text.write(toFile: path, atomically: false, encoding: .utf8)
            try manager.setAttributes([.modificationDate: Date(timeIntervalSince1970: TimeInterval(Self.mtime))],
                                      ofItemAtPath: path)
        }

        configuration = try ConfigLoader.load(text: "ErrorLog logs/error_log\n" + directives, serverRoot: root)
        let state = try ServingState(configuration: configuration, logFiles: logFiles, handlers: [:])
        daemon = DaemonContext(state: state)

        // As `makeBootstrap`: handlers are added to a registered channel, which then goes active.
        channel = EmbeddedChannel()
        channel.localAddress = try SocketAddress(ipAddress: "127.0.0.1", port: 8080)
        channel.remoteAddress = try SocketAddress(ipAddress: "192.0.2.7", port: 40000)
        try channel.pipeline.syncOperations.addHandler(gate)
        if let proxyProtocol = ProxyProtocolHandler.ifRequired(on: channel, state: state) {
            try channel.pipeline.syncOperations.addHandler(proxyProtocol)
        }
        if tls { try state.tls.addHandlers(to: channel, configuration: configuration, logger: state.logger) }
        try Daemon.addConnectionHandlers(to: channel.pipeline.syncOperations, state: state, daemon: daemon)
        _ = daemon.register(channel, limit: configuration.maxConnections)
        try channel.connect(to: channel.remoteAddress!).wait()
    }

    deinit {
        _ = try? channel.finish(acceptAlreadyClosed: true)
        try? FileManager.default.removeItem(atPath: root)
    }

    var isOpen: Bool { channel.isActive }

    /// The socket stops taking bytes: the gate holds the write promises until
    /// `gate.release()`, and the channel says it is not writable, as one holding more than
    /// its write watermark does (an answer under the watermark is not waited for).
    func stallSocket() {
        gate.holding = true
        channel.isWritable = false
    }

    /// Client bytes in; then whatever the event loop has to run.
    func send(_ text: String) throws {
        try channel.writeInbound(ByteBuffer(string: text))
        channel.embeddedEventLoop.run()
    }

    func advance(seconds: Int64) {
        channel.embeddedEventLoop.advanceTime(by: .seconds(seconds))
        channel.embeddedEventLoop.run()
    }

    func advance(milliseconds: Int64) {
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(milliseconds))
        channel.embeddedEventLoop.run()
    }

    /// Moves what the channel wrote into `wire`, joining bytes and dropping empty buffers.
    private func drain() throws {
        while let data = try channel.readOutbound(as: IOData.self) {
            switch data {
            case .byteBuffer(let buffer):
                guard buffer.readableBytes > 0 else { continue }
                let bytes = Array(buffer.readableBytesView)
                if case .bytes(let previous) = wire.last {
                    wire[wire.count - 1] = .bytes(previous + bytes)
                } else {
                    wire.append(.bytes(bytes))
                }
            case .fileRegion(let region):
                wire.append(.file(readerIndex: region.readerIndex, endIndex: region.endIndex))
            }
        }
    }

    /// Everything written and not parsed yet, as text (file regions as placeholders).
    func unreadOutput() throws -> String {
        try drain()
        return wire.map { chunk in
            if case .bytes(let bytes) = chunk { return String(decoding: bytes, as: UTF8.self) }
            return "<\(chunk)>"
        }.joined()
    }

    /// Nothing was written since the last response read.
    var hasNoOutput: Bool {
        get throws {
            try drain()
            return wire.isEmpty
        }
    }

    /// Parses the next response written; `bodyless` for an answer to HEAD.
    func readResponse(bodyless: Bool = false, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> WireResponse {
        try drain()
        guard case .bytes(let first) = wire.first,
              let end = first.indices.first(where: { first[$0...].starts(with: [13, 10, 13, 10]) })
        else {
            Issue.record("no complete response head in \(wire)", sourceLocation: sourceLocation)
            throw HarnessError.noResponse
        }
        let head = String(decoding: first[..<end], as: UTF8.self)
        let rest = Array(first[(end + 4)...])
        if rest.isEmpty { wire.removeFirst() } else { wire[0] = .bytes(rest) }

        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst()
        var headers: [(name: String, value: String)] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else {
                Issue.record("bad header line \(line.debugDescription)", sourceLocation: sourceLocation)
                continue
            }
            headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        var response = WireResponse(statusLine: statusLine, headers: headers, body: [])

        let status = Int(statusLine.split(separator: " ").dropFirst().first ?? "") ?? 0
        if bodyless || status < 200 || status == 204 || status == 304 { return response }
        guard let lengthText = response.header("Content-Length"), var remaining = Int(lengthText) else {
            Issue.record("no Content-Length in \(response)", sourceLocation: sourceLocation)
            return response
        }
        while remaining > 0 {
            try drain()
            guard let chunk = wire.first else {
                Issue.record("body short by \(remaining) bytes: \(response)", sourceLocation: sourceLocation)
                throw HarnessError.noResponse
            }
            switch chunk {
            case .bytes(let bytes):
                let taken = min(bytes.count, remaining)
                response.body.append(.bytes(Array(bytes[..<taken])))
                remaining -= taken
                if taken == bytes.count { wire.removeFirst() } else { wire[0] = .bytes(Array(bytes[taken...])) }
            case .file(let start, let end):
                #expect(end - start <= remaining, "file region beyond Content-Length", sourceLocation: sourceLocation)
                response.body.append(chunk)
                remaining -= end - start
                wire.removeFirst()
            }
        }
        return response
    }

    /// The access log so far (a `CustomLog logs/access_log ...` in the directives).
    func accessLog() -> String {
        logFiles.flushAll()
        return (try? String(contentsOfFile: root + "/logs/access_log", encoding: .utf8)) ?? ""
    }

    /// The error log so far.
    func errorLog() -> String {
        logFiles.flushAll()
        return (try? String(contentsOfFile: root + "/logs/error_log", encoding: .utf8)) ?? ""
    }
}

enum HarnessError: Error { case noResponse }
