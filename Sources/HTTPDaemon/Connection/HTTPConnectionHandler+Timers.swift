import Foundation
import NIOCore
import NIOHTTP1
import RequestPipeline
import ServerConfig

/// The connection's deadlines: KeepAliveTimeout while idle, Timeout while a head, a
/// body or an answer is on its way, and the extension's silence while it runs.
extension HTTPConnectionHandler {
    /// Starts the deadline of `kind`. One scheduled task serves the connection: moving a
    /// deadline later only records it (the task, when it fires early, looks again), so a
    /// keep-alive request costs no timer scheduling and cancelling.
    func armTimer(_ kind: TimerKind, context: ChannelHandlerContext, firstRequest: Bool = false) {
        machine.timerArmed(kind)
        let configuration = state.configuration
        let seconds = kind == .idle && !firstRequest ? configuration.keepAliveTimeoutSeconds : Double(configuration.timeoutSeconds)
        timerDeadline = context.eventLoop.now + .milliseconds(Int64(seconds * 1000))
        let next = nextDeadline
        if let firesAt = timerFiresAt, firesAt <= next { return }
        timer?.cancel()
        scheduleTimer(at: next, context: context)
    }

    /// The deadline of the current kind, or the body's when that comes first.
    fileprivate var nextDeadline: NIODeadline {
        guard let bodyDeadline, machine.timer == .readingBody || machine.timer == .handler else { return timerDeadline }
        return min(timerDeadline, bodyDeadline)
    }

    /// Whether the client is late with the request body. A blocking handler that holds
    /// reading back (its buffer is full) is not the client's fault: the body then gets
    /// Timeout from now.
    fileprivate func bodyIsLate(now: NIODeadline) -> Bool {
        guard let deadline = bodyDeadline, machine.timer == .readingBody || machine.timer == .handler, now >= deadline else {
            return false
        }
        if let run = exchange?.proxy, !run.exchange.wantsClientBody {
            // The upstream is slow to take the body, not the client to send it.
            bodyDeadline = now + .seconds(Int64(state.configuration.timeoutSeconds))
            return false
        }
        if machine.timer == .handler, let stream = exchange?.stream, !stream.wantsBody {
            bodyDeadline = now + .seconds(Int64(state.configuration.timeoutSeconds))
            return false
        }
        return true
    }

    /// No deadline for now (a handler is running, or the connection is closing).
    func disarmTimer() {
        machine.timerArmed(.none)
    }

    fileprivate func scheduleTimer(at deadline: NIODeadline, context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timerFiresAt = deadline
        timer = context.eventLoop.scheduleTask(deadline: deadline) {
            let (handler, context) = loopBound.value
            handler.timer = nil
            handler.timerFiresAt = nil
            guard handler.machine.timer != .none else { return }
            let now = context.eventLoop.now
            if handler.bodyIsLate(now: now) {
                handler.bodyTimedOut(context: context)
            } else if now < handler.timerDeadline {
                handler.scheduleTimer(at: handler.nextDeadline, context: context)
            } else {
                handler.timedOut(handler.machine.timer, context: context)
            }
        }
    }

    func timedOut(_ kind: TimerKind, context: ChannelHandlerContext) {
        switch machine.timedOut(kind) {
        case .ignore:
            break
        case .requestTimeout:
            state.logger.info("Request header read timeout", metadata: ["client": "\(remote.0):\(remote.1)", "id": "IS01382"])
            respondAndClose(408, context: context)
        case .abandon(let writing):
            state.logger.info("Timeout after \(state.configuration.timeoutSeconds)s while \(writing ? "writing the response" : "reading the request body")",
                              metadata: ["client": "\(remote.0):\(remote.1)", "id": "IS01383"])
            close(context: context)
        case .expireHandler:
            expireBlocking(context: context)
        case .close:
            close(context: context)
        }
    }

    /// The body came slower than `minimumBodyRate` after Timeout: 408 when nothing was
    /// answered yet, else the connection closes (an extension waiting in ReadClient gets
    /// FALSE).
    func bodyTimedOut(context: ChannelHandlerContext) {
        let received = exchange?.bodyBytes ?? 0
        state.logger.info("Request body read timeout: \(received) bytes in more than \(state.configuration.timeoutSeconds)s, below \(Self.minimumBodyRate) bytes/s",
                          metadata: ["client": "\(remote.0):\(remote.1)", "id": "IS01384"])
        bodyDeadline = nil
        if machine.bodyTimedOut() == .requestTimeout {
            respondAndClose(408, context: context)
        } else {
            close(context: context)
        }
    }
}
