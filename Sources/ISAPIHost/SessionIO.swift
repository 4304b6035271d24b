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

    /// WriteClient's work: nil on success, else the Windows error.
    func write(_ bytes: UnsafeRawBufferPointer) -> DWORD? {
        if withState({ $0.answered || $0.headRefused }) { return DWORD(ERROR_INVALID_PARAMETER) }
        var body = bytes
        if !connection.headSent {
            let data = Array(bytes)
            if ResponseHeadParser.looksLikeHeaderBlock(data) {
                switch ResponseHeadParser.parse(status: [], headerBlock: data, defaultStatus: requestedStatus) {
                case .failure(let failure):
                    refuseHead(failure)
                    return DWORD(ERROR_INVALID_PARAMETER)
                case .success(let parsed):
                    guard sendHead(parsed.head) else { return DWORD(ERROR_NETNAME_DELETED) }
                    body = UnsafeRawBufferPointer(rebasing: bytes[parsed.bodyStart...])
                }
            } else {
                // Not a head: plain body, as IIS writes it.
                guard sendHead(ResponseHead(status: requestedStatus ?? 200, reason: nil, headers: [])) else {
                    return DWORD(ERROR_NETNAME_DELETED)
                }
            }
        }
        guard body.isEmpty || connection.sendBody(body) else { return DWORD(ERROR_NETNAME_DELETED) }
        return nil
    }

    /// SEND_RESPONSE_HEADER(_EX): an explicit status and header block; the bytes after
    /// the blank line are body.
    func sendResponseHeader(status: [UInt8], headerBlock: [UInt8]) -> DWORD? {
        if connection.headSent || withState({ $0.answered || $0.headRefused }) { return DWORD(ERROR_INVALID_PARAMETER) }
        switch ResponseHeadParser.parse(status: status, headerBlock: headerBlock, defaultStatus: requestedStatus) {
        case .failure(let failure):
            refuseHead(failure)
            return DWORD(ERROR_INVALID_PARAMETER)
        case .success(let parsed):
            guard sendHead(parsed.head) else { return DWORD(ERROR_NETNAME_DELETED) }
            let body = headerBlock[parsed.bodyStart...]
            if !body.isEmpty {
                let sent = body.withUnsafeBytes { connection.sendBody($0) }
                if !sent { return DWORD(ERROR_NETNAME_DELETED) }
            }
            return nil
        }
    }

    /// Sends the extension's head (or the host's in its place); after
    /// HSE_REQ_CLOSE_CONNECTION it announces the close.
    func sendHead(_ head: ResponseHead) -> Bool {
        ecb.pointee.dwHttpStatusCode = DWORD(head.status)
        var headers = head.headers
        // HSE_REQ_CLOSE_CONNECTION came first: the head announces the close.
        if withState({ $0.closeConnection }) { headers.append((name: "Connection", value: "close")) }
        return connection.sendHead(status: head.status, reason: head.reason, headers: headers)
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
        guard let completion = withState({ $0.completion }) else { return }
        completion.callback(ecb, completion.context, DWORD(clamping: bytes), error)
    }
}
