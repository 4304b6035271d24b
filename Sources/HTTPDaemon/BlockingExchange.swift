import Foundation
import NIOCore
import NIOHTTP1
import RequestPipeline

/// The bridge between a blocking handler on a pool thread and its connection's event
/// loop. The request body flows in through a bounded buffer (the socket is read only as
/// fast as the handler consumes); the response flows out through another (the handler
/// blocks only while too much is unsent). Small writes made while one is in flight are
/// coalesced into the next.
final class BlockingExchange: ResponseChannel, @unchecked Sendable {
    // Everything below `condition` is guarded by it; `eventLoop`, `allocator` and the
    // callbacks are immutable.
    private let condition = NSCondition()
    private let eventLoop: EventLoop
    private let allocator: ByteBufferAllocator
    private let requestIsHTTP10: Bool
    private let isHead: Bool
    private let makeHead: (Int, String?, HeaderFields, _ keepAlive: Bool) -> HTTPResponseHead
    /// Event-loop side: write one part, calling back when it is written.
    private let writePart: (HTTPServerResponsePart, _ completion: @escaping @Sendable (Bool) -> Void) -> Void
    /// Event-loop side: the body buffer has room again.
    private let resumeReading: () -> Void
    /// Event-loop side: the response ended (written or failed).
    private let completed: (_ keepAlive: Bool) -> Void
    /// Event-loop side: write a complete response the normal way.
    private let respondNormally: (Response) -> Void

    static let bodyHighWater = 256 * 1024
    static let outgoingHighWater = 1024 * 1024

    private var bodyChunks = CircularBuffer<ByteBuffer>()
    private var bufferedBodyBytes = 0
    private var bodyEnded = false
    private var bodyFailed = false
    private var readingPaused = false

    private var connected = true
    private var sentHead = false
    private var chunked = false
    private var keepAlive: Bool
    private var pending: ByteBuffer
    private var writeInFlight = false
    private var endRequested = false
    private var ended = false

    /// What the access log needs once the response is over.
    private(set) var notes: [String: String] = [:]
    private(set) var queryAppendix = ""
    private(set) var status = 200
    private(set) var responseHeaders = HeaderFields()
    private(set) var bodyBytesSent: Int64 = 0

    init(eventLoop: EventLoop, allocator: ByteBufferAllocator, requestIsHTTP10: Bool, isHead: Bool, keepAlive: Bool,
         makeHead: @escaping (Int, String?, HeaderFields, Bool) -> HTTPResponseHead,
         writePart: @escaping (HTTPServerResponsePart, @escaping @Sendable (Bool) -> Void) -> Void,
         resumeReading: @escaping () -> Void, completed: @escaping (Bool) -> Void,
         respondNormally: @escaping (Response) -> Void) {
        self.eventLoop = eventLoop
        self.allocator = allocator
        self.requestIsHTTP10 = requestIsHTTP10
        self.isHead = isHead
        self.keepAlive = keepAlive
        self.makeHead = makeHead
        self.writePart = writePart
        self.resumeReading = resumeReading
        self.completed = completed
        self.respondNormally = respondNormally
        self.pending = allocator.buffer(capacity: 0)
    }

    // MARK: Event-loop side

    /// A body part arrived; false when the buffer is now full and reading should pause.
    func deliverBody(_ buffer: ByteBuffer) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !ended else { return true }
        bodyChunks.append(buffer)
        bufferedBodyBytes += buffer.readableBytes
        condition.broadcast()
        if bufferedBodyBytes >= Self.bodyHighWater {
            readingPaused = true
            return false
        }
        return true
    }

    func deliverEnd() { update { $0.bodyEnded = true } }

    /// The body cannot be read any more (too large, or the client sent garbage).
    func failBody() { update { $0.bodyFailed = true } }

    /// The client went away: every wait ends and every later call fails.
    func connectionClosed() {
        update {
            $0.connected = false
            $0.bodyFailed = $0.bodyFailed || !$0.bodyEnded
        }
    }

    var wantsBody: Bool {
        condition.lock()
        defer { condition.unlock() }
        return !readingPaused
    }

    private func update(_ change: (BlockingExchange) -> Void) {
        condition.lock()
        change(self)
        condition.broadcast()
        condition.unlock()
    }

    // MARK: ResponseChannel (pool side)

    var headSent: Bool {
        condition.lock()
        defer { condition.unlock() }
        return sentHead
    }

    var isConnected: Bool {
        condition.lock()
        defer { condition.unlock() }
        return connected
    }

    var keepsConnection: Bool {
        condition.lock()
        defer { condition.unlock() }
        return keepAlive && connected
    }

    func annotateLog(note name: String, value: String, appendToQuery: Bool) {
        update {
            $0.notes[name] = value
            if appendToQuery { $0.queryAppendix += value }
        }
    }

    func readBody(into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        guard buffer.count > 0 else { return 0 }
        condition.lock()
        while bodyChunks.isEmpty && !bodyEnded && !bodyFailed { condition.wait() }
        if bodyChunks.isEmpty {
            defer { condition.unlock() }
            return bodyFailed ? nil : 0
        }
        var copied = 0
        while copied < buffer.count, var chunk = bodyChunks.first {
            let count = min(chunk.readableBytes, buffer.count - copied)
            chunk.withUnsafeReadableBytes { source in
                UnsafeMutableRawBufferPointer(rebasing: buffer[copied..<(copied + count)])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: source[0..<count]))
            }
            chunk.moveReaderIndex(forwardBy: count)
            copied += count
            if chunk.readableBytes == 0 { bodyChunks.removeFirst() } else { bodyChunks[bodyChunks.startIndex] = chunk }
        }
        bufferedBodyBytes -= copied
        let resume = readingPaused && bufferedBodyBytes < Self.bodyHighWater / 2
        if resume { readingPaused = false }
        condition.unlock()
        if resume { eventLoop.execute { self.resumeReading() } }
        return copied
    }

    func sendHead(status: Int, reason: String?, headers: HeaderFields) -> Bool {
        condition.lock()
        guard !sentHead, connected, !ended else {
            condition.unlock()
            return false
        }
        sentHead = true
        var headers = headers
        let hasLength = headers.contains("Content-Length")
        let framesItself = headers.listContains("Transfer-Encoding", token: "chunked")
        let hasBody = !isHead && status >= 200 && status != 204 && status != 304
        if hasBody && !hasLength && !framesItself {
            if requestIsHTTP10 {
                keepAlive = false  // the body ends with the connection
            } else {
                headers.add("Transfer-Encoding", "chunked")
                chunked = true
            }
        }
        self.status = status
        responseHeaders = headers
        let head = makeHead(status, reason, headers, keepAlive)
        condition.unlock()
        eventLoop.execute { self.writePart(.head(head)) { _ in } }
        return true
    }

    func sendBody(_ bytes: UnsafeRawBufferPointer) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard sentHead, connected, !endRequested else { return false }
        guard !isHead, bytes.count > 0 else { return true }
        pending.writeBytes(bytes)
        bodyBytesSent += Int64(bytes.count)
        if !writeInFlight { startWrite() }
        while connected && pending.readableBytes >= Self.outgoingHighWater { condition.wait() }
        return connected
    }

    func respond(_ response: Response) -> Bool {
        condition.lock()
        guard !sentHead, !ended else {
            condition.unlock()
            return false
        }
        sentHead = true
        endRequested = true
        ended = true
        status = response.status
        responseHeaders = response.headers
        bodyBytesSent = response.bodyLength
        condition.unlock()
        eventLoop.execute { self.respondNormally(response) }
        return true
    }

    func finish(closeConnection: Bool) {
        condition.lock()
        if ended || endRequested {
            condition.unlock()
            return
        }
        if closeConnection { keepAlive = false }
        if !sentHead {
            condition.unlock()
            _ = sendHead(status: 200, reason: nil, headers: ["Content-Length": "0"])
            condition.lock()
        }
        endRequested = true
        if !writeInFlight { startWrite() }
        condition.unlock()
    }

    /// Takes what is pending and writes it (or the end) on the event loop. Called with
    /// the lock held; the completion picks up whatever accumulated meanwhile.
    private func startWrite() {
        if pending.readableBytes > 0 {
            let part = chunked ? frameChunk(pending) : pending
            pending = allocator.buffer(capacity: 0)
            writeInFlight = true
            eventLoop.execute {
                self.writePart(.body(.byteBuffer(part))) { success in self.writeFinished(success) }
            }
        } else if endRequested && !ended {
            ended = true
            writeInFlight = true
            let terminator: ByteBuffer? = chunked ? allocator.buffer(string: "0\r\n\r\n") : nil
            let keepAlive = self.keepAlive
            eventLoop.execute {
                if let terminator { self.writePart(.body(.byteBuffer(terminator))) { _ in } }
                self.writePart(.end(nil)) { success in
                    self.writeFinished(success)
                    self.completed(keepAlive && success)
                }
            }
        }
    }

    /// What the connection does when the handler has been silent past its deadline.
    enum Expiry { case alreadyEnding, answerNow, closeNow }

    /// The handler took too long (on the event loop): from now on its writes fail and
    /// its reads see a vanished client. When nothing was sent yet the connection
    /// answers in its place; otherwise it closes.
    func expire() -> Expiry {
        condition.lock()
        defer { condition.unlock() }
        if ended || endRequested { return .alreadyEnding }
        connected = false
        bodyFailed = bodyFailed || !bodyEnded
        ended = true
        condition.broadcast()
        return sentHead ? .closeNow : .answerNow
    }

    private func writeFinished(_ success: Bool) {
        condition.lock()
        writeInFlight = false
        var abandoned = false
        if !success {
            connected = false
            abandoned = !ended
            ended = true
        }
        if connected { startWrite() }
        condition.broadcast()
        condition.unlock()
        if abandoned { eventLoop.execute { self.completed(false) } }
    }

    private func frameChunk(_ data: ByteBuffer) -> ByteBuffer {
        var framed = allocator.buffer(capacity: data.readableBytes + 16)
        framed.writeString(String(data.readableBytes, radix: 16))
        framed.writeStaticString("\r\n")
        var data = data
        framed.writeBuffer(&data)
        framed.writeStaticString("\r\n")
        return framed
    }

    /// Ends a response the handler left open: a 500 when nothing was sent, else the end.
    func finishAbandoned(_ pipeline: Pipeline, _ context: RequestContext) {
        if !headSent {
            _ = respond(pipeline.errorResponseAfterHandler(500, context))
        } else {
            finish(closeConnection: false)
        }
    }
}
