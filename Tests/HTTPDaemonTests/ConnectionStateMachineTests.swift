import NIOCore
import NIOHTTP1
import Testing

@testable import HTTPDaemon

/// The connection's rules without a channel: a sequence of events, the actions the
/// machine returns and the states it goes through.
@Suite struct ConnectionStateMachineTests {
    typealias Machine = ConnectionStateMachine

    static let head = HTTPServerRequestPart.head(HTTPRequestHead(version: .http1_1, method: .GET, uri: "/a.txt"))
    static let body = HTTPServerRequestPart.body(ByteBuffer(string: "abcd"))
    static let end = HTTPServerRequestPart.end(nil)
    static let malformed = HTTPRequestError(status: 400, reason: "bad header line")

    /// A connection that read a request head and answers it from the loop.
    static func answering(_ machine: inout Machine) {
        machine.timerArmed(.idle)
        let headBegan1 = machine.bytesArrived()
        #expect(headBegan1)
        #expect(machine.partReceived(head) == .handle)
        machine.timerArmed(.none)
        machine.headReceived()
        machine.exchangeStarted(body: .coming)
    }

    @Test func aKeptAliveRequestGoesBackToIdle() {
        var machine = Machine()
        #expect(machine.state == .idle)
        machine.timerArmed(.idle)
        let headBegan2 = machine.bytesArrived()
        #expect(headBegan2)
        #expect(machine.state == .readingHead)
        #expect(machine.timer == .idle, "arming the head's deadline is the handler's action")
        #expect(machine.partReceived(Self.head) == .handle)
        machine.headReceived()
        machine.exchangeStarted(body: .coming)
        #expect(machine.state == .exchange(.init(answerer: .loop, output: .notStarted, body: .coming)))
        #expect(machine.partReceived(Self.end) == .handle)
        #expect(machine.bodyEnded() == .answer)
        #expect(machine.bodyEnded() == .ignore, "an end is taken once")
        let started3 = machine.writingStarted()
        #expect(started3)
        let started4 = machine.writingStarted()
        #expect(!started4, "an answer is started once")
        #expect(machine.isBusyWriting)
        machine.writingFinished()
        let keptAlive5 = machine.exchangeEnded(keepAlive: true)
        #expect(keptAlive5)
        #expect(machine.state == .idle)
        #expect(machine.requestsServed == 1)
        #expect(machine.afterExchange() == .wait)
        #expect(machine.readRequested { Issue.record("no consumer asked"); return false } == .read)
    }

    @Test func bytesBeginAHeadOnlyWhenIdle() {
        var machine = Machine()
        let headBegan6 = machine.bytesArrived()
        #expect(!headBegan6, "no idle deadline armed yet")
        Self.answering(&machine)
        let headBegan7 = machine.bytesArrived()
        #expect(!headBegan7)
    }

    @Test func aBodyAnsweredBeforeItEndsFinishesTheExchangeAtItsEnd() {
        var machine = Machine()
        Self.answering(&machine)
        let started8 = machine.writingStarted()
        #expect(started8)
        machine.writingFinished()
        #expect(machine.partReceived(Self.body) == .handle)
        #expect(machine.bodyEnded() == .finish)
    }

    @Test func pipelinedRequestsWaitForTheAnswerBeforeThem() {
        var machine = Machine()
        Self.answering(&machine)
        #expect(machine.partReceived(Self.end) == .handle)
        _ = machine.bodyEnded()
        let started9 = machine.writingStarted()
        #expect(started9)
        // The answer's body ended: one read ahead is allowed.
        #expect(machine.readRequested { false } == .read)
        #expect(machine.partReceived(Self.head) == .queued)
        #expect(machine.partReceived(Self.end) == .queued)
        #expect(machine.partReceived(Self.head) == .queued)
        #expect(machine.readRequested { false } == .hold, "a part is queued")
        #expect(machine.nextQueuedPart() == nil, "the exchange is not over")
        machine.writingFinished()
        let keptAlive10 = machine.exchangeEnded(keepAlive: true)
        #expect(keptAlive10)
        #expect(machine.nextQueuedPart()?.isHead == true)
        machine.exchangeStarted(body: .coming)
        #expect(machine.nextQueuedPart() == Self.end)
        _ = machine.bodyEnded()
        #expect(machine.nextQueuedPart() == nil, "the second head waits for the second answer")
        #expect(machine.queued.count == 1)
        #expect(machine.afterExchange() == .wait, "a read is held while a part is queued")
    }

    @Test func aHeldReadIsDoneOnceTheAnswerIsWritten() {
        var machine = Machine()
        Self.answering(&machine)
        let started11 = machine.writingStarted()
        #expect(started11)
        #expect(machine.readRequested { false } == .hold, "the body may still come")
        #expect(machine.readInterest == .held)
        machine.writingFinished()
        _ = machine.bodyEnded()
        let keptAlive12 = machine.exchangeEnded(keepAlive: true)
        #expect(keptAlive12)
        #expect(machine.afterExchange() == .read)
        #expect(machine.readInterest == .none)
        #expect(machine.afterExchange() == .wait, "once")
    }

    @Test func endOfInputWhileIdleCloses() {
        var machine = Machine()
        #expect(machine.inputClosed() == .close)
        #expect(machine.inputClosed() == .ignore)
    }

    @Test func endOfInputDuringTheLastRequestMakesItsAnswerTheLast() {
        var machine = Machine()
        Self.answering(&machine)
        #expect(machine.inputClosed() == .lastAnswer)
        #expect(machine.isLastRequest)
        let started13 = machine.writingStarted()
        #expect(started13)
        machine.writingFinished()
        _ = machine.bodyEnded()
        let keptAlive14 = machine.exchangeEnded(keepAlive: true)
        #expect(keptAlive14, "the answer's head said close already")
        #expect(machine.afterExchange() == .close)
    }

    @Test func endOfInputBehindPipelinedRequestsAnswersThemFirst() {
        var machine = Machine()
        Self.answering(&machine)
        _ = machine.bodyEnded()
        #expect(machine.partReceived(Self.head) == .queued)
        #expect(machine.partReceived(Self.end) == .queued)
        #expect(machine.inputClosed() == .keepServing)
        #expect(!machine.isLastRequest)
        let started15 = machine.writingStarted()
        #expect(started15)
        machine.writingFinished()
        let keptAlive16 = machine.exchangeEnded(keepAlive: true)
        #expect(keptAlive16)
        #expect(machine.nextQueuedPart()?.isHead == true)
        #expect(machine.isLastRequest)
        machine.exchangeStarted(body: .coming)
        #expect(machine.nextQueuedPart() == Self.end)
        #expect(machine.bodyEnded() == .answer)
    }

    @Test func eachDeadlineHasItsAction() {
        var machine = Machine()
        let cases: [(Machine.TimerKind, Machine.TimeoutAction)] = [
            (.idle, .close), (.readingHead, .requestTimeout), (.readingBody, .abandon(writing: false)),
            (.writing, .abandon(writing: true)), (.handler, .expireHandler),
        ]
        for (kind, action) in cases {
            machine.timerArmed(kind)
            let armed = machine.timedOut(kind)
            #expect(armed == action, "\(kind)")
            let other = machine.timedOut(kind == .idle ? .writing : .idle)
            #expect(other == .ignore, "not the armed deadline")
        }
        machine.timerArmed(.none)
        let none = machine.timedOut(.idle)
        #expect(none == .ignore)
    }

    @Test func aSlowBodyGets408UntilTheAnswerStarted() {
        var machine = Machine()
        Self.answering(&machine)
        #expect(machine.bodyTimedOut() == .requestTimeout)
        let started17 = machine.writingStarted()
        #expect(started17)
        #expect(machine.bodyTimedOut() == .abandon(writing: false))
    }

    @Test func aMalformedPipelinedRequestIsAnsweredInItsTurn() {
        var machine = Machine()
        Self.answering(&machine)
        _ = machine.bodyEnded()
        let started18 = machine.writingStarted()
        #expect(started18)
        #expect(machine.malformed(Self.malformed) == .deferred)
        #expect(!machine.isLastRequest, "its error answer is still to come")
        #expect(machine.inputClosed() == .keepServing)
        machine.writingFinished()
        let keptAlive19 = machine.exchangeEnded(keepAlive: true)
        #expect(keptAlive19)
        #expect(machine.afterExchange() == .badRequest(Self.malformed))
        machine.takeDeferredError()
        #expect(machine.deferredError == nil)
    }

    @Test func aMalformedRequestWithNothingBeforeItIsAnsweredNow() {
        var machine = Machine()
        #expect(machine.malformed(Self.malformed) == .answerNow)
        Self.answering(&machine)
        #expect(machine.malformed(Self.malformed) == .answerNow, "the body of the request being read")
    }

    @Test func aBlockingHandlerReadsAtItsOwnPaceAndCanBeTakenOver() {
        var machine = Machine()
        Self.answering(&machine)
        machine.answered(by: .blocking)
        #expect(machine.exchange == .init(answerer: .blocking, output: .started, body: .coming))
        #expect(machine.readRequested { false } == .hold, "its body buffer is full")
        let heldRead20 = machine.takeHeldRead()
        #expect(heldRead20)
        let heldRead21 = machine.takeHeldRead()
        #expect(!heldRead21)
        #expect(machine.readRequested { true } == .read)
        // Silent for Timeout, nothing sent: the loop answers 504 and closes.
        machine.timerArmed(.handler)
        let expiry = machine.timedOut(.handler)
        #expect(expiry == .expireHandler)
        machine.answered(by: .loop)
        machine.timerArmed(.none)
        machine.closeAfterAnswerDroppingQueued()
        #expect(machine.exchange == .init(answerer: .loop, output: .notStarted, body: .coming))
        let started22 = machine.writingStarted()
        #expect(started22)
        #expect(machine.isClosing)
        machine.writingFinished()
        let keptAlive23 = machine.exchangeEnded(keepAlive: true)
        #expect(!keptAlive23, "the connection closes after the 504")
    }

    @Test func aBlockingHandlerThatAnsweredLeavesTheRestOfTheBodyToTheLoop() {
        var machine = Machine()
        Self.answering(&machine)
        machine.answered(by: .blocking)
        _ = machine.readRequested { false }
        machine.writingFinished()
        #expect(machine.readRequested { Issue.record("the handler is done"); return false } == .read)
        let heldRead24 = machine.takeHeldRead()
        #expect(heldRead24, "the held read is done when the handler completes")
        #expect(machine.bodyEnded() == .finish)
    }

    @Test func requestPartsWaitWhileTheFiltersRun() {
        var filtered = Machine()
        filtered.timerArmed(.idle)
        _ = filtered.bytesArrived()
        #expect(filtered.partReceived(Self.head) == .handle)
        filtered.headReceived()
        filtered.filteringStarted()
        #expect(filtered.isFiltering)
        #expect(filtered.partReceived(Self.end) == .queued)
        #expect(filtered.readRequested { false } == .hold)
        #expect(filtered.nextQueuedPart() == nil)
        filtered.filteringFinished()
        filtered.exchangeStarted(body: .coming)
        #expect(filtered.nextQueuedPart() == Self.end)
        #expect(filtered.afterFiltering() == .read)
    }

    @Test func aStopClosesIdleConnectionsThatServedARequest() {
        var fresh = Machine()
        let closesNow25 = fresh.shutdownRequested()
        #expect(!closesNow25, "its client may be sending the first request")
        #expect(fresh.isClosing)

        var machine = Machine()
        Self.answering(&machine)
        let closesNow26 = machine.shutdownRequested()
        #expect(!closesNow26)
        let started27 = machine.writingStarted()
        #expect(started27)
        machine.writingFinished()
        _ = machine.bodyEnded()
        let keptAlive28 = machine.exchangeEnded(keepAlive: true)
        #expect(!keptAlive28, "the answer during the stop was the last")

        var idle = Machine()
        Self.answering(&idle)
        _ = idle.bodyEnded()
        _ = idle.writingStarted()
        idle.writingFinished()
        let keptAlive29 = idle.exchangeEnded(keepAlive: true)
        #expect(keptAlive29)
        let closesNow30 = idle.shutdownRequested()
        #expect(closesNow30)
    }

    @Test func closingStopsTheDeadlines() {
        var machine = Machine()
        machine.timerArmed(.idle)
        let close = machine.closed()
        #expect(close == .now)
        #expect(machine.lifecycle == .closed)
        #expect(machine.isClosed)
        #expect(machine.timer == .none)
        let timeout1 = machine.timedOut(.idle)
        #expect(timeout1 == .ignore)
        let headBegan31 = machine.bytesArrived()
        #expect(!headBegan31)
    }

    /// A machine between requests whose last answer was handed over without waiting.
    private static func keptAliveAfterAnAnswerHandedOver() -> Machine {
        var machine = Machine()
        machine.headReceived()
        machine.exchangeStarted(body: .ended)
        _ = machine.writingStarted()
        machine.answerHandedOver()
        machine.writingFinished()
        let keptAlive = machine.exchangeEnded(keepAlive: true)
        #expect(keptAlive)
        return machine
    }

    /// An answer handed over without waiting may still be in the channel: a close between
    /// requests waits for it, within Timeout, and a second close (the drain's end, or
    /// the Timeout) is at once.
    @Test func closeBetweenRequestsWaitsForAnAnswerHandedOver() {
        var machine = Self.keptAliveAfterAnAnswerHandedOver()
        machine.timerArmed(.idle)
        let timeout2 = machine.timedOut(.idle)
        #expect(timeout2 == .close)
        let firstClose = machine.closed()
        #expect(firstClose == .afterDrain)
        #expect(machine.isClosed)
        #expect(machine.channelOutput == .draining)
        #expect(machine.timer == .writing)
        let timeout3 = machine.timedOut(.writing)
        #expect(timeout3 == .abandon(writing: true))
        let secondClose = machine.closed()
        #expect(secondClose == .now)
        #expect(machine.timer == .none)
    }

    /// While the drain goes on, another reason to close (a stop, the client's end of
    /// input) waits for it too; the drain's end closes.
    @Test func aCloseDuringTheDrainWaitsForIt() {
        var machine = Self.keptAliveAfterAnAnswerHandedOver()
        let first = machine.closed()
        #expect(first == .afterDrain)
        let shutdown = machine.shutdownRequested()
        #expect(!shutdown)
        let again = machine.closed()
        #expect(again == .draining)
        #expect(machine.timer == .writing)
        machine.outputDrained()
        let last = machine.closed()
        #expect(last == .now)
    }

    @Test func aWaitedForWriteDrainsWhatCameBefore() {
        var machine = Machine()
        machine.answerHandedOver()
        machine.outputDrained()
        #expect(machine.channelOutput == .drained)
        let close = machine.closed()
        #expect(close == .now)
    }

    /// During an exchange a close is at once (a failed write, an over-long body): the
    /// answer being written is cut short anyway.
    @Test func closeDuringAnExchangeIsAtOnce() {
        var machine = Machine()
        machine.answerHandedOver()
        machine.headReceived()
        machine.exchangeStarted(body: .coming)
        let close = machine.closed()
        #expect(close == .now)
    }
}
