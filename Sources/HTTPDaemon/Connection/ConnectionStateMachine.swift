import NIOCore
import NIOHTTP1

/// The state of one client connection, and its rules: what happens to a request part, a
/// read the channel asks for, the end of the client's input, a malformed request, a
/// stop, a deadline. A plain value with no channel in it (after swift-nio's
/// `HTTPServerPipelineHandler` and Hummingbird's `HTTPConnectionStateHandler`): each
/// event changes the state and returns what to do; `HTTPConnectionHandler` does it
/// (writes, reads, timers, the pipeline, the extension pool). Tested without sockets in
/// `ConnectionStateMachineTests`.
///
/// The data of the request being answered (its context, response, byte counts, the
/// `BlockingExchange` or `ProxyRun` answering it) stays on the handler's `Exchange`; this
/// machine holds where that exchange is (`State.exchange`), so the handler's `exchange`
/// is set exactly while the state is `.exchange`.
///
/// What the handler's fields were: `exchange != nil` is `.exchange`; `filtering` is
/// `.filtering`; `timerKind == .readingHead` with no exchange is `.readingHead`;
/// `startedWriting`/`finishedWriting` are `Exchange.output`; `receivedEnd` is
/// `Exchange.body`; `stream`/`proxy` being set is `Exchange.answerer`; `closing` is
/// `lifecycle`; `readPending` is `readInterest`; `input`, `queued`, `deferredError`,
/// `timerKind` and `requestsServed` are kept here as they were.
struct ConnectionStateMachine {
    /// Where the connection is.
    enum State: Equatable {
        /// Between requests (before the first one too): KeepAliveTimeout (Timeout before
        /// the first request) until bytes of a head arrive.
        case idle
        /// Bytes of a request head arrived: the whole head must arrive within Timeout.
        case readingHead
        /// The request's phases run on the extension pool (its ISAPI filters may block);
        /// what arrives meanwhile is queued.
        case filtering
        /// A request is being answered.
        case exchange(Exchange)
    }

    /// The request being answered: who answers, how far its answer went, whether its
    /// body is complete.
    struct Exchange: Equatable {
        var answerer: Answerer
        var output: Output
        var body: RequestBody
    }

    /// Who writes the answer.
    enum Answerer: Equatable {
        /// The event loop (static files, redirects, error pages).
        case loop
        /// A blocking handler (an extension) on the pool, through a `BlockingExchange`.
        case blocking
        /// The reverse proxy, from an upstream, through a `ProxyRun`.
        case proxy
    }

    /// How far the answer went.
    enum Output: Equatable {
        case notStarted
        /// Being written (by the loop, or streamed by the blocking handler or the proxy).
        case started
        /// Completely written: the exchange ends once the request's body has been read.
        case finished
    }

    /// The request's body (and end).
    enum RequestBody: Equatable { case coming, ended }

    /// Whether another request may follow the current one.
    enum Lifecycle: Equatable {
        case open
        /// The answer being given is the connection's last (a stop, an error, the client's
        /// end of input): the connection closes after it.
        case closing
        /// Closed (or closing at once): nothing more is written.
        case closed
    }

    /// Whether the client may still send: a client that shut down its sending side after
    /// its requests (`shutdown(SHUT_WR)`, `nc -N`) still gets every answer, then the close.
    enum Input: Equatable { case open, ended }

    /// Whether the channel asked for a read that was held back (the answer before it is
    /// still being written, or the body's consumer is full).
    enum ReadInterest: Equatable { case none, held }

    /// The deadline that is armed.
    enum TimerKind: Equatable { case none, idle, readingHead, readingBody, writing, handler }

    /// Whether the channel may still hold bytes of an answer nobody waits for.
    enum ChannelOutput: Equatable {
        /// Every answer handed over was waited for, or nothing is pending.
        case drained
        /// The last answer was handed over without waiting (``answerHandedOver()``).
        case handedOver
        /// Closing: waiting for the channel to write what it holds.
        case draining
    }

    private(set) var state = State.idle
    private(set) var lifecycle = Lifecycle.open
    private(set) var input = Input.open
    private(set) var readInterest = ReadInterest.none
    private(set) var timer = TimerKind.none
    private(set) var channelOutput = ChannelOutput.drained
    /// Requests answered on this connection (%k and MaxKeepAliveRequests count them).
    private(set) var requestsServed = 0
    /// Request parts read while the one before is answered (pipelining) or filtered.
    private(set) var queued = CircularBuffer<HTTPServerRequestPart>()
    /// A malformed request behind the one being answered (pipelined): its error goes out
    /// in turn, once the requests before it are answered.
    private(set) var deferredError: HTTPRequestError?

    // MARK: Views of the state

    /// The exchange's state, when a request is being answered.
    var exchange: Exchange? {
        if case .exchange(let exchange) = state { return exchange }
        return nil
    }

    var isFiltering: Bool { state == .filtering }

    /// A stop, an error or the close made the current answer the last.
    var isClosing: Bool { lifecycle != .open }
    /// Closed, or waiting for the channel's last bytes before it closes: nothing more is read.
    var isClosed: Bool { lifecycle == .closed }

    /// The answer is being written and not finished.
    var isBusyWriting: Bool { exchange?.output == .started }

    /// No more requests will come after the ones already read.
    var isLastRequest: Bool {
        input == .ended && deferredError == nil && !queued.contains(where: \.isHead)
    }

    /// No request is being read, filtered or answered, and none waits.
    private var isBetweenRequests: Bool {
        switch state {
        case .idle, .readingHead: return queued.isEmpty
        case .filtering, .exchange: return false
        }
    }

    // MARK: Reading

    /// What to do with a part the decoder produced.
    enum PartAction: Equatable {
        /// Handle it now.
        case handle
        /// It waits (in `queued`) until the request before it is answered or filtered.
        case queued
    }

    /// A request part arrived: a pipelined request waits until the one before it is
    /// answered; the body and end of the current request are handled at once (once its
    /// filters have run).
    mutating func partReceived(_ part: HTTPServerRequestPart) -> PartAction {
        if state == .filtering || !queued.isEmpty || (exchange != nil && part.isHead) {
            queued.append(part)
            return .queued
        }
        return .handle
    }

    /// The next queued part that may be handled now, taken off the queue.
    mutating func nextQueuedPart() -> HTTPServerRequestPart? {
        guard state != .filtering, let part = queued.first, exchange == nil || !part.isHead else { return nil }
        return queued.removeFirst()
    }

    enum ReadAction: Equatable { case read, hold }

    /// The channel asks for more bytes. A blocking handler or the proxy reads the body at
    /// its consumer's pace (`consumerWantsBody`); while an answer is written, one read
    /// ahead (until a part is queued): the next request of a kept-alive client is taken as
    /// it comes, and the socket keeps its read interest (two epoll_ctl a request fewer).
    mutating func readRequested(consumerWantsBody: () -> Bool) -> ReadAction {
        switch state {
        case .filtering:
            readInterest = .held
            return .hold
        case .exchange(let exchange)
        where exchange.answerer != .loop && exchange.body == .coming && exchange.output != .finished:
            if consumerWantsBody() { return .read }
            readInterest = .held
            return .hold
        case .exchange(let exchange) where exchange.output == .started && exchange.body == .coming:
            readInterest = .held
            return .hold
        case .idle, .readingHead, .exchange:
            guard queued.isEmpty else {
                readInterest = .held
                return .hold
            }
            return .read
        }
    }

    /// Whether a held read is to be done now (the consumer has room again, the answer
    /// is written): it is, once.
    mutating func takeHeldRead() -> Bool {
        guard readInterest == .held else { return false }
        readInterest = .none
        return true
    }

    /// Bytes arrived: when they begin a new request head, its Timeout starts.
    mutating func bytesArrived() -> Bool {
        guard state == .idle, timer == .idle else { return false }
        state = .readingHead
        return true
    }

    // MARK: The exchange

    /// A request head was decoded: the pipeline runs (on the loop, or on the pool).
    mutating func headReceived() {
        if state == .idle { state = .readingHead }
    }

    /// The request's phases go to the pool (ISAPI filters).
    mutating func filteringStarted() { state = .filtering }

    /// The filters ran: the head is back, not yet answered.
    mutating func filteringFinished() {
        guard state == .filtering else { return }
        state = .readingHead
    }

    /// A request (or the daemon's own error answer) is now being answered, by the loop,
    /// its answer not started.
    mutating func exchangeStarted(body: RequestBody) {
        state = .exchange(Exchange(answerer: .loop, output: .notStarted, body: body))
    }

    /// A blocking handler or the proxy takes over the answer (it streams it from now on).
    mutating func answered(by answerer: Answerer) {
        guard case .exchange(var exchange) = state else { return }
        exchange.answerer = answerer
        exchange.output = answerer == .loop ? .notStarted : .started
        state = .exchange(exchange)
    }

    /// The loop writes the answer (instead of what was started): when nothing went out.
    mutating func answerRestarted() {
        guard case .exchange(var exchange) = state else { return }
        exchange.output = .notStarted
        state = .exchange(exchange)
    }

    /// The loop starts writing the answer; false when it was started already.
    mutating func writingStarted() -> Bool {
        guard case .exchange(var exchange) = state, exchange.output == .notStarted else { return false }
        exchange.output = .started
        state = .exchange(exchange)
        return true
    }

    /// The answer is completely written.
    mutating func writingFinished() {
        guard case .exchange(var exchange) = state else { return }
        exchange.output = .finished
        state = .exchange(exchange)
    }

    enum BodyEndAction: Equatable {
        /// No exchange, or its end came already.
        case ignore
        /// The answer waits for the end of the body: write it now.
        case answer
        /// The answer is out already: the exchange is over.
        case finish
        /// The answer is on its way.
        case wait
    }

    /// The request's end arrived.
    mutating func bodyEnded() -> BodyEndAction {
        guard case .exchange(var exchange) = state, exchange.body == .coming else { return .ignore }
        exchange.body = .ended
        state = .exchange(exchange)
        switch exchange.output {
        case .notStarted: return .answer
        case .finished: return .finish
        case .started: return .wait
        }
    }

    /// The exchange is over (logged by the handler): the connection goes on with the
    /// next request when `keepAlive` and nothing made this answer the last; false when it
    /// closes.
    mutating func exchangeEnded(keepAlive: Bool) -> Bool {
        state = .idle
        requestsServed += 1
        return keepAlive && lifecycle == .open
    }

    /// The exchange was cut short by the connection's end (logged by the handler).
    mutating func exchangeAbandoned() {
        if exchange != nil { state = .idle }
    }

    enum NextAction: Equatable {
        /// Nothing to do: wait for the client (or the answer being written).
        case wait
        /// Read from the socket (a read was held back).
        case read
        /// The deferred malformed request's turn: answer it.
        case badRequest(HTTPRequestError)
        /// The client sent its last request and it is answered.
        case close
    }

    /// After an exchange ended and the queued parts that could be handled were: what next.
    mutating func afterExchange() -> NextAction {
        if let error = deferredError, queued.isEmpty, exchange?.body != .ended { return .badRequest(error) }
        if input == .ended && isBetweenRequests { return .close }
        return !isBusyWriting && queued.isEmpty && takeHeldRead() ? .read : .wait
    }

    /// After the filters ran and what was queued meanwhile was handled: a read held back
    /// is done now, when nothing is queued, filtered or being written.
    mutating func afterFiltering() -> NextAction {
        state != .filtering && !isBusyWriting && queued.isEmpty && takeHeldRead() ? .read : .wait
    }

    // MARK: Ending

    enum MalformedAction: Equatable {
        /// Answered in turn, after the requests read before it.
        case deferred
        /// Answer it now (the request being read, or the next).
        case answerNow
    }

    /// The decoder rejected a request.
    mutating func malformed(_ error: HTTPRequestError) -> MalformedAction {
        if !queued.isEmpty || exchange?.body == .ended {
            deferredError = error
            return .deferred
        }
        return .answerNow
    }

    /// The deferred error is being answered.
    mutating func takeDeferredError() { deferredError = nil }

    enum InputAction: Equatable {
        /// Already ended.
        case ignore
        /// Nothing read waits for an answer: close.
        case close
        /// The answer being given is the last: a blocking handler's head says so.
        case lastAnswer
        /// Requests read before the end are answered first.
        case keepServing
    }

    /// The client sent its last byte (a half-close, or the first sign of a full close).
    /// It is not an abort: what was read is answered, then the connection closes.
    mutating func inputClosed() -> InputAction {
        guard input == .open else { return .ignore }
        input = .ended
        if isBetweenRequests && deferredError == nil { return .close }
        return isLastRequest ? .lastAnswer : .keepServing
    }

    /// A graceful stop began: the current answer is the last. True when the connection
    /// is idle between requests and closes now; a connection that has not sent its first
    /// request yet is not idle (its client connected to send one, which may be on the way).
    mutating func shutdownRequested() -> Bool {
        if lifecycle == .open { lifecycle = .closing }
        // A closed connection (one waiting for its last answer to drain) closes already.
        return lifecycle == .closing && state == .idle && requestsServed > 0
    }

    /// The current answer is the connection's last.
    mutating func closeAfterAnswer() {
        if lifecycle == .open { lifecycle = .closing }
    }

    /// The current answer is the connection's last, and the requests read behind it are
    /// dropped.
    mutating func closeAfterAnswerDroppingQueued() {
        closeAfterAnswer()
        queued.removeAll()
    }

    /// The connection closes: now, or (between requests, when the last answer was handed
    /// over and not waited for) once the channel has written that answer, within Timeout.
    mutating func closed() -> CloseAction {
        lifecycle = .closed
        switch channelOutput {
        case .handedOver where exchange == nil:
            channelOutput = .draining
            timer = .writing
            return .afterDrain
        case .draining:
            // A stop, the client's end of input: the drain's end (or its Timeout) closes.
            return .draining
        case .handedOver, .drained:
            timer = .none
            return .now
        }
    }

    enum CloseAction: Equatable {
        case now
        /// The channel still holds the last answer: it closes once that is written.
        case afterDrain
        /// It is waiting for that already.
        case draining
    }

    // MARK: The channel's output

    /// An answer that fits under the write watermark was handed to the channel and its
    /// exchange ended without waiting for the socket to take it (as NIOHTTP1's pipeline
    /// handler and Apache's core output filter go on to the next request).
    mutating func answerHandedOver() { channelOutput = .handedOver }

    /// A write the connection waited for completed (or failed): whatever came before it
    /// is gone too.
    mutating func outputDrained() { channelOutput = .drained }

    // MARK: Deadlines

    /// The deadline of `kind` is armed (or `.none`: none is).
    mutating func timerArmed(_ kind: TimerKind) { timer = kind }

    enum TimeoutAction: Equatable {
        /// Not the armed deadline (any more).
        case ignore
        /// The head did not arrive in time: 408, then close.
        case requestTimeout
        /// The body did not arrive, or the answer was not taken, in time: close.
        case abandon(writing: Bool)
        /// The blocking handler was silent for Timeout: 504 or close (`takeOverFromBlocking`).
        case expireHandler
        /// Idle for KeepAliveTimeout: close.
        case close
    }

    /// The deadline `kind` passed.
    mutating func timedOut(_ kind: TimerKind) -> TimeoutAction {
        guard kind == timer else { return .ignore }
        switch kind {
        case .readingHead: return .requestTimeout
        case .readingBody: return .abandon(writing: false)
        case .writing:
            // A drain before a close that outlasts Timeout is given up.
            channelOutput = .drained
            return .abandon(writing: true)
        case .handler: return .expireHandler
        case .idle, .none: return .close
        }
    }

    /// The body came slower than its minimum rate: 408 when nothing was answered yet,
    /// else the connection closes.
    func bodyTimedOut() -> TimeoutAction {
        if let exchange, exchange.output == .notStarted { return .requestTimeout }
        return .abandon(writing: false)
    }
}

extension HTTPServerRequestPart {
    var isHead: Bool {
        if case .head = self { return true }
        return false
    }
}
