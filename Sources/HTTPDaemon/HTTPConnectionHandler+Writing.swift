import Foundation
import NIOCore
import NIOHTTP1
import RequestPipeline
import ServerConfig

/// Answers the event loop writes itself (static files, redirects, error pages), and the
/// end of every exchange: the access log, then keep-alive or close.
extension HTTPConnectionHandler {
    func write(context: ChannelHandlerContext) {
        guard let current = exchange, !current.startedWriting else { return }
        current.startedWriting = true
        // A stop began while this request was read: its answer is the connection's last.
        if closing { current.keepAlive = false }
        exchange = current
        let response = current.response
        let isHead = current.context.method == "HEAD" || current.context.request.method == "HEAD"
        let bodyAllowed = response.status >= 200 && response.status != 204 && response.status != 304
        // The head, and the body when it is in memory (or a small file), in one buffer:
        // one channel write, one writev.
        var buffer = context.channel.allocator.buffer(capacity: 512)
        headContext(current).encode(
            status: response.status, reason: nil, headers: response.headers,
            contentLength: bodyAllowed ? response.bodyLength : nil, keepAlive: current.keepAlive, into: &buffer)

        var fileParts: [IOData] = []
        var fileToClose: NIOFileHandle?
        if bodyAllowed && !isHead {
            switch response.body {
            case .empty, .handOff: break
            case .bytes(let bytes):
                buffer.writeBytes(bytes)
            case .file(let path, let segments):
                do {
                    let body = try FileBody(path: path, segments: segments, appendingTo: &buffer)
                    fileParts = body.parts
                    fileToClose = body.handle
                } catch {
                    // The file vanished between the stat and the open: answer as Apache would.
                    var requestContext = current.context
                    state.logger.error("could not open \(path): \(error)", metadata: requestContext.logMetadata(id: "IS00132"))
                    exchange?.response = state.pipeline.errorResponse(403, &requestContext)
                    exchange?.startedWriting = false
                    write(context: context)
                    return
                }
            }
        }
        exchange?.bytesSent = isHead || !bodyAllowed ? 0 : response.bodyLength
        armTimer(.writing, context: context)
        let promise = context.eventLoop.makePromise(of: Void.self)
        let parts = [IOData.byteBuffer(buffer)] + fileParts
        for part in parts.dropLast() { context.write(wrapOutboundOut(part), promise: nil) }
        context.writeAndFlush(wrapOutboundOut(parts[parts.count - 1]), promise: promise)
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let openedFile = fileToClose
        promise.futureResult.whenComplete { result in
            try? openedFile?.close()
            let (handler, context) = loopBound.value
            switch result {
            case .success: handler.writeCompleted(context: context)
            case .failure: handler.close(context: context)
            }
        }
    }

    func headContext(_ exchange: Exchange) -> ResponseHeadContext {
        let configuration = state.configuration
        return ResponseHeadContext(
            daemon: daemon, serverHeader: state.serverHeader,
            keepAliveTimeout: Int(configuration.keepAliveTimeoutSeconds.rounded(.up)),
            remainingRequests: configuration.maxKeepAliveRequests > 0
                ? configuration.maxKeepAliveRequests - requestsServed - 1 : nil,
            isHTTP10: exchange.context.request.versionMinor == 0)
    }

    func writeCompleted(context: ChannelHandlerContext) {
        guard exchange != nil else { return }
        exchange!.finishedWriting = true
        if exchange!.receivedEnd || !exchange!.keepAlive {
            finish(context: context)
        } else {
            armTimer(.readingBody, context: context)
        }
    }

    /// The request is over: log it, then close or go on with the next one.
    func finish(context: ChannelHandlerContext) {
        guard let current = exchange else { return }
        exchange = nil
        requestsServed += 1
        if let stream = current.stream {
            // What a blocking handler asked the access log to show (HSE_APPEND_LOG_PARAMETER).
            current.context.notes.merge(stream.notes) { _, new in new }
            if !stream.queryAppendix.isEmpty {
                current.context.originalQuery = (current.context.originalQuery ?? "") + stream.queryAppendix
            }
        }
        logAccess(current)
        guard current.keepAlive, !closing else {
            close(context: context)
            return
        }
        armTimer(.idle, context: context)
        while let part = queued.first, exchange == nil || !part.isHead {
            queued.removeFirst()
            handle(part, context: context)
            if closing { return }
        }
        if readPending && !isBusyWriting && queued.isEmpty {
            readPending = false
            context.read()
        }
    }

    func logAccess(_ exchange: Exchange) {
        guard let targets = state.accessLogs[exchange.context.host.id], !targets.isEmpty else { return }
        let record = AccessLogRecordBuilder.record(
            exchange.context, response: exchange.response, bytesSent: exchange.bytesSent,
            keepAlive: exchange.keepAlive, serverPort: local.1)
        for target in targets {
            if let condition = target.condition, (exchange.context.environment[condition.variable] != nil) == condition.negated {
                continue
            }
            target.writer.write(target.format.format(record))
        }
    }
}
