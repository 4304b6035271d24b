import ServerConfig

/// TRACE as Apache's core answers it (ap_send_http_trace, a map_to_storage hook): after
/// URL translation and server-level rewriting, before any per-directory phase or handler,
/// so an extension's URL is answered the same way. The request line and the header
/// fields as received come back as `message/http`. `TraceEnable Off` answers 405; a
/// request with a body gets 413 (AH01592) unless `TraceEnable extended`, which echoes
/// the body after the fields (read on the pool, as an extension reads one).
extension Pipeline {
    func answerTrace(_ context: inout RequestContext) -> Response {
        let mode = context.host.effectiveTraceEnable
        if mode == .off {
            return errorResponse(405, &context, headers: ["Allow": Self.allowedMethods(context)])
        }
        if context.request.hasBody {
            guard mode == .extended else {
                logger.error("TRACE with body is not allowed for \(context.path)", metadata: context.logMetadata(id: "IS00567"))
                return errorResponse(413, &context)
            }
            return .handOff(TraceEcho())
        }
        return Response(status: 200, headers: ["Content-Type": "message/http"], body: .bytes(Self.traceEcho(context.request)))
    }

    /// The methods a static resource answers (Allow of OPTIONS and 405), TRACE with them
    /// unless `TraceEnable Off`.
    static func allowedMethods(_ context: RequestContext) -> String {
        context.host.effectiveTraceEnable == .off ? "GET,HEAD,POST,OPTIONS" : "GET,HEAD,POST,OPTIONS,TRACE"
    }

    /// The request line, each header field as `Name: value`, and the blank line.
    static func traceEcho(_ request: IncomingRequest) -> [UInt8] {
        var text = request.requestLine + "\r\n"
        for (name, value) in request.headers { text += name + ": " + value + "\r\n" }
        text += "\r\n"
        return Array(text.utf8)
    }
}

/// `TraceEnable extended` with a request body: the echo streamed from the pool, the body
/// read as it arrives and written after the fields.
struct TraceEcho: BlockingHandler {
    func run(_ context: Shared<RequestContext>, channel: any ResponseChannel, pipeline: Pipeline) {
        guard channel.sendHead(status: 200, reason: nil, headers: ["Content-Type": "message/http"]) else { return }
        let echo = Pipeline.traceEcho(context.value.request)
        guard echo.withUnsafeBytes({ channel.sendBody($0) }) else { return }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 16_384, alignment: 1)
        defer { buffer.deallocate() }
        while true {
            // nil: the client failed while sending the body; the echo ends with the connection.
            guard let count = channel.readBody(into: buffer) else { return channel.finish(closeConnection: true) }
            if count == 0 { return channel.finish(closeConnection: false) }
            guard channel.sendBody(UnsafeRawBufferPointer(rebasing: buffer[..<count])) else {
                return channel.finish(closeConnection: true)
            }
        }
    }
}
