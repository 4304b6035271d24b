import Foundation
import ISAPIHost
import NIOCore
import NIOHTTP1
import RequestPipeline

/// The bridge between a blocking handler on a pool thread and its connection's event
/// loop. The request body flows in through a bounded buffer (the socket is read only as
/// fast as the handler consumes); the response flows out through another (the handler
/// blocks only while too much is unsent). The head, the body and the end wait in one
/// queue that the event loop drains: what the handler produced by the time the loop gets
/// to it (a head and the first writes, many small writes, the last write and the end)
/// leaves in one write and one system call.
final class BlockingExchange: ResponseChannel, @unchecked Sendable {
    // Everything below `condition` is guarded by it; `returns`, `allocator` and
    // `connection` are immutable.
    private let condition = ConditionLock()
    /// The way back to the connection's event loop, shared by its exchanges: returns
    /// posted together run in one loop task (`LoopReturns`).
    private let returns: LoopReturns
    private let allocator: ByteBufferAllocator
    /// HTTP/1.0 or 0.9: a body without a length is not chunked but ends with the connection.
    private let requestIsBeforeHTTP11: Bool
    private let isHead: Bool
    /// The connection: the head's bytes, and the event loop's side of the exchange.
    private let connection: any BlockingExchangeConnection

    static let bodyHighWater = 256 * 1024
    static let outgoingHighWater = 1024 * 1024

    private var bodyChunks = CircularBuffer<ByteBuffer>()
    private var bufferedBodyBytes = 0
    private var bodyEnded = false
    private var bodyFailed = false
    private var readingPaused = false

    private var connected = true
    /// Where the response head is.
    private var head = Head.none
    private var reason: String?
    private var chunked = false
    private var keepAlive: Bool
    /// What the handler's body bytes become (set by its head).
    private var bodyRule = BodyRule.sent
    /// Body bytes not yet taken by the event loop (unframed).
    private var pending: ByteBuffer
    /// A drain is scheduled or its write has not completed yet.
    private var writeInFlight = false
    /// Something (the head at least) has been handed to the connection.
    private var wroteToClient = false
    /// How the handler asked its response to end.
    private var requestedEnd = RequestedEnd.notYet
    private var endRequested: Bool { requestedEnd != .notYet }
    private var ended = false

    /// What the access log needs once the response is over.
    private(set) var notes: [String: String] = [:]
    private(set) var queryAppendix = ""
    private(set) var status = 200
    private(set) var responseHeaders = HeaderFields()
    /// Body bytes the handler handed over (accepted for sending).
    private(set) var bodyBytesSent: Int64 = 0

    init(returns: LoopReturns, allocator: ByteBufferAllocator, requestIsBeforeHTTP11: Bool, isHead: Bool, keepAlive: Bool,
         connection: any BlockingExchangeConnection) {
        self.returns = returns
        self.allocator = allocator
        self.requestIsBeforeHTTP11 = requestIsBeforeHTTP11
        self.isHead = isHead
        self.keepAlive = keepAlive
        self.connection = connection
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

    /// The connection will close after this response (the client half-closed, or a stop
    /// began): a head not sent yet says `Connection: close`, and HSE_REQ_IS_KEEP_CONN
    /// answers FALSE from now on.
    func closeAfterResponse() { update { $0.keepAlive = false } }

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
        return headSentLocked
    }

    var isConnected: Bool {
        condition.lock()
        defer { condition.unlock() }
        return connected
    }

    /// What will really happen after this response, as far as is known now.
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
        if resume { returns.post(self, .resumeReading) }
        return copied
    }

    func sendHead(status: Int, reason: String?, headers: consuming HeaderFields) -> Bool {
        condition.lock()
        guard case .none = head, connected, !ended else {
            condition.unlock()
            return false
        }
        // A handler's own `Connection: close` is honoured, as Apache's ap_set_keepalive
        // does. Connection, Keep-Alive, Date and Server are the connection's own fields
        // (Apache's basic_http_header unsets a handler's Date and Server "to avoid
        // bogosity"): a handler's would go out beside them.
        if headers.listContains("Connection", token: "close") { keepAlive = false }
        headers.removeAll { Self.isConnectionField($0.name) }
        // 204 and 304 end at their head: Apache's header filter unsets their framing
        // fields and drops any body (AP_STATUS_IS_HEADER_ONLY).
        let endsAtHead = status == 204 || status == 304
        if endsAtHead {
            headers.remove("Content-Length")
            headers.remove("Transfer-Encoding")
        }
        let hasLength = headers.contains("Content-Length")
        let framesItself = headers.listContains("Transfer-Encoding", token: "chunked")
        let hasBody = !isHead && status >= 200 && !endsAtHead
        if !hasBody {
            bodyRule = .dropped
        } else if hasLength && !framesItself, let length = headers["Content-Length"].flatMap({ Int64($0) }) {
            bodyRule = .upTo(length)
        } else {
            bodyRule = .sent
        }
        if hasBody && !hasLength && !framesItself {
            if requestIsBeforeHTTP11 {
                keepAlive = false  // the body ends with the connection
            } else {
                headers.add("Transfer-Encoding", "chunked")
                chunked = true
            }
        }
        self.status = status
        self.reason = reason
        responseHeaders = headers
        // The head waits for the first body bytes or the end, as Apache holds it back
        // until the first output: one write and one wake-up of the event loop fewer.
        head = .held(connection.makeHead(status: status, reason: reason, headers: headers, keepAlive: keepAlive),
                     keepAlive: keepAlive)
        condition.unlock()
        return true
    }

    func sendBody(_ bytes: UnsafeRawBufferPointer) -> Bool { acceptBody(bytes, waitForRoom: true) }

    /// A timer's flush of held writes: the bytes join the queue, whatever its length.
    func sendBodyWithoutWaiting(_ bytes: UnsafeRawBufferPointer) -> Bool { acceptBody(bytes, waitForRoom: false) }

    /// The handler's last bytes, `finish` coming next: they join the queue and wait for
    /// the drain that `finish` schedules (or one under way), so that the head, the body
    /// and the end leave in one write and one return to the event loop, not two.
    func sendBodyBeforeEnd(_ bytes: UnsafeRawBufferPointer) -> Bool {
        acceptBody(bytes, waitForRoom: false, scheduling: false)
    }

    private func acceptBody(_ bytes: UnsafeRawBufferPointer, waitForRoom: Bool, scheduling: Bool = true) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard connected, !endRequested else { return false }
        if case .none = head { return false }
        guard bytes.count > 0 else { return true }
        switch bodyRule {
        case .dropped:
            return true
        case .sent:
            pending.writeBytes(bytes)
        case .upTo(let length):
            let room = Int(clamping: max(0, length - bodyBytesSent))
            pending.writeBytes(room >= bytes.count ? bytes : UnsafeRawBufferPointer(rebasing: bytes[..<room]))
        }
        // All the handler handed over: more than the head announced ends the exchange broken.
        bodyBytesSent += Int64(bytes.count)
        if scheduling && !writeInFlight { scheduleDrain() }
        // Back-pressure only: the bytes are taken, so the call succeeded whatever happens
        // to the connection while it waits (mod_isapi returns ap_pass_brigade's status for
        // the bytes it passed). A client gone by now fails the next call.
        while waitForRoom && connected && pending.readableBytes >= Self.outgoingHighWater { condition.wait() }
        return true
    }

    func respond(_ response: Response) -> Bool {
        condition.lock()
        guard case .none = head, !ended else {
            condition.unlock()
            return false
        }
        head = .gone
        requestedEnd = .complete
        ended = true
        status = response.status
        responseHeaders = response.headers
        bodyBytesSent = response.bodyLength
        condition.unlock()
        returns.post(self, .respond(response))
        return true
    }

    func finish(closeConnection: Bool) {
        condition.lock()
        if ended || endRequested {
            condition.unlock()
            return
        }
        if closeConnection { keepAlive = false }
        if case .none = head {
            condition.unlock()
            _ = sendHead(status: 200, reason: nil, headers: ["Content-Length": "0"])
            condition.lock()
        }
        requestedEnd = .complete
        if !writeInFlight { scheduleDrain() }
        condition.unlock()
    }

    /// The fields the connection writes itself, whatever a handler's head says.
    private static func isConnectionField(_ name: String) -> Bool {
        switch name.utf8.count {
        case 4: return ASCIICase.equal(name, "Date")
        case 6: return ASCIICase.equal(name, "Server")
        case 10: return ASCIICase.equal(name, "Connection") || ASCIICase.equal(name, "Keep-Alive")
        default: return false
        }
    }

    private var headSentLocked: Bool {
        if case .none = head { return false }
        return true
    }

    /// Has the event loop take what is queued. Called with the lock held.
    private func scheduleDrain() {
        writeInFlight = true
        returns.post(self, .drain)
    }

    /// Event-loop side: what a pool thread handed back (`LoopReturns` runs it).
    func perform(_ what: LoopReturns.Return) {
        switch what {
        case .drain: drain()
        case .resumeReading: connection.resumeReading()
        case .respond(let response): connection.respondNormally(response)
        case .broken: connection.completed(.broken)
        }
    }

    /// Event-loop side: everything queued so far (head, body, end) in one write.
    private func drain() {
        condition.lock()
        var heldHead: ByteBuffer?
        if case .held(let bytes, let announced) = head {
            // The close became known after the head was encoded but before it left (the
            // client half-closed, a stop began, HSE_REQ_CLOSE_CONNECTION): it says so now.
            heldHead = announced == keepAlive
                ? bytes : connection.makeHead(status: status, reason: reason, headers: responseHeaders, keepAlive: keepAlive)
            head = .gone
        }
        let bodyBytes = pending.readableBytes
        let finishing = endRequested && !ended && connected
        if finishing { ended = true }
        let parts = Self.wireParts(head: &heldHead, body: &pending, chunked: chunked, last: finishing,
                                   allocator: allocator)
        guard connected, !parts.isEmpty || finishing else {
            writeInFlight = false
            condition.broadcast()
            condition.unlock()
            return
        }
        // A body shorter or longer than the Content-Length announced breaks the framing:
        // the client cannot tell where the next response starts.
        let ending: Ending
        if case .upTo(let length) = bodyRule, length != bodyBytesSent {
            ending = .broken
        } else {
            ending = .written(keepAlive: keepAlive)
        }
        wroteToClient = true
        condition.unlock()
        connection.writeParts(parts, bodyBytes: bodyBytes) { success in
            self.writeFinished(success)
            if finishing { self.connection.completed(success ? ending : .broken) }
        }
    }

    /// The handler took too long (on the event loop): from now on its writes fail and
    /// its reads see a vanished client. When nothing went out yet (a head still held
    /// back included) the connection answers in its place; otherwise it closes.
    func expire() -> Expiry {
        condition.lock()
        defer { condition.unlock() }
        if ended || endRequested { return .alreadyEnding }
        connected = false
        bodyFailed = bodyFailed || !bodyEnded
        ended = true
        condition.broadcast()
        return wroteToClient ? .closeNow : .answerNow
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
        var headHeld = false
        if case .held = head { headHeld = true }
        if connected && (headHeld || pending.readableBytes > 0 || (endRequested && !ended)) { scheduleDrain() }
        condition.broadcast()
        condition.unlock()
        if abandoned { returns.post(self, .broken) }
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
