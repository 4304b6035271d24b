import Foundation
import NIOCore
import Observability
import NIOHTTP1
import RequestPipeline
import ServerConfig

/// Answers the event loop writes itself (static files, redirects, error pages), and the
/// end of every exchange: the access log, then keep-alive or close.
extension HTTPConnectionHandler {
    func write(context: ChannelHandlerContext) {
        guard let current = exchange, machine.exchange?.output == .notStarted else { return }
        // An answer the proxy gives (an ErrorDocument or an extension's redirect to a proxied URL).
        if case .proxy(let plan) = current.response.body { return startProxy(plan, current, context: context) }
        _ = machine.writingStarted()
        // A stop began while this request was read, or the client has nothing more to
        // send, or a filter returned SF_STATUS_REQ_FINISHED: this answer is the connection's
        // last, and its head says so.
        if machine.isClosing || isLastRequest || filterSession?.closesAfterAnswer == true { current.keepAlive = false }
        // The response is read where it is: a copy costs its reference counts twice.
        let status = current.response.status
        let isHead = current.context.method == "HEAD" || current.context.request.method == "HEAD"
        let bodyAllowed = status >= 200 && status != 204 && status != 304
        // The head, and the body when it is in memory (or a small file), in one buffer:
        // one channel write, one writev.
        var buffer = context.channel.allocator.buffer(capacity: 512)
        headContext(current).encode(
            status: status, reason: nil, headers: current.response.headers,
            contentLength: bodyAllowed ? current.response.bodyLength : nil, keepAlive: current.keepAlive, into: &buffer)
        let headLength = buffer.readableBytes

        var fileParts: [IOData] = []
        var fileToClose: NIOFileHandle?
        if bodyAllowed && !isHead {
            switch current.response.body {
            case .empty, .handOff, .proxy: break
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
                    current.response = state.pipeline.errorResponse(403, &requestContext)
                    machine.answerRestarted()
                    write(context: context)
                    return
                }
            }
        }
        armTimer(.writing, context: context)
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        // %b counts the body bytes the socket took: each part adds its own when written
        // (a large file goes in slices, so an aborted download shows how far it got).
        let bodyInBuffer = buffer.readableBytes - headLength
        if tls.isEstablished && !fileParts.isEmpty {
            let parts = [IOData.byteBuffer(buffer)] + Self.slices(fileParts, size: Self.encryptedSliceSize)
            writeEncrypted(parts[...], bodyInBuffer: bodyInBuffer, file: fileToClose, context: context)
            return
        }
        let parts = [IOData.byteBuffer(buffer)] + Self.slices(fileParts, size: Self.sliceSize)
        let paced = FileSendPacing.paces(fileParts)
        if paced { FileSendPacing.begin(on: context.channel) }
        for (index, part) in parts.enumerated().dropLast() {
            let promise = context.eventLoop.makePromise(of: Void.self)
            let count = Int64(index == 0 ? bodyInBuffer : part.readableBytes)
            let wireCount = Int64(part.readableBytes)
            promise.futureResult.whenSuccess {
                guard let exchange = loopBound.value.0.exchange else { return }
                exchange.bytesSent += count
                exchange.wireBytesSent += wireCount
            }
            context.write(wrapOutboundOut(part), promise: promise)
        }
        let last = parts[parts.count - 1]
        let lastCount = Int64(parts.count == 1 ? bodyInBuffer : last.readableBytes)
        let lastWireCount = Int64(last.readableBytes)
        let promise: EventLoopPromise<Void>
        if parts.count == 1 && current.keepAlive {
            // A keep-alive answer whole in one buffer goes without a promise (its future's
            // allocation, generic metadata and callback cost ~3.5k instructions, a twelfth
            // of a static request). As with NIOHTTP1's pipeline handler and Apache's core
            // output filter, the exchange ends once the channel took the answer: when the
            // socket did, or what waits stays under the write watermark (a close between
            // requests then waits for it: `close(context:)`). Else the end waits for the
            // write (an empty write's promise completes after it).
            context.writeAndFlush(wrapOutboundOut(last), promise: nil)
            // A failed write closed the channel, and that logged the exchange as aborted.
            guard exchange === current, context.channel.isActive else { return }
            if context.channel.isWritable {
                machine.answerHandedOver()
                return lastPartWritten(bodyBytes: lastCount, wireBytes: lastWireCount, context: context)
            }
            promise = context.eventLoop.makePromise(of: Void.self)
            context.writeAndFlush(wrapOutboundOut(.byteBuffer(ByteBuffer())), promise: promise)
        } else {
            promise = context.eventLoop.makePromise(of: Void.self)
            context.writeAndFlush(wrapOutboundOut(last), promise: promise)
        }
        let openedFile = fileToClose
        promise.futureResult.whenComplete { result in
            try? openedFile?.close()
            let (handler, context) = loopBound.value
            if paced { FileSendPacing.end(on: context.channel) }
            switch result {
            case .success:
                handler.machine.outputDrained()
                handler.lastPartWritten(bodyBytes: lastCount, wireBytes: lastWireCount, context: context)
            case .failure: handler.close(context: context)
            }
        }
    }

    /// The socket took the answer's last part: counted for the access log, and the
    /// exchange goes on (or ends).
    private func lastPartWritten(bodyBytes: Int64, wireBytes: Int64, context: ChannelHandlerContext) {
        exchange?.bytesSent += bodyBytes
        exchange?.wireBytesSent += wireBytes
        writeCompleted(context: context)
    }

    /// File regions sent with sendfile go in slices of this size.
    static let sliceSize = 1 << 20

    /// File regions above `size` cut into slices of that size.
    static func slices(_ parts: [IOData], size: Int) -> [IOData] {
        guard parts.contains(where: { $0.readableBytes > size }) else { return parts }
        var sliced: [IOData] = []
        for part in parts {
            guard case .fileRegion(let region) = part, region.readableBytes > size else {
                sliced.append(part)
                continue
            }
            var start = region.readerIndex
            while start < region.endIndex {
                let end = min(start + size, region.endIndex)
                sliced.append(.fileRegion(FileRegion(fileHandle: region.fileHandle, readerIndex: start, endIndex: end)))
                start = end
            }
        }
        return sliced
    }

    func headContext(_ exchange: Exchange) -> ResponseHeadContext {
        let configuration = state.configuration
        return ResponseHeadContext(
            daemon: daemon, serverHeader: state.serverHeader,
            keepAliveTimeout: Int(configuration.keepAliveTimeoutSeconds.rounded(.up)),
            remainingRequests: configuration.maxKeepAliveRequests > 0
                ? configuration.maxKeepAliveRequests - requestsServed : nil,
            answersKeepAlive: exchange.context.request.headers.listContains("Connection", token: "keep-alive"),
            writesHead: exchange.context.request.versionMajor > 0)
    }

    func writeCompleted(context: ChannelHandlerContext) {
        guard let current = exchange else { return }
        machine.writingFinished()
        if machine.exchange?.body == .ended || !current.keepAlive {
            finish(context: context)
        } else {
            armTimer(.readingBody, context: context)
        }
    }

    /// The request is over: log it, then close or go on with the next one.
    func finish(context: ChannelHandlerContext) {
        guard let current = endExchange() else { return }
        let keepAlive = machine.exchangeEnded(keepAlive: current.keepAlive)
        statusSlot.set(.logging)
        logAccess(current, connection: keepAlive ? .keepAlive : .close)
        statusSlot.set(keepAlive ? .keepAlive : .closing)
        guard keepAlive else {
            close(context: context)
            return
        }
        armTimer(.idle, context: context)
        // The requests read meanwhile (pipelined), in turn.
        while let part = machine.nextQueuedPart() {
            handle(part, context: context)
            if machine.isClosing { return }
        }
        switch machine.afterExchange() {
        case .badRequest(let error): badRequest(error, context: context)
        case .close: close(context: context)
        case .read: context.read()
        case .wait: break
        }
    }

    /// The connection ended while an exchange was not finished (the client left, a write
    /// failed or timed out, the handler's answer was cut short): it is logged now, as
    /// aborted (`%X` = `X`) unless its answer was completely written, with the status
    /// that went out and the body bytes the socket took.
    func logUnfinished() {
        let output = machine.exchange?.output
        guard let current = endExchange() else { return }
        machine.exchangeAbandoned()
        if let stream = current.stream, stream.headSent {
            current.response = Response(status: stream.status, headers: stream.responseHeaders)
        }
        let status: AccessLogRecord.ConnectionStatus = output == .finished
            ? (current.keepAlive ? .keepAlive : .close) : .aborted
        logAccess(current, connection: status)
    }

    /// The access-log line of an exchange: called exactly once per exchange, by `finish`
    /// or `logUnfinished`, both of which take the exchange off the connection first.
    func logAccess(_ exchange: Exchange, connection: AccessLogRecord.ConnectionStatus) {
        // Read in place: a copy of the request (~400 instructions) for two fields would be waste.
        let started = exchange.context.request.receivedAtMicroseconds
        // One reading of the clock for the figures and every line's `%D`, `%T`, `%{end}t`.
        let now = WallClock.microseconds()
        ServerFigures.shared.requests.ended(
            method: exchange.context.request.method, status: exchange.response.status, bytesIn: exchange.bodyBytes,
            bytesOut: exchange.bytesSent, durationMicroseconds: started > 0 ? now - started : 0)
        if let stream = exchange.stream {
            // What a blocking handler asked the access log to show (HSE_APPEND_LOG_PARAMETER).
            exchange.context.notes.merge(stream.notes) { _, new in new }
            if !stream.queryAppendix.isEmpty {
                exchange.context.originalQuery = (exchange.context.originalQuery ?? "") + stream.queryAppendix
            }
        }
        let targets = state.accessLogs[exchange.context.host.id] ?? []
        let filtered = exchange.context.request.connection.filterSession != nil
        guard !targets.isEmpty || filtered else { return }
        // ISAPI filters: SF_NOTIFY_LOG may change the fields, so a record is built for them.
        if filtered {
            var record = AccessLogRecord()
            AccessLogRecordBuilder.fill(
                &record, inPlace: &exchange.context, response: &exchange.response, bytesSent: exchange.bytesSent,
                wireBytesSent: exchange.wireBytesSent, connection: connection, serverPort: local.1, fields: .all)
            // SF_NOTIFY_LOG, then SF_NOTIFY_END_OF_REQUEST.
            state.pipeline.filterLog(&record, exchange.context)
            for index in targets.indices where Self.logs(targets[index], exchange) {
                targets[index].writer.writeAccessLine(targets[index].format, &record)
            }
            return
        }
        // Without filters each line reads the values where they are: no record is built.
        LiveAccessLogValues.withValues(
            of: &exchange.context, response: &exchange.response, bytesSent: exchange.bytesSent,
            wireBytesSent: exchange.wireBytesSent, connection: connection, serverPort: local.1, now: now
        ) { values in
            // By index: `for target in targets` copies each target out (three references).
            for index in targets.indices where Self.logs(targets[index], exchange) {
                targets[index].writer.writeAccessLine(targets[index].format, values)
            }
        }
    }

    /// Whether a CustomLog's `env=` condition lets the exchange's line in.
    private static func logs(_ target: ServingState.AccessLogTarget, _ exchange: Exchange) -> Bool {
        guard let condition = target.condition else { return true }
        return (exchange.context.environment[condition.variable] != nil) != condition.negated
    }
}
