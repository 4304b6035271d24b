import CISAPI
import Foundation

/// ServerSupportFunction: the codes of mod_isapi's contract, done right (spec §2.10 and
/// §4); every other code is FALSE with ERROR_INVALID_PARAMETER, logged under
/// ISAPILogNotSupported On with its name and the extension's path.
extension ExtensionSession {
    /// nil on success, else the Windows error.
    func support(_ code: DWORD, buffer: UnsafeMutableRawPointer?, size: UnsafeMutablePointer<DWORD>?,
                 dataType: UnsafeMutablePointer<DWORD>?) -> DWORD? {
        let invalid = DWORD(ERROR_INVALID_PARAMETER)
        switch code {
        case SupportRequest.sendURLRedirectResponse, SupportRequest.sendURL:
            let urlBytes = Self.bytes(buffer, limit: nil)
            guard buffer != nil, !urlBytes.isEmpty else { return invalid }
            guard !connection.headSent, !withState({ $0.answered || $0.headRefused }) else { return invalid }
            // CR/LF in a Location would split the response.
            if urlBytes.contains(where: { $0 < 0x20 || $0 == 0x7F }) {
                refuseHead(.malformed("URL " + LogText.escaped(urlBytes, inQuotes: true)))
                return invalid
            }
            let url = String(decoding: urlBytes, as: UTF8.self)
            withState { $0.answered = true }
            if code == SupportRequest.sendURL {
                connection.internalRedirect(to: url)
            } else {
                ecb.pointee.dwHttpStatusCode = 302
                connection.redirect(to: url)
            }
            return nil

        case SupportRequest.sendResponseHeader:
            // lpvBuffer is the status (may be NULL), lpdwDataType the header block (may be NULL).
            let status = Self.inPlace(buffer, limit: nil)
            let headers = Self.inPlace(UnsafeMutableRawPointer(dataType), limit: nil)
            return sendResponseHeader(status: status, headerBlock: headers)

        case SupportRequest.sendResponseHeaderEx:
            guard let info = buffer?.assumingMemoryBound(to: HSE_SEND_HEADER_EX_INFO.self) else { return invalid }
            // cchStatus/cchHeader are upper bounds: real extensions pass strlen+1 or a code there.
            let status = Self.inPlace(UnsafeMutableRawPointer(mutating: info.pointee.pszStatus), limit: Int(info.pointee.cchStatus))
            let headers = Self.inPlace(UnsafeMutableRawPointer(mutating: info.pointee.pszHeader), limit: Int(info.pointee.cchHeader))
            if info.pointee.fKeepConn == 0 {
                // Advice only, as in mod_isapi: keep-alive follows the response's framing
                // (PHP passes FALSE on every response). HSE_REQ_CLOSE_CONNECTION closes.
                logger.debug("fKeepConn FALSE in HSE_REQ_SEND_RESPONSE_HEADER_EX is advice only: \(extensionPath)",
                             metadata: ["id": "IS02042"])
            }
            return sendResponseHeader(status: status, headerBlock: headers)

        case SupportRequest.doneWithSession:
            guard settings.fakeAsync else { return unsupported(code) }
            // The ConnID ends here: every later call with it gets ERROR_INVALID_PARAMETER
            // (the fast path's too: nothing is held from now on).
            endHolding()
            SessionTable.remove(connID)
            done.signal()
            return nil

        case SupportRequest.mapURLToPath:
            guard let buffer, let size else { return invalid }
            guard let url = Self.string(buffer, limit: Int(size.pointee)), let path = mappedPath(url) else {
                return DWORD(ERROR_FILE_NOT_FOUND)
            }
            let bytes = Array(path.utf8)
            guard Int(size.pointee) >= bytes.count + 1 else {
                size.pointee = DWORD(clamping: bytes.count + 1)
                return DWORD(ERROR_INSUFFICIENT_BUFFER)
            }
            buffer.copyMemory(from: bytes, byteCount: bytes.count)
            buffer.storeBytes(of: 0, toByteOffset: bytes.count, as: UInt8.self)
            size.pointee = DWORD(bytes.count + 1)
            return nil

        case SupportRequest.mapURLToPathEx:
            guard let buffer, let infoPointer = dataType.map(UnsafeMutableRawPointer.init) else { return invalid }
            let info = infoPointer.assumingMemoryBound(to: HSE_URL_MAPEX_INFO.self)
            guard let url = Self.string(buffer, limit: size.map { Int($0.pointee) }), let path = mappedPath(url) else {
                return DWORD(ERROR_FILE_NOT_FOUND)
            }
            let bytes = Array(path.utf8)
            guard bytes.count < Int(MAX_PATH) else {
                size?.pointee = DWORD(clamping: bytes.count + 1)
                return DWORD(ERROR_INSUFFICIENT_BUFFER)
            }
            withUnsafeMutableBytes(of: &info.pointee.lpszPath) { target in
                target.copyBytes(from: bytes)
                target[bytes.count] = 0
            }
            info.pointee.dwFlags = Self.accessFlags(path)
            info.pointee.cchMatchingPath = DWORD(bytes.count)
            info.pointee.cchMatchingURL = DWORD(url.utf8.count)
            return nil

        case SupportRequest.appendLogParameter:
            guard buffer != nil else { return invalid }
            let bytes = Self.bytes(buffer, limit: nil)
            connection.appendLogParameter(String(decoding: bytes, as: UTF8.self), toQuery: settings.appendLogToQuery)
            if settings.appendLogToErrors {
                logger.info("\(extensionPath): \(LogText.escaped(bytes))", metadata: LogText.metadata(id: "IS02010"))
            }
            return nil

        case SupportRequest.isKeepConn, SupportRequest.isConnected:
            guard let buffer else { return invalid }
            // IS_KEEP_CONN: what will really happen after this response, as things stand.
            let answer = code == SupportRequest.isKeepConn
                ? connection.keepsConnection && !withState({ $0.closeConnection }) : connection.isConnected
            buffer.storeBytes(of: answer ? BOOL(1) : BOOL(0), as: BOOL.self)
            return nil

        case SupportRequest.closeConnection:
            // Unlike mod_isapi (which answers FALSE, unsupported), honoured: before the head,
            // the head says `Connection: close`; after it, the connection closes once the
            // response is complete (the one case where a head that offered keep-alive is
            // followed by a close: the extension asked for it).
            withState { $0.closeConnection = true }
            return nil

        case SupportRequest.ioCompletion:
            guard settings.fakeAsync else { return unsupported(code) }
            let callback = unsafeBitCast(buffer, to: PFN_HSE_IO_COMPLETION?.self)
            withState { state in
                state.completion = callback.map { ($0, dataType.map(UnsafeMutableRawPointer.init)) }
            }
            return nil

        case SupportRequest.transmitFile:
            return transmitFile(buffer)

        case SupportRequest.getCertInfoEx:
            return certificateInfo(buffer)

        case SupportRequest.asyncReadClient:
            guard settings.fakeAsync else { return unsupported(code) }
            guard let buffer, let size else { return invalid }
            let read = self.read(into: UnsafeMutableRawBufferPointer(start: buffer, count: Int(size.pointee)))
            size.pointee = DWORD(read ?? 0)
            complete(bytes: read ?? 0, error: read == nil ? DWORD(ERROR_READ_FAULT) : 0)
            return nil

        default:
            return unsupported(code)
        }
    }

    /// MAP_URL_TO_PATH's answer: the file (with any PATH_INFO); a directory ends in `/`.
    /// None for a path with a backslash-delimited `..` (`BackslashClimb`).
    private func mappedPath(_ url: String) -> String? {
        guard let mapped = connection.mapURLToPath(url), !BackslashClimb.hasDotDot(mapped.path) else { return nil }
        return mapped.isDirectory && !mapped.path.hasSuffix("/") ? mapped.path + "/" : mapped.path
    }

    private func unsupported(_ code: DWORD) -> DWORD {
        if settings.logNotSupported {
            let name = SupportRequest.name(code) ?? "(\(code))"
            logger.warning("ServerSupportFunction \(name) is not supported: \(extensionPath)", metadata: ["id": "IS02002"])
        }
        return DWORD(ERROR_INVALID_PARAMETER)
    }

    /// The bytes of a C string, stopping at its NUL or at `limit`, whichever comes first.
    static func bytes(_ pointer: UnsafeMutableRawPointer?, limit: Int?) -> [UInt8] {
        Array(inPlace(pointer, limit: limit))
    }

    /// The extension's bytes where they are, up to the first NUL or `limit`: for what is
    /// read during its call and not kept.
    static func inPlace(_ pointer: UnsafeMutableRawPointer?, limit: Int?) -> UnsafeRawBufferPointer {
        guard let pointer else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        let base = pointer.assumingMemoryBound(to: UInt8.self)
        var count = 0
        while limit.map({ count < $0 }) ?? true, base[count] != 0 { count += 1 }
        return UnsafeRawBufferPointer(start: base, count: count)
    }

    static func string(_ pointer: UnsafeMutableRawPointer?, limit: Int?) -> String? {
        guard pointer != nil else { return nil }
        return String(decoding: bytes(pointer, limit: limit), as: UTF8.self)
    }

    /// HSE_URL_FLAGS_* from the owner's permission bits, as mod_isapi reports them.
    static func accessFlags(_ path: String) -> DWORD {
        var info = stat()
        guard stat(path, &info) == 0 else { return 0 }
        var flags: DWORD = 0
        if info.st_mode & S_IRUSR != 0 { flags |= 0x1 }
        if info.st_mode & S_IWUSR != 0 { flags |= 0x2 }
        if info.st_mode & S_IXUSR != 0 { flags |= 0x204 }
        return flags
    }
}
