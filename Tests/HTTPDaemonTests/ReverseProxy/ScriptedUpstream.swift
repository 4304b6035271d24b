import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// A tiny upstream on 127.0.0.1:0 that answers each request head with scripted bytes
/// (so tests can send what no well-behaved server would), optionally over TLS. It counts
/// the connections it accepted and the request heads it read.
final class ScriptedUpstream: @unchecked Sendable {
    /// What the upstream does after it read a request head.
    enum Script: Sendable {
        /// Writes these bytes (the connection stays open).
        case respond(String)
        /// Never answers.
        case silent
        /// A head announcing `total` bytes, then the body in 256 KiB pieces, written only
        /// while the socket takes them; `blocked` is called when the proxy stops reading.
        case stream(total: Int)
        /// Reads a body of `length` bytes after the head, then answers with the count.
        case sink(length: Int)
        /// Answers a connection's first request with these bytes and closes the connection,
        /// without answering, when a second request comes on it (a keep-alive connection
        /// the upstream dropped while the proxy thought it idle).
        case respondOnceThenClose(String)
    }

    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private(set) var channel: (any Channel)!
    private let lock = NSLock()
    private var accepted = 0
    private var heads = 0
    private var sawBlocked = false
    private var streamed = 0

    var port: Int { channel.localAddress!.port! }
    var connectionsAccepted: Int { lock.withLock { accepted } }
    var requestHeadsRead: Int { lock.withLock { heads } }
    /// Whether the upstream's writes were held back because the proxy stopped reading.
    var wasBlocked: Bool { lock.withLock { sawBlocked } }
    var bytesStreamed: Int { lock.withLock { streamed } }

    init(_ script: Script, tls: NIOSSLContext? = nil) throws {
        channel = try ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { [self] child in
                lock.withLock { accepted += 1 }
                return child.eventLoop.makeCompletedFuture {
                    if let tls { try child.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    try child.pipeline.syncOperations.addHandler(ScriptHandler(script: script, upstream: self))
                }
            }
            .bind(host: "127.0.0.1", port: 0).wait()
    }

    func stop() {
        try? channel.close().wait()
        try? group.syncShutdownGracefully()
    }

    fileprivate func noteHead() { lock.withLock { heads += 1 } }
    fileprivate func noteBlocked() { lock.withLock { sawBlocked = true } }
    fileprivate func noteStreamed(_ count: Int) { lock.withLock { streamed += count } }
}

/// Reads request heads (up to the empty line; bodies are not expected) and plays the script.
private final class ScriptHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let script: ScriptedUpstream.Script
    let upstream: ScriptedUpstream
    private var pending: [UInt8] = []
    private var remaining = 0
    /// Body bytes of the current request still to read (`.sink`).
    private var bodyRemaining = 0
    /// Request heads read on this connection.
    private var headsOnConnection = 0

    init(script: ScriptedUpstream.Script, upstream: ScriptedUpstream) {
        self.script = script
        self.upstream = upstream
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        pending += Array(buffer: unwrapInboundIn(data))
        if bodyRemaining > 0 { return consumeBody(context) }
        while let end = headEnd() {
            pending.removeFirst(end)
            upstream.noteHead()
            headsOnConnection += 1
            switch script {
            case .respondOnceThenClose(let text):
                guard headsOnConnection == 1 else {
                    context.close(promise: nil)
                    return
                }
                context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: text)), promise: nil)
            case .respond(let text):
                context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: text)), promise: nil)
            case .silent:
                break
            case .stream(let total):
                let head = "HTTP/1.1 200 OK\r\nContent-Length: \(total)\r\n\r\n"
                context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: head)), promise: nil)
                remaining = total
                pump(context)
            case .sink(let length):
                bodyRemaining = length
                return consumeBody(context)
            }
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            pump(context)
        } else if remaining > 0 {
            upstream.noteBlocked()
        }
    }

    /// Takes `.sink` body bytes; answers once all arrived.
    private func consumeBody(_ context: ChannelHandlerContext) {
        let taken = min(bodyRemaining, pending.count)
        pending.removeFirst(taken)
        bodyRemaining -= taken
        if bodyRemaining == 0, case .sink(let length) = script {
            let text = "got \(length)"
            let answer = "HTTP/1.1 200 OK\r\nContent-Length: \(text.utf8.count)\r\n\r\n\(text)"
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: answer)), promise: nil)
        }
    }

    /// Writes body pieces while the socket takes them.
    private func pump(_ context: ChannelHandlerContext) {
        let piece = 256 * 1024
        while remaining > 0 && context.channel.isWritable {
            let count = min(piece, remaining)
            remaining -= count
            upstream.noteStreamed(count)
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(repeating: UInt8(ascii: "x"), count: count)), promise: nil)
        }
    }

    private func headEnd() -> Int? {
        guard pending.count >= 4 else { return nil }
        for index in 0...(pending.count - 4)
        where pending[index] == 13 && pending[index + 1] == 10 && pending[index + 2] == 13 && pending[index + 3] == 10 {
            return index + 4
        }
        return nil
    }
}
