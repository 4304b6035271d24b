import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

// bench-nio-floor: the floor of issue 14, the cost of SwiftNIO itself. One event loop,
// NIOHTTP1's standard server pipeline (`configureHTTPServerPipeline`), and a handler
// that answers every request with the same 13-byte body, honouring keep-alive.
// Whatever isapid spends per request beyond this server's cost is isapid's own.
// Bench-only: built by `make bench` (bench/run.py), never installed, not used by isapid.
//
//     bench-nio-floor PORT        listens on 127.0.0.1:PORT until killed

/// Answers every request with `Hello world!\n` (13 bytes), on the request's own terms:
/// kept alive unless the client asked to close.
final class FixedAnswerHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    static let body = ByteBuffer(string: "Hello world!\n")
    static let keepAliveHeaders: HTTPHeaders = ["Content-Type": "text/plain", "Content-Length": "13"]
    static let closeHeaders: HTTPHeaders = ["Content-Type": "text/plain", "Content-Length": "13", "Connection": "close"]

    /// What the request being read asked for; the answer goes out at its end.
    enum Connection { case keepAlive, close }
    private var connection = Connection.keepAlive

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            connection = head.isKeepAlive ? .keepAlive : .close
        case .body:
            break
        case .end:
            let headers = connection == .keepAlive ? Self.keepAliveHeaders : Self.closeHeaders
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))),
                          promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(Self.body))), promise: nil)
            switch connection {
            case .keepAlive:
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            case .close:
                let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
                context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in bound.value.close(promise: nil) }
            }
        }
    }
}

let arguments = CommandLine.arguments
guard arguments.count == 2, let port = Int(arguments[1]) else {
    print("usage: bench-nio-floor PORT")
    exit(2)
}
let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let channel = try ServerBootstrap(group: group)
    .serverChannelOption(ChannelOptions.backlog, value: 4096)
    .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
    .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.configureHTTPServerPipeline()
            try channel.pipeline.syncOperations.addHandler(FixedAnswerHandler())
        }
    }
    .bind(host: "127.0.0.1", port: port).wait()
try channel.closeFuture.wait()
