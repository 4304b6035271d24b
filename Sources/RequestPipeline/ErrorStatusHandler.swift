/// An ErrorDocument served by a blocking handler (an extension) keeps the error's
/// status, as an Apache ErrorDocument does, unless the handler chose one of its own.
struct ErrorStatusHandler: BlockingHandler {
    let inner: any BlockingHandler
    let status: Int

    func run(_ context: RequestContext, channel: any ResponseChannel, pipeline: Pipeline) {
        inner.run(context, channel: ErrorStatusChannel(base: channel, status: status), pipeline: pipeline)
    }
}

/// A response channel whose plain 200 becomes the error status an ErrorDocument serves.
final class ErrorStatusChannel: ResponseChannel, @unchecked Sendable {
    // Immutable; the base channel is thread-safe.
    let base: any ResponseChannel
    let status: Int

    init(base: any ResponseChannel, status: Int) {
        self.base = base
        self.status = status
    }

    func sendHead(status: Int, reason: String?, headers: HeaderFields) -> Bool {
        status == 200 ? base.sendHead(status: self.status, reason: nil, headers: headers)
            : base.sendHead(status: status, reason: reason, headers: headers)
    }

    func readBody(into buffer: UnsafeMutableRawBufferPointer) -> Int? { base.readBody(into: buffer) }
    func sendBody(_ bytes: UnsafeRawBufferPointer) -> Bool { base.sendBody(bytes) }
    func respond(_ response: Response) -> Bool { base.respond(response) }
    func finish(closeConnection: Bool) { base.finish(closeConnection: closeConnection) }
    var headSent: Bool { base.headSent }
    var isConnected: Bool { base.isConnected }
    var keepsConnection: Bool { base.keepsConnection }
    func annotateLog(note name: String, value: String, appendToQuery: Bool) {
        base.annotateLog(note: name, value: value, appendToQuery: appendToQuery)
    }
}

