import CISAPI
import Foundation

/// The access-log fields SF_NOTIFY_LOG shows, all writable (IIS's HTTP_FILTER_LOG).
public struct FilterLogFields: Sendable, Equatable {
    public var clientHostName: String
    public var clientUserName: String
    public var serverName: String
    public var operation: String
    public var target: String
    public var parameters: String
    public var httpStatus: Int
    public var bytesSent: Int64
    public var bytesReceived: Int64
    public var milliseconds: Int64

    public init(
        clientHostName: String, clientUserName: String, serverName: String, operation: String,
        target: String, parameters: String, httpStatus: Int, bytesSent: Int64, bytesReceived: Int64,
        milliseconds: Int64
    ) {
        self.clientHostName = clientHostName
        self.clientUserName = clientUserName
        self.serverName = serverName
        self.operation = operation
        self.target = target
        self.parameters = parameters
        self.httpStatus = httpStatus
        self.bytesSent = bytesSent
        self.bytesReceived = bytesReceived
        self.milliseconds = milliseconds
    }
}

/// Each notification's IIS structure, built for the call and read back after it.
extension FilterSession {
    /// SF_NOTIFY_PREPROC_HEADERS: `host` answers GetHeader/SetHeader/AddHeader on the request.
    public func preprocHeaders(list: FilterList, host: FilterRequestHost) -> FilterOutcome {
        var status = 0
        return headersNotification(.preprocHeaders, status: &status, list: list, host: host)
    }

    /// SF_NOTIFY_SEND_RESPONSE: `host` answers on the response headers; `status` (HttpStatus) is writable.
    public func sendResponse(
        status: inout Int, list: FilterList,
        host: FilterRequestHost
    ) -> FilterOutcome {
        headersNotification(.sendResponse, status: &status, list: list, host: host)
    }

    private func headersNotification(
        _ notification: FilterNotification, status: inout Int, list: FilterList,
        host: FilterRequestHost
    ) -> FilterOutcome {
        var info = HTTP_FILTER_PREPROC_HEADERS()
        info.GetHeader = FilterCallbacks.getHeader
        info.SetHeader = FilterCallbacks.setHeader
        info.AddHeader = FilterCallbacks.addHeader
        info.HttpStatus = DWORD(clamping: status)
        let outcome = notify(notification, list: list, host: host, data: &info)
        if (100...999).contains(Int(info.HttpStatus)) { status = Int(info.HttpStatus) }
        return outcome
    }

    /// SF_NOTIFY_AUTH_COMPLETE: GetHeader/SetHeader/AddHeader on the request, GetUserToken
    /// (FALSE here), HttpStatus; `fResetAuth` is read back but has no meaning without NTLM.
    public func authComplete(list: FilterList, host: FilterRequestHost) -> FilterOutcome {
        var info = HTTP_FILTER_AUTH_COMPLETE_INFO()
        info.GetHeader = FilterCallbacks.getHeader
        info.SetHeader = FilterCallbacks.setHeader
        info.AddHeader = FilterCallbacks.addHeader
        info.GetUserToken = FilterCallbacks.getUserToken
        return notify(.authComplete, list: list, host: host, data: &info)
    }

    /// SF_NOTIFY_AUTHENTICATION: the Basic user and password (empty for anonymous), in
    /// buffers of SF_MAX_USERNAME and SF_MAX_PASSWORD bytes the filter may rewrite.
    public func authentication(
        user: inout String, password: inout String, list: FilterList,
        host: FilterRequestHost
    ) -> FilterOutcome {
        let userBuffer = CStringBuffer(user, capacity: Int(SF_MAX_USERNAME))
        let passwordBuffer = CStringBuffer(password, capacity: Int(SF_MAX_PASSWORD))
        var info = HTTP_FILTER_AUTHENT(
            pszUser: userBuffer.pointer, cbUserBuff: DWORD(userBuffer.capacity),
            pszPassword: passwordBuffer.pointer,
            cbPasswordBuff: DWORD(passwordBuffer.capacity))
        let outcome = notify(.authentication, list: list, host: host, data: &info)
        user = userBuffer.text
        password = passwordBuffer.text
        return outcome
    }

    /// SF_NOTIFY_URL_MAP (as IIS 6, the _EX structure, whose start is HTTP_FILTER_URL_MAP):
    /// the URL and its physical path, the path writable in a buffer of `pathCapacity` bytes.
    public func urlMap(
        url: String, physicalPath: inout String, scriptMapEntry: String?, list: FilterList,
        host: FilterRequestHost, pathCapacity: Int = 4096
    ) -> FilterOutcome {
        let pathBuffer = CStringBuffer(physicalPath, capacity: pathCapacity)
        return url.withCString { urlText in
            (scriptMapEntry ?? "").withCString { engine in
                var info = HTTP_FILTER_URL_MAP_EX(
                    pszURL: urlText, pszPhysicalPath: pathBuffer.pointer, cbPathBuff: DWORD(pathBuffer.capacity),
                    dwFlags: 0, cchMatchingPath: DWORD(physicalPath.utf8.count), cchMatchingURL: DWORD(url.utf8.count),
                    pszScriptMapEntry: scriptMapEntry == nil ? nil : engine)
                let outcome = notify(.urlMap, list: list, host: host, data: &info)
                physicalPath = pathBuffer.text
                return outcome
            }
        }
    }

    /// SF_NOTIFY_ACCESS_DENIED: a 401 is about to go out; `reason` is SF_DENIED_*.
    public func accessDenied(
        url: String, physicalPath: String, reason: UInt32, list: FilterList,
        host: FilterRequestHost
    ) -> FilterOutcome {
        url.withCString { urlText in
            physicalPath.withCString { pathText in
                var info = HTTP_FILTER_ACCESS_DENIED(pszURL: urlText, pszPhysicalPath: pathText, dwReason: reason)
                return notify(.accessDenied, list: list, host: host, data: &info)
            }
        }
    }

    /// SF_NOTIFY_LOG: every field writable (a filter may point a string at its own memory).
    public func log(
        _ fields: inout FilterLogFields, list: FilterList,
        host: FilterRequestHost
    ) -> FilterOutcome {
        let strings = [
            fields.clientHostName, fields.clientUserName, fields.serverName, fields.operation,
            fields.target, fields.parameters,
        ].map { text in text.withCString { strdup($0)! } }
        defer { strings.forEach { free($0) } }
        var info = HTTP_FILTER_LOG(
            pszClientHostName: strings[0], pszClientUserName: strings[1], pszServerName: strings[2],
            pszOperation: strings[3], pszTarget: strings[4], pszParameters: strings[5],
            dwHttpStatus: DWORD(clamping: fields.httpStatus), dwWin32Status: 0,
            dwBytesSent: DWORD(clamping: fields.bytesSent), dwBytesRecvd: DWORD(clamping: fields.bytesReceived),
            msTimeForProcessing: DWORD(clamping: fields.milliseconds))
        let outcome = notify(.log, list: list, host: host, data: &info)
        func text(_ pointer: UnsafePointer<CChar>?) -> String { pointer.map { String(cString: $0) } ?? "" }
        fields.clientHostName = text(info.pszClientHostName)
        fields.clientUserName = text(info.pszClientUserName)
        fields.serverName = text(info.pszServerName)
        fields.operation = text(info.pszOperation)
        fields.target = text(info.pszTarget)
        fields.parameters = text(info.pszParameters)
        fields.httpStatus = Int(info.dwHttpStatus)
        fields.bytesSent = Int64(info.dwBytesSent)
        fields.bytesReceived = Int64(info.dwBytesRecvd)
        return outcome
    }

    /// SF_NOTIFY_END_OF_REQUEST, then the request's filter state is reset.
    public func endOfRequest(list: FilterList, host: FilterRequestHost) {
        _ = notify(.endOfRequest, list: list, host: host, data: nil)
        endRequest()
    }

    /// SF_NOTIFY_READ_RAW_DATA / SEND_RAW_DATA: the bytes in a buffer the filter may
    /// rewrite (shrink, or grow up to `cbInBuffer`; or point `pvInData` at its own memory).
    public func rawData(
        _ bytes: inout [UInt8], sending: Bool, list: FilterList,
        host: FilterRequestHost?
    ) -> FilterOutcome {
        let capacity = max(bytes.count * 2, 4096)
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        defer { buffer.deallocate() }
        if !bytes.isEmpty { bytes.withUnsafeBytes { buffer.copyMemory(from: $0.baseAddress!, byteCount: $0.count) } }
        var info = HTTP_FILTER_RAW_DATA(
            pvInData: buffer, cbInData: DWORD(bytes.count), cbInBuffer: DWORD(capacity),
            dwReserved: 0)
        let outcome = notify(sending ? .sendRawData : .readRawData, list: list, host: host, data: &info)
        if let data = info.pvInData {
            bytes = Array(UnsafeRawBufferPointer(start: data, count: Int(info.cbInData)))
        } else {
            bytes = []
        }
        return outcome
    }
}

/// A NUL-terminated copy of a string in a buffer a filter may rewrite in place.
final class CStringBuffer {
    let pointer: UnsafeMutablePointer<CChar>
    let capacity: Int

    init(_ text: String, capacity: Int) {
        let bytes = Array(text.utf8.prefix(capacity - 1))
        self.capacity = capacity
        pointer = .allocate(capacity: capacity)
        pointer.initialize(repeating: 0, count: capacity)
        if !bytes.isEmpty {
            bytes.withUnsafeBytes {
                UnsafeMutableRawPointer(pointer).copyMemory(from: $0.baseAddress!, byteCount: $0.count)
            }
        }
    }

    deinit { pointer.deallocate() }

    /// The text up to the first NUL (or the whole buffer, if a filter left none).
    var text: String {
        let raw = UnsafeRawBufferPointer(start: pointer, count: capacity)
        return String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
    }
}
