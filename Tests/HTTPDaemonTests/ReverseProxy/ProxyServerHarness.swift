import Foundation
import Glibc
import NIOCore
import NIOPosix
import RequestPipeline
import ServerConfig

@testable import HTTPDaemon

/// The daemon's connection handling on a real event loop in this process, with the
/// reverse proxy: each request goes to the URL its `X-Test-Target` header names (with
/// `X-Test-Follow: 1`, as RewriteProxy's `F`), so a test can forward anywhere without a
/// rewrite rule per case. Access and error logs are files the test can read.
final class ProxyServerHarness: @unchecked Sendable {
    let root: String
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let daemon: DaemonContext
    private let logFiles = LogFiles()
    private var channel: (any Channel)!

    var port: Int { channel.localAddress!.port! }

    init(_ directives: String = "") throws {
        let base = NSTemporaryDirectory() + "/isapid-proxy-" + UUID().uuidString
        for directory in ["htdocs", "conf", "logs"] {
            try FileManager.default.createDirectory(atPath: base + "/" + directory, withIntermediateDirectories: true)
        }
        root = base
        let configuration = try ConfigLoader.load(
            text: """
                ErrorLog logs/error_log
                LogFormat "%>s %b %X \\"%r\\"" short
                CustomLog logs/access_log short
                DocumentRoot htdocs
                SetHandler test-proxy

                """ + directives, serverRoot: root)
        let state = try ServingState(
            configuration: configuration, logFiles: logFiles, handlers: ["test-proxy": TargetHeaderProxyHandler()])
        let daemon = DaemonContext(state: state)
        self.daemon = daemon
        channel = try ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                _ = daemon.register(channel, limit: 1000)
                return channel.eventLoop.makeCompletedFuture {
                    let state = daemon.currentState
                    try Daemon.addConnectionHandlers(to: channel.pipeline.syncOperations, state: state, daemon: daemon)
                }
            }
            .bind(host: "127.0.0.1", port: 0).wait()
    }

    deinit {
        try? channel.close().wait()
        try? group.syncShutdownGracefully()
        try? FileManager.default.removeItem(atPath: root)
    }

    /// A new client connection to the server.
    func connect() throws -> RawClient { try RawClient(port: port) }

    /// Sends one request on a new connection and reads the answer.
    func forward(
        _ url: String, follows: Bool = false, method: String = "GET", headers: [(String, String)] = [],
        body: [UInt8]? = nil, chunked: Bool = false
    ) throws -> RawResponse {
        let client = try connect()
        defer { client.close() }
        return try client.exchange(
            url, follows: follows, method: method, headers: headers, body: body, chunked: chunked)
    }

    func accessLog() -> [String] { read("logs/access_log").split(separator: "\n").map(String.init) }
    func errorLog() -> String { read("logs/error_log") }

    /// The message ids of the error log's lines, in order.
    func errorIDs() -> [String] {
        errorLog().split(separator: "\n").compactMap { line in
            guard let range = line.range(of: "IS0[0-9]{4}", options: .regularExpression) else { return nil }
            return String(line[range])
        }
    }

    private func read(_ relative: String) -> String {
        (try? String(contentsOfFile: root + "/" + relative, encoding: .utf8)) ?? ""
    }
}

/// Forwards each request to its `X-Test-Target` header's URL (the header itself is not sent on).
struct TargetHeaderProxyHandler: RequestHandler {
    func handle(_ context: inout RequestContext, pipeline: Pipeline) -> Response {
        guard let url = context.headers["X-Test-Target"] else { return pipeline.errorResponse(404, &context) }
        let follows = context.headers["X-Test-Follow"] == "1"
        context.headers.remove("X-Test-Target")
        context.headers.remove("X-Test-Follow")
        context.proxyTarget = ProxyTarget(url: url, followsRedirects: follows)
        return ProxyRequestHandler().handle(&context, pipeline: pipeline)
    }
}
