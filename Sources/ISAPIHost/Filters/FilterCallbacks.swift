import CISAPI
import Foundation

/// The functions a filter calls through its HTTP_FILTER_CONTEXT and the notification
/// structures (GetHeader, SetHeader, AddHeader, GetUserToken). Each finds its context in
/// `FilterContextTable` first: an unknown `pfc` or a missing pointer is FALSE with
/// ERROR_INVALID_PARAMETER.
enum FilterCallbacks {
    typealias Context = UnsafeMutablePointer<HTTP_FILTER_CONTEXT>

    static func install(in context: Context) {
        context.pointee.GetServerVariable = getServerVariable
        context.pointee.AddResponseHeaders = addResponseHeaders
        context.pointee.WriteClient = writeClient
        context.pointee.AllocMem = allocMem
        context.pointee.ServerSupportFunction = serverSupportFunction
    }

    static func box(_ pfc: Context?) -> FilterContextBox? {
        FilterContextTable.box(pfc.map(UnsafeMutableRawPointer.init))
    }

    /// The host of the notification running now on `pfc`'s connection.
    static func host(_ pfc: Context?) -> FilterRequestHost? {
        guard let box = box(pfc) else { return nil }
        return box.session.lock.withLock { box.session.host }
    }

    static let getServerVariable: @convention(c) (Context?, LPSTR?, LPVOID?, LPDWORD?) -> BOOL = {
        pfc, name, buffer, size in
        guard let host = host(pfc), let name, let size else { return ECBCallbacks.fail(ERROR_INVALID_PARAMETER) }
        guard let value = host.serverVariable(String(cString: name)) else { return ECBCallbacks.fail(ERROR_INVALID_INDEX) }
        return ECBCallbacks.copyOut(value, buffer, size)
    }

    /// `Name: value\r\n` lines, as IIS takes them.
    static func headerLines(_ text: UnsafePointer<CChar>) -> [(name: String, value: String)] {
        // "\r\n" is one Character: split on every kind of line end.
        String(cString: text).split(whereSeparator: \.isNewline).compactMap { line in
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex else { return nil }
            let value = line[line.index(after: colon)...].drop { $0 == " " || $0 == "\t" }
            return (String(line[..<colon]), String(value))
        }
    }

    static let addResponseHeaders: @convention(c) (Context?, LPSTR?, DWORD) -> BOOL = { pfc, headers, _ in
        guard let box = box(pfc), let headers else { return ECBCallbacks.fail(ERROR_INVALID_PARAMETER) }
        let lines = headerLines(headers)
        box.session.lock.withLock { box.session.requestState.addedHeaders += lines }
        return ECBCallbacks.success
    }

    static let writeClient: @convention(c) (Context?, LPVOID?, LPDWORD?, DWORD) -> BOOL = { pfc, buffer, size, _ in
        guard let box = box(pfc), let size else { return ECBCallbacks.fail(ERROR_INVALID_PARAMETER) }
        let count = Int(size.pointee)
        guard buffer != nil || count == 0 else { return ECBCallbacks.fail(ERROR_INVALID_PARAMETER) }
        let bytes = UnsafeRawBufferPointer(start: buffer, count: count)
        box.session.lock.withLock { box.session.requestState.output += bytes }
        return ECBCallbacks.success
    }

    static let allocMem: @convention(c) (Context?, DWORD, DWORD) -> UnsafeMutableRawPointer? = { pfc, size, _ in
        guard let box = box(pfc) else {
            isapi_fail(DWORD(ERROR_INVALID_PARAMETER))
            return nil
        }
        let session = box.session
        let (granted, firstRefusal) = session.lock.withLock { () -> (UnsafeMutableRawPointer?, Bool) in
            guard session.allocatedBytes + Int(size) <= FilterSession.allocationLimit,
                let block = calloc(1, max(Int(size), 1))
            else {
                defer { session.allocationRefused = true }
                return (nil, !session.allocationRefused)
            }
            session.allocatedBytes += Int(size)
            session.allocations.append(block)
            return (block, false)
        }
        if firstRefusal {
            session.logger.error(
                "ISAPI filter \(box.filter.path): AllocMem(\(size)) refused: the connection's filters hold \(session.allocatedBytes) bytes (limit \(FilterSession.allocationLimit))",
                metadata: ["id": "IS02305"])
        }
        if granted == nil { isapi_fail(DWORD(ERROR_NOT_ENOUGH_MEMORY)) }
        return granted
    }

    static let serverSupportFunction: @convention(c) (Context?, SF_REQ_TYPE, PVOID?, ULONG_PTR, ULONG_PTR) -> BOOL = {
        pfc, request, data, ul1, ul2 in
        guard let box = box(pfc) else { return ECBCallbacks.fail(ERROR_INVALID_PARAMETER) }
        if let error = FilterSupport.run(request, box: box, data: data, ul1: ul1, ul2: ul2) { return ECBCallbacks.fail(error) }
        return ECBCallbacks.success
    }

    // MARK: The notification structures' functions

    /// A header name as filters write it (`Host:`): without its colon.
    static func headerName(_ name: LPSTR) -> String {
        let text = String(cString: name)
        return text.hasSuffix(":") ? String(text.dropLast()) : text
    }

    static let getHeader: @convention(c) (Context?, LPSTR?, LPVOID?, LPDWORD?) -> BOOL = { pfc, name, buffer, size in
        guard let host = host(pfc), let name, let size else { return ECBCallbacks.fail(ERROR_INVALID_PARAMETER) }
        guard let value = host.header(headerName(name)) else { return ECBCallbacks.fail(ERROR_INVALID_INDEX) }
        return ECBCallbacks.copyOut(value, buffer, size)
    }

    static let setHeader: @convention(c) (Context?, LPSTR?, LPSTR?) -> BOOL = { pfc, name, value in
        guard let host = host(pfc), let name, let value else { return ECBCallbacks.fail(ERROR_INVALID_PARAMETER) }
        return host.setHeader(headerName(name), String(cString: value)) ? ECBCallbacks.success : ECBCallbacks.fail(ERROR_INVALID_PARAMETER)
    }

    static let addHeader: @convention(c) (Context?, LPSTR?, LPSTR?) -> BOOL = { pfc, name, value in
        guard let host = host(pfc), let name, let value else { return ECBCallbacks.fail(ERROR_INVALID_PARAMETER) }
        return host.addHeader(headerName(name), String(cString: value)) ? ECBCallbacks.success : ECBCallbacks.fail(ERROR_INVALID_PARAMETER)
    }

    /// No Windows tokens here: FALSE (ERROR_NOT_SUPPORTED).
    static let getUserToken: @convention(c) (Context?, UnsafeMutablePointer<HANDLE?>?) -> BOOL = { _, token in
        token?.pointee = nil
        return ECBCallbacks.fail(ERROR_NOT_SUPPORTED)
    }
}
