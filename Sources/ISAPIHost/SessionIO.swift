import CISAPI
import Foundation

/// Body reading and response writing for a session: the first WriteClient may carry a
/// CGI-style head, and ReadClient fills the caller's buffer unless the body ends.
extension ExtensionSession {
    /// Blocks until the buffer is full or the body ends: nil when the client failed.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        var filled = 0
        while filled < buffer.count {
            guard let count = connection.readBody(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...])) else {
                return nil
            }
            if count == 0 { break }
            filled += count
        }
        return filled
    }

    /// WriteClient's work when the fast path (`isapi_write_client`) did not take it: the
    /// first write (which may carry a head), one that does not fit, one from another
    /// thread or with HSE_IO_ASYNC. Nil on success, else the Windows error.
    func write(_ bytes: UnsafeRawBufferPointer) -> DWORD? {
        if withState({ $0.answered || $0.headRefused }) { return DWORD(ERROR_INVALID_PARAMETER) }
        return output.handOver.withLock { _ in writeLocked(bytes) }
    }

    /// `write` with `output.handOver` held.
    private func writeLocked(_ bytes: UnsafeRawBufferPointer) -> DWORD? {
        var body = bytes
        if !connection.headSent {
            if ResponseHeadParser.looksLikeHeaderBlock(bytes) {
                switch ResponseHeadParser.parse(status: UnsafeRawBufferPointer(start: nil, count: 0), headerBlock: bytes,
                                                defaultStatus: requestedStatus) {
                case .failure(let failure):
                    refuseHead(failure)
                    return DWORD(ERROR_INVALID_PARAMETER)
                case .success(let parsed):
                    let bodyStart = parsed.bodyStart
                    guard sendHead((consume parsed).head) else { return DWORD(ERROR_NETNAME_DELETED) }
                    body = UnsafeRawBufferPointer(rebasing: bytes[bodyStart...])
                }
            } else {
                // Not a head: plain body, as IIS writes it.
                guard sendHead(ResponseHead(status: requestedStatus ?? 200, reason: nil, headers: [])) else {
                    return DWORD(ERROR_NETNAME_DELETED)
                }
            }
        }
        // Held with what came before when it fits; else what is held goes first.
        if body.count < SessionOutput.capacity && output.hold(body) { return nil }
        guard handOverHeldLocked() else { return DWORD(ERROR_NETNAME_DELETED) }
        if body.count < SessionOutput.capacity && output.hold(body) { return nil }
        guard body.isEmpty || connection.sendBody(body) else {
            output.setMode(.passThrough)
            return DWORD(ERROR_NETNAME_DELETED)
        }
        return nil
    }

    /// Hands what the session holds to the connection (before a callback that may
    /// block or that the written bytes must precede); false when the client is gone.
    @discardableResult
    func handOverHeld() -> Bool {
        output.handOver.withLock { _ in handOverHeldLocked() }
    }

    /// The response is over for the extension (it returned, or DONE_WITH_SESSION): what
    /// is held goes out and nothing more is held. `beforeEnd`: the caller ends the
    /// response right after, and the held bytes may wait for that end to leave with it.
    func endHolding(beforeEnd: Bool = false) {
        output.handOver.withLock { _ in
            if beforeEnd {
                if !output.handOverHeld({ connection.sendBodyBeforeEnd($0) }) { output.setMode(.passThrough) }
            } else {
                handOverHeldLocked()
            }
            output.setMode(.passThrough)
        }
    }

    /// The flush timer: hands over what waited since the last round, without waiting
    /// for room (back-pressure is the extension's next write's to wait for); skipped
    /// while a hand-over of the session's own is under way.
    func handOverHeldOnTimer() {
        guard output.mayHoldBytes else { return }
        output.handOver.withLockIfAvailable { _ in
            if !output.handOverHeld({ connection.sendBodyWithoutWaiting($0) }) { output.setMode(.passThrough) }
        }
    }

    /// With `output.handOver` held. A failed hand-over stops the holding: the
    /// extension's next write reaches the connection and learns that the client left.
    @discardableResult
    private func handOverHeldLocked() -> Bool {
        if output.handOverHeld({ connection.sendBody($0) }) { return true }
        output.setMode(.passThrough)
        return false
    }

    /// SEND_RESPONSE_HEADER(_EX): an explicit status and header block; the bytes after
    /// the blank line are body.
    func sendResponseHeader(status: UnsafeRawBufferPointer, headerBlock: UnsafeRawBufferPointer) -> DWORD? {
        output.handOver.withLock { _ in sendResponseHeaderLocked(status: status, headerBlock: headerBlock) }
    }

    /// `sendResponseHeader` with `output.handOver` held.
    private func sendResponseHeaderLocked(status: UnsafeRawBufferPointer, headerBlock: UnsafeRawBufferPointer) -> DWORD? {
        if connection.headSent || withState({ $0.answered || $0.headRefused }) { return DWORD(ERROR_INVALID_PARAMETER) }
        switch ResponseHeadParser.parse(status: status, headerBlock: headerBlock, defaultStatus: requestedStatus) {
        case .failure(let failure):
            refuseHead(failure)
            return DWORD(ERROR_INVALID_PARAMETER)
        case .success(let parsed):
            let bodyStart = parsed.bodyStart
            guard sendHead((consume parsed).head) else { return DWORD(ERROR_NETNAME_DELETED) }
            let body = UnsafeRawBufferPointer(rebasing: headerBlock[bodyStart...])
            if !body.isEmpty && !connection.sendBody(body) { return DWORD(ERROR_NETNAME_DELETED) }
            return nil
        }
    }

    /// Sends the extension's head (or the host's in its place); after
    /// HSE_REQ_CLOSE_CONNECTION it announces the close. From then on small body writes
    /// are held (`SessionOutput`).
    func sendHead(_ head: consuming ResponseHead) -> Bool {
        let (status, reason) = (head.status, head.reason)
        ecb.pointee.dwHttpStatusCode = DWORD(status)
        // The fields go on without a copy: the connection adds its framing to them.
        var headers = (consume head).headers
        // HSE_REQ_CLOSE_CONNECTION came first: the head announces the close.
        if withState({ $0.closeConnection }) { headers.append((name: "Connection", value: "close")) }
        guard connection.sendHead(status: status, reason: reason, headers: consume headers) else { return false }
        output.setMode(.holding)
        return true
    }

    /// A head that would corrupt the response (CR/LF in a value, a bad line): refused,
    /// logged, and the request answered with a 500 (nothing the extension writes after
    /// it goes out: it may ignore the FALSE).
    func refuseHead(_ failure: ResponseHeadParser.Failure) {
        withState { $0.headRefused = true }
        logger.error("refused a malformed response header from \(extensionPath): \(failure)",
                     metadata: LogText.metadata(id: "IS02005"))
    }

    /// ISAPIFakeAsync: runs the registered completion routine for an emulated async call.
    func complete(bytes: Int, error: DWORD) {
        guard let completion = withState({ $0 }).completion else { return }
        completion.callback(ecb, completion.context, DWORD(clamping: bytes), error)
    }
}
