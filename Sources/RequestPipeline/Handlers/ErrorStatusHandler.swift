/// An ErrorDocument served by a blocking handler (an extension) keeps the error's
/// status, as an Apache ErrorDocument does, unless the handler chose one of its own.
struct ErrorStatusHandler: BlockingHandler {
    let inner: any BlockingHandler
    let status: Int

    func run(_ context: Shared<RequestContext>, channel: any ResponseChannel, pipeline: Pipeline) {
        inner.run(context, channel: ErrorStatusChannel(base: channel, status: status), pipeline: pipeline)
    }
}

/// A response channel whose plain 200 becomes the error status an ErrorDocument serves.
final class ErrorStatusChannel: ForwardingResponseChannel, @unchecked Sendable {
    // Immutable; the base channel is thread-safe.
    let base: any ResponseChannel
    let status: Int

    init(base: any ResponseChannel, status: Int) {
        self.base = base
        self.status = status
    }

    func sendHead(status: Int, reason: String?, headers: consuming HeaderFields) -> Bool {
        status == 200 ? base.sendHead(status: self.status, reason: nil, headers: headers)
            : base.sendHead(status: status, reason: reason, headers: headers)
    }
}

