import CISAPI
import Testing

// httpfilt.h on LP64: Microsoft's field order with 8-byte pointers and 4-byte DWORD/BOOL,
// and Microsoft's constant values (issue 17).

@Suite("ISAPI filter SDK layout")
struct FilterLayoutTests {
    @Test("HTTP_FILTER_CONTEXT: 72 bytes, callbacks from offset 32")
    func context() {
        typealias C = HTTP_FILTER_CONTEXT
        #expect(MemoryLayout<C>.size == 72)
        #expect(MemoryLayout<C>.offset(of: \.cbSize) == 0)
        #expect(MemoryLayout<C>.offset(of: \.Revision) == 4)
        #expect(MemoryLayout<C>.offset(of: \.ServerContext) == 8)
        #expect(MemoryLayout<C>.offset(of: \.ulReserved) == 16)
        #expect(MemoryLayout<C>.offset(of: \.fIsSecurePort) == 20)
        #expect(MemoryLayout<C>.offset(of: \.pFilterContext) == 24)
        #expect(MemoryLayout<C>.offset(of: \.GetServerVariable) == 32)
        #expect(MemoryLayout<C>.offset(of: \.AddResponseHeaders) == 40)
        #expect(MemoryLayout<C>.offset(of: \.WriteClient) == 48)
        #expect(MemoryLayout<C>.offset(of: \.AllocMem) == 56)
        #expect(MemoryLayout<C>.offset(of: \.ServerSupportFunction) == 64)
    }

    @Test("Notification structures at their LP64 offsets")
    func notifications() {
        #expect(MemoryLayout<HTTP_FILTER_RAW_DATA>.size == 24)
        #expect(MemoryLayout<HTTP_FILTER_RAW_DATA>.offset(of: \.cbInData) == 8)
        #expect(MemoryLayout<HTTP_FILTER_RAW_DATA>.offset(of: \.cbInBuffer) == 12)
        #expect(MemoryLayout<HTTP_FILTER_PREPROC_HEADERS>.size == 32)
        #expect(MemoryLayout<HTTP_FILTER_PREPROC_HEADERS>.offset(of: \.AddHeader) == 16)
        #expect(MemoryLayout<HTTP_FILTER_PREPROC_HEADERS>.offset(of: \.HttpStatus) == 24)
        #expect(MemoryLayout<HTTP_FILTER_PREPROC_HEADERS>.offset(of: \.dwReserved) == 28)
        #expect(MemoryLayout<HTTP_FILTER_AUTHENT>.size == 32)
        #expect(MemoryLayout<HTTP_FILTER_AUTHENT>.offset(of: \.cbUserBuff) == 8)
        #expect(MemoryLayout<HTTP_FILTER_AUTHENT>.offset(of: \.pszPassword) == 16)
        #expect(MemoryLayout<HTTP_FILTER_AUTHENT>.offset(of: \.cbPasswordBuff) == 24)
        #expect(MemoryLayout<HTTP_FILTER_URL_MAP>.size == 24)
        #expect(MemoryLayout<HTTP_FILTER_URL_MAP>.offset(of: \.cbPathBuff) == 16)
        #expect(MemoryLayout<HTTP_FILTER_URL_MAP_EX>.size == 40)
        #expect(MemoryLayout<HTTP_FILTER_URL_MAP_EX>.offset(of: \.dwFlags) == 20)
        #expect(MemoryLayout<HTTP_FILTER_URL_MAP_EX>.offset(of: \.cchMatchingPath) == 24)
        #expect(MemoryLayout<HTTP_FILTER_URL_MAP_EX>.offset(of: \.cchMatchingURL) == 28)
        #expect(MemoryLayout<HTTP_FILTER_URL_MAP_EX>.offset(of: \.pszScriptMapEntry) == 32)
        #expect(MemoryLayout<HTTP_FILTER_ACCESS_DENIED>.size == 24)
        #expect(MemoryLayout<HTTP_FILTER_ACCESS_DENIED>.offset(of: \.dwReason) == 16)
        #expect(MemoryLayout<HTTP_FILTER_LOG>.size == 72)
        #expect(MemoryLayout<HTTP_FILTER_LOG>.offset(of: \.pszParameters) == 40)
        #expect(MemoryLayout<HTTP_FILTER_LOG>.offset(of: \.dwHttpStatus) == 48)
        #expect(MemoryLayout<HTTP_FILTER_LOG>.offset(of: \.dwWin32Status) == 52)
        #expect(MemoryLayout<HTTP_FILTER_LOG>.offset(of: \.dwBytesSent) == 56)
        #expect(MemoryLayout<HTTP_FILTER_LOG>.offset(of: \.dwBytesRecvd) == 60)
        #expect(MemoryLayout<HTTP_FILTER_LOG>.offset(of: \.msTimeForProcessing) == 64)
        #expect(MemoryLayout<HTTP_FILTER_AUTH_COMPLETE_INFO>.size == 48)
        #expect(MemoryLayout<HTTP_FILTER_AUTH_COMPLETE_INFO>.offset(of: \.GetUserToken) == 24)
        #expect(MemoryLayout<HTTP_FILTER_AUTH_COMPLETE_INFO>.offset(of: \.HttpStatus) == 32)
        #expect(MemoryLayout<HTTP_FILTER_AUTH_COMPLETE_INFO>.offset(of: \.fResetAuth) == 36)
        #expect(MemoryLayout<HTTP_FILTER_AUTH_COMPLETE_INFO>.offset(of: \.dwReserved) == 40)
    }

    @Test("HTTP_FILTER_VERSION: a 257-byte description, dwFlags after its padding")
    func version() {
        #expect(MemoryLayout<HTTP_FILTER_VERSION>.size == 272)
        #expect(MemoryLayout<HTTP_FILTER_VERSION>.offset(of: \.lpszFilterDesc) == 8)
        #expect(MemoryLayout<HTTP_FILTER_VERSION>.offset(of: \.dwFlags) == 268)
        #expect(MemoryLayout.size(ofValue: HTTP_FILTER_VERSION().lpszFilterDesc) == 257)
    }

    @Test("Constants have Microsoft's values")
    func constants() {
        #expect(SF_STATUS_REQ_FINISHED.rawValue == 0x0800_0000)
        #expect(SF_STATUS_REQ_FINISHED_KEEP_CONN.rawValue == 0x0800_0001)
        #expect(SF_STATUS_REQ_NEXT_NOTIFICATION.rawValue == 0x0800_0002)
        #expect(SF_STATUS_REQ_HANDLED_NOTIFICATION.rawValue == 0x0800_0003)
        #expect(SF_STATUS_REQ_ERROR.rawValue == 0x0800_0004)
        #expect(SF_STATUS_REQ_READ_NEXT.rawValue == 0x0800_0005)
        #expect(SF_REQ_SEND_RESPONSE_HEADER.rawValue == 0)
        #expect(SF_REQ_GET_CONNID.rawValue == 4)
        #expect(SF_REQ_DISABLE_NOTIFICATIONS.rawValue == 8)
        #expect(SF_NOTIFY_READ_RAW_DATA == 0x8000 && SF_NOTIFY_PREPROC_HEADERS == 0x4000)
        #expect(SF_NOTIFY_AUTHENTICATION == 0x2000 && SF_NOTIFY_URL_MAP == 0x1000)
        #expect(SF_NOTIFY_ACCESS_DENIED == 0x800 && SF_NOTIFY_SEND_RESPONSE == 0x40)
        #expect(SF_NOTIFY_SEND_RAW_DATA == 0x400 && SF_NOTIFY_LOG == 0x200)
        #expect(SF_NOTIFY_END_OF_REQUEST == 0x80 && SF_NOTIFY_END_OF_NET_SESSION == 0x100)
        #expect(SF_NOTIFY_AUTH_COMPLETE == 0x0400_0000)
        #expect(SF_NOTIFY_ORDER_HIGH == 0x80000 && SF_NOTIFY_ORDER_MEDIUM == 0x40000 && SF_NOTIFY_ORDER_LOW == 0x20000)
        #expect(SF_MAX_FILTER_DESC_LEN == 257 && SF_MAX_USERNAME == 257 && SF_MAX_AUTH_TYPE == 33)
    }
}
