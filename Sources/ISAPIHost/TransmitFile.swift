import CISAPI
import Foundation

/// HSE_REQ_TRANSMIT_FILE: optional head, a range of an open file, an optional tail, sent
/// synchronously; under ISAPIFakeAsync an HSE_IO_ASYNC call then gets its completion,
/// with the arguments in the documented order (mod_isapi swaps them).
extension ExtensionSession {
    func transmitFile(_ buffer: UnsafeMutableRawPointer?) -> DWORD? {
        let invalid = DWORD(ERROR_INVALID_PARAMETER)
        guard let info = buffer?.assumingMemoryBound(to: HSE_TF_INFO.self).pointee else { return invalid }
        let isAsync = info.dwFlags & DWORD(HSE_IO_ASYNC) != 0
        if isAsync && !settings.fakeAsync { return unsupportedAsync(info) }
        let fd = Int32(truncatingIfNeeded: Int(bitPattern: info.hFile))
        var status = stat()
        guard fd >= 0, fstat(fd, &status) == 0 else { return DWORD(ERROR_INVALID_HANDLE) }
        let offset = Int64(info.Offset)
        let length = info.BytesToWrite == 0 ? max(0, Int64(status.st_size) - offset) : Int64(info.BytesToWrite)

        let head = Self.inPlace(info.pHead, limit: Int(info.HeadLength))
        if info.dwFlags & DWORD(HSE_IO_SEND_HEADERS) != 0 {
            let statusLine = Self.inPlace(UnsafeMutableRawPointer(mutating: info.pszStatusCode), limit: nil)
            if let error = sendResponseHeader(status: statusLine, headerBlock: head) { return error }
        } else if !head.isEmpty {
            if let error = write(head) { return error }
        } else if !connection.headSent {
            if let error = write(UnsafeRawBufferPointer(start: nil, count: 0)) { return error }
        }
        var sent: Int64 = 0
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 65_536, alignment: 1)
        defer { chunk.deallocate() }
        var failure: DWORD?
        while sent < length {
            let count = pread(fd, chunk.baseAddress, min(chunk.count, Int(length - sent)), off_t(offset + sent))
            if count <= 0 {
                failure = DWORD(ERROR_READ_FAULT)
                break
            }
            if let error = write(UnsafeRawBufferPointer(rebasing: chunk[0..<count])) {
                failure = error
                break
            }
            sent += Int64(count)
        }
        let tail = Self.inPlace(info.pTail, limit: Int(info.TailLength))
        if failure == nil, !tail.isEmpty { failure = write(tail) }
        if info.dwFlags & DWORD(HSE_IO_DISCONNECT_AFTER_SEND) != 0 { withState { $0.closeConnection = true } }
        if isAsync {
            let error = failure ?? 0
            if let callback = info.pfnHseIO {
                callback(ecb, info.pContext, DWORD(clamping: sent), error)
            } else {
                complete(bytes: Int(sent), error: error)
            }
            return nil
        }
        return failure
    }

    private func unsupportedAsync(_ info: HSE_TF_INFO) -> DWORD {
        if settings.logNotSupported {
            logger.warning("HSE_REQ_TRANSMIT_FILE with HSE_IO_ASYNC needs ISAPIFakeAsync On: \(extensionPath)",
                           metadata: ["id": "IS02013"])
        }
        return DWORD(ERROR_INVALID_PARAMETER)
    }
}
