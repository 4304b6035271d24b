import CISAPI
import Foundation

/// A filter's ServerSupportFunction requests (IIS 6's SF_REQ_*). Returns nil for TRUE,
/// or the Windows error to fail with.
enum FilterSupport {
    static func run(_ request: SF_REQ_TYPE, box: FilterContextBox, data: PVOID?, ul1: ULONG_PTR, ul2: ULONG_PTR) -> Int?
    {
        let session = box.session
        switch request {
        case SF_REQ_SEND_RESPONSE_HEADER:
            // pData: the status ("401 Unauthorized"), ul1: more header lines ending in \r\n.
            let status = data.map { String(cString: $0.assumingMemoryBound(to: CChar.self)) } ?? "200 OK"
            let extra = ul1 == 0 ? "" : String(cString: UnsafePointer<CChar>(bitPattern: ul1)!)
            var head = "HTTP/1.1 \(status.isEmpty ? "200 OK" : status)\r\n\(extra)"
            if !head.hasSuffix("\r\n") { head += "\r\n" }
            if !head.hasSuffix("\r\n\r\n") { head += "\r\n" }
            session.lock.withLock {
                if session.requestState.output.isEmpty { session.requestState.sentResponseHead = true }
                session.requestState.output += Array(head.utf8)
            }
            return nil
        case SF_REQ_ADD_HEADERS_ON_DENIAL:
            guard let data else { return Int(ERROR_INVALID_PARAMETER) }
            let lines = FilterCallbacks.headerLines(data.assumingMemoryBound(to: CChar.self))
            session.lock.withLock { session.requestState.denialHeaders += lines }
            return nil
        case SF_REQ_SET_NEXT_READ_SIZE:
            guard ul1 > 0 && ul1 <= UInt(Int32.max) else { return Int(ERROR_INVALID_PARAMETER) }
            session.lock.withLock { session.requestState.nextReadSize = Int(ul1) }
            return nil
        case SF_REQ_SET_PROXY_INFO:
            // Only affects proxies' caching of the response in IIS; accepted, nothing to do.
            return nil
        case SF_REQ_GET_CONNID:
            guard let data else { return Int(ERROR_INVALID_PARAMETER) }
            data.storeBytes(of: session.connectionID, as: DWORD.self)
            return nil
        case SF_REQ_SET_CERTIFICATE_INFO:
            return Int(ERROR_NOT_SUPPORTED)
        case SF_REQ_GET_PROPERTY:
            guard ul1 == UInt(SF_PROPERTY_INSTANCE_NUM_ID.rawValue), let data else { return notSupported(request, box) }
            data.storeBytes(of: DWORD(clamping: session.siteID), as: DWORD.self)
            return nil
        case SF_REQ_NORMALIZE_URL:
            guard let data else { return Int(ERROR_INVALID_PARAMETER) }
            let text = data.assumingMemoryBound(to: CChar.self)
            let original = String(cString: text)
            let host = session.lock.withLock { session.host }
            guard let normalized = host?.normalizeURL(original) else { return Int(ERROR_INVALID_PARAMETER) }
            // In place: never longer than the original (decoding and dot-segment removal shrink).
            let bytes = Array(normalized.utf8)
            guard bytes.count <= original.utf8.count else { return Int(ERROR_INSUFFICIENT_BUFFER) }
            data.copyMemory(from: bytes, byteCount: bytes.count)
            data.storeBytes(of: 0, toByteOffset: bytes.count, as: UInt8.self)
            return nil
        case SF_REQ_DISABLE_NOTIFICATIONS:
            session.lock.withLock { box.disabled |= UInt32(truncatingIfNeeded: ul1) }
            return nil
        default:
            return notSupported(request, box)
        }
    }

    /// FALSE with ERROR_INVALID_PARAMETER; logged with ISAPIFilterLogNotSupported On.
    private static func notSupported(_ request: SF_REQ_TYPE, _ box: FilterContextBox) -> Int {
        if box.session.logNotSupported {
            box.session.logger.notice(
                "ISAPI filter \(box.filter.path): ServerSupportFunction request \(request.rawValue) is not supported",
                metadata: ["id": "IS02306"])
        }
        return Int(ERROR_INVALID_PARAMETER)
    }
}
