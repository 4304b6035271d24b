import CISAPI
import Foundation
import Testing

// The ISAPI SDK (Sources/CISAPI): LP64 layout per spec/mod_isapi.md §1.3,
// Microsoft's constant values, the per-thread last error, and that a plain
// C/C++ extension builds against nothing but the include directory.

@Suite("ISAPI SDK layout")
struct SDKLayoutTests {

    @Test("EXTENSION_CONTROL_BLOCK is 192 bytes with every field at its §1.3 offset")
    func extensionControlBlock() {
        typealias ECB = EXTENSION_CONTROL_BLOCK
        #expect(MemoryLayout<ECB>.size == 192)
        #expect(MemoryLayout<ECB>.stride == 192)
        #expect(MemoryLayout<ECB>.alignment == 8)
        #expect(MemoryLayout<ECB>.offset(of: \.cbSize) == 0)
        #expect(MemoryLayout<ECB>.offset(of: \.dwVersion) == 4)
        #expect(MemoryLayout<ECB>.offset(of: \.ConnID) == 8)
        #expect(MemoryLayout<ECB>.offset(of: \.dwHttpStatusCode) == 16)
        #expect(MemoryLayout<ECB>.offset(of: \.lpszLogData) == 20)
        #expect(MemoryLayout<ECB>.offset(of: \.lpszMethod) == 104)
        #expect(MemoryLayout<ECB>.offset(of: \.lpszQueryString) == 112)
        #expect(MemoryLayout<ECB>.offset(of: \.lpszPathInfo) == 120)
        #expect(MemoryLayout<ECB>.offset(of: \.lpszPathTranslated) == 128)
        #expect(MemoryLayout<ECB>.offset(of: \.cbTotalBytes) == 136)
        #expect(MemoryLayout<ECB>.offset(of: \.cbAvailable) == 140)
        #expect(MemoryLayout<ECB>.offset(of: \.lpbData) == 144)
        #expect(MemoryLayout<ECB>.offset(of: \.lpszContentType) == 152)
        #expect(MemoryLayout<ECB>.offset(of: \.GetServerVariable) == 160)
        #expect(MemoryLayout<ECB>.offset(of: \.WriteClient) == 168)
        #expect(MemoryLayout<ECB>.offset(of: \.ReadClient) == 176)
        #expect(MemoryLayout<ECB>.offset(of: \.ServerSupportFunction) == 184)
        #expect(MemoryLayout.size(ofValue: ECB().lpszLogData) == Int(HSE_LOG_BUFFER_LEN))
    }

    @Test("Base types have their LLP64 sizes")
    func baseTypes() {
        #expect(MemoryLayout<DWORD>.size == 4)
        #expect(DWORD.self == UInt32.self)
        #expect(BOOL.self == Int32.self)
        #expect(MemoryLayout<WORD>.size == 2)
        #expect(MemoryLayout<BYTE>.size == 1)
        #expect(MemoryLayout<LONG>.size == 4)
        #expect(MemoryLayout<HCONN>.size == 8)
        #expect(MemoryLayout<HANDLE>.size == 8)
        #expect(MemoryLayout<DWORD_PTR>.size == 8)
        #expect(MemoryLayout<WCHAR>.size == 2)
        // TRUE/FALSE: Swift never imports macros by those names; the C fixture checks them.
        #expect(MAX_PATH == 260)
    }

    @Test("HSE_VERSION_INFO")
    func versionInfo() {
        typealias T = HSE_VERSION_INFO
        #expect(MemoryLayout<T>.size == 260)
        #expect(MemoryLayout<T>.offset(of: \.dwExtensionVersion) == 0)
        #expect(MemoryLayout<T>.offset(of: \.lpszExtensionDesc) == 4)
        #expect(MemoryLayout.size(ofValue: T().lpszExtensionDesc) == Int(HSE_MAX_EXT_DLL_NAME_LEN))
    }

    @Test("HSE_SEND_HEADER_EX_INFO")
    func sendHeaderExInfo() {
        typealias T = HSE_SEND_HEADER_EX_INFO
        #expect(MemoryLayout<T>.size == 32)
        #expect(MemoryLayout<T>.offset(of: \.pszStatus) == 0)
        #expect(MemoryLayout<T>.offset(of: \.pszHeader) == 8)
        #expect(MemoryLayout<T>.offset(of: \.cchStatus) == 16)
        #expect(MemoryLayout<T>.offset(of: \.cchHeader) == 20)
        #expect(MemoryLayout<T>.offset(of: \.fKeepConn) == 24)
    }

    @Test("HSE_URL_MAPEX_INFO")
    func urlMapExInfo() {
        typealias T = HSE_URL_MAPEX_INFO
        #expect(MemoryLayout<T>.size == 280)
        #expect(MemoryLayout<T>.offset(of: \.lpszPath) == 0)
        #expect(MemoryLayout<T>.offset(of: \.dwFlags) == 260)
        #expect(MemoryLayout<T>.offset(of: \.cchMatchingPath) == 264)
        #expect(MemoryLayout<T>.offset(of: \.cchMatchingURL) == 268)
        #expect(MemoryLayout<T>.offset(of: \.dwReserved1) == 272)
        #expect(MemoryLayout<T>.offset(of: \.dwReserved2) == 276)
        #expect(MemoryLayout.size(ofValue: T().lpszPath) == Int(MAX_PATH))
    }

    @Test("HSE_TF_INFO, with a pointer-sized hFile")
    func transmitFileInfo() {
        typealias T = HSE_TF_INFO
        #expect(MemoryLayout<T>.size == 72)
        #expect(MemoryLayout<T>.offset(of: \.pfnHseIO) == 0)
        #expect(MemoryLayout<T>.offset(of: \.pContext) == 8)
        #expect(MemoryLayout<T>.offset(of: \.hFile) == 16)
        #expect(MemoryLayout<T>.offset(of: \.pszStatusCode) == 24)
        #expect(MemoryLayout<T>.offset(of: \.BytesToWrite) == 32)
        #expect(MemoryLayout<T>.offset(of: \.Offset) == 36)
        #expect(MemoryLayout<T>.offset(of: \.pHead) == 40)
        #expect(MemoryLayout<T>.offset(of: \.HeadLength) == 48)
        #expect(MemoryLayout<T>.offset(of: \.pTail) == 56)
        #expect(MemoryLayout<T>.offset(of: \.TailLength) == 64)
        #expect(MemoryLayout<T>.offset(of: \.dwFlags) == 68)
    }

    @Test("CERT_CONTEXT and CERT_CONTEXT_EX (HSE_REQ_GET_CERT_INFO_EX) have the Win64 layout")
    func certificateContext() {
        typealias C = CERT_CONTEXT
        #expect(MemoryLayout<C>.size == 40)
        #expect(MemoryLayout<C>.offset(of: \.dwCertEncodingType) == 0)
        #expect(MemoryLayout<C>.offset(of: \.pbCertEncoded) == 8)
        #expect(MemoryLayout<C>.offset(of: \.cbCertEncoded) == 16)
        #expect(MemoryLayout<C>.offset(of: \.pCertInfo) == 24)
        #expect(MemoryLayout<C>.offset(of: \.hCertStore) == 32)
        typealias X = CERT_CONTEXT_EX
        #expect(MemoryLayout<X>.size == 48)
        #expect(MemoryLayout<X>.offset(of: \.CertContext) == 0)
        #expect(MemoryLayout<X>.offset(of: \.cbAllocated) == 40)
        #expect(MemoryLayout<X>.offset(of: \.dwCertificateFlags) == 44)
        #expect(X509_ASN_ENCODING == 0x1)
        #expect(PKCS_7_ASN_ENCODING == 0x10000)
    }

    @Test("A wincrypt.h included first keeps its own CERT_CONTEXT (no redefinition)")
    func wincryptGuard() throws {
        let include = repositoryRoot().appendingPathComponent("Sources/CISAPI/include").path
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("cisapi-wincrypt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        let source = tmp.appendingPathComponent("guard.c")
        try """
            #include <stdint.h>
            /* What a wincrypt.h-like header defines, in its own words. */
            #define __WINCRYPT_H__
            typedef struct _CERT_CONTEXT {
                uint32_t dwCertEncodingType; unsigned char *pbCertEncoded; uint32_t cbCertEncoded;
                void *pCertInfo; void *hCertStore;
            } CERT_CONTEXT, *PCERT_CONTEXT;
            #define X509_ASN_ENCODING 0x00000001
            #include "httpext.h"
            int size_is_48[sizeof(CERT_CONTEXT_EX) == 48 ? 1 : -1];
            #ifdef ISAPI_WINCRYPT_TYPES
            # error "httpext.h defined CERT_CONTEXT again"
            #endif
            """.write(to: source, atomically: true, encoding: .utf8)
        let (status, log) = try run(["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-c", "-I", include, source.path,
                                     "-o", tmp.appendingPathComponent("guard.o").path])
        #expect(status == 0, "\(log)")
    }

    @Test("Later structures listed in §1.3 have the Win64 layout")
    func laterStructures() {
        #expect(MemoryLayout<HSE_UNICODE_URL_MAPEX_INFO>.size == 532)
        #expect(MemoryLayout<HSE_UNICODE_URL_MAPEX_INFO>.offset(of: \.dwFlags) == 520)
        #expect(MemoryLayout<HSE_UNICODE_URL_MAPEX_INFO>.offset(of: \.cchMatchingPath) == 524)
        #expect(MemoryLayout<HSE_UNICODE_URL_MAPEX_INFO>.offset(of: \.cchMatchingURL) == 528)

        #expect(MemoryLayout<HSE_EXEC_URL_INFO>.size == 48)
        #expect(MemoryLayout<HSE_EXEC_URL_INFO>.offset(of: \.pszUrl) == 0)
        #expect(MemoryLayout<HSE_EXEC_URL_INFO>.offset(of: \.pszMethod) == 8)
        #expect(MemoryLayout<HSE_EXEC_URL_INFO>.offset(of: \.pszChildHeaders) == 16)
        #expect(MemoryLayout<HSE_EXEC_URL_INFO>.offset(of: \.pUserInfo) == 24)
        #expect(MemoryLayout<HSE_EXEC_URL_INFO>.offset(of: \.pEntity) == 32)
        #expect(MemoryLayout<HSE_EXEC_URL_INFO>.offset(of: \.dwExecUrlFlags) == 40)

        #expect(MemoryLayout<HSE_EXEC_URL_USER_INFO>.size == 24)
        #expect(MemoryLayout<HSE_EXEC_URL_ENTITY_INFO>.size == 16)
        #expect(MemoryLayout<HSE_EXEC_URL_ENTITY_INFO>.offset(of: \.lpbData) == 8)

        #expect(MemoryLayout<HSE_EXEC_URL_STATUS>.size == 8)
        #expect(MemoryLayout<HSE_EXEC_URL_STATUS>.offset(of: \.uHttpSubStatus) == 2)
        #expect(MemoryLayout<HSE_EXEC_URL_STATUS>.offset(of: \.dwWin32Error) == 4)

        #expect(MemoryLayout<HSE_CUSTOM_ERROR_INFO>.size == 16)
        #expect(MemoryLayout<HSE_CUSTOM_ERROR_INFO>.offset(of: \.uHttpSubError) == 8)
        #expect(MemoryLayout<HSE_CUSTOM_ERROR_INFO>.offset(of: \.fAsync) == 12)

        #expect(MemoryLayout<HSE_VECTOR_ELEMENT>.size == 32)
        #expect(MemoryLayout<HSE_VECTOR_ELEMENT>.offset(of: \.pvContext) == 8)
        #expect(MemoryLayout<HSE_VECTOR_ELEMENT>.offset(of: \.cbOffset) == 16)
        #expect(MemoryLayout<HSE_VECTOR_ELEMENT>.offset(of: \.cbSize) == 24)

        #expect(MemoryLayout<HSE_RESPONSE_VECTOR>.size == 40)
        #expect(MemoryLayout<HSE_RESPONSE_VECTOR>.offset(of: \.pszStatus) == 8)
        #expect(MemoryLayout<HSE_RESPONSE_VECTOR>.offset(of: \.pszHeaders) == 16)
        #expect(MemoryLayout<HSE_RESPONSE_VECTOR>.offset(of: \.nElementCount) == 24)
        #expect(MemoryLayout<HSE_RESPONSE_VECTOR>.offset(of: \.lpElementArray) == 32)

        #expect(MemoryLayout<HSE_TRACE_INFO>.size == 28)
    }

    @Test("Filter types from httpfilt.h are present")
    func filterTypes() {
        #expect(MemoryLayout<HTTP_FILTER_CONTEXT>.size == 72)
        #expect(MemoryLayout<HTTP_FILTER_CONTEXT>.offset(of: \.pFilterContext) == 24)
        #expect(MemoryLayout<HTTP_FILTER_CONTEXT>.offset(of: \.ServerSupportFunction) == 64)
        #expect(MemoryLayout<HTTP_FILTER_VERSION>.size == 272)
        #expect(SF_STATUS_REQ_NEXT_NOTIFICATION.rawValue == 0x800_0002)
        #expect(SF_NOTIFY_ORDER_DEFAULT == SF_NOTIFY_ORDER_LOW)
    }
}

@Suite("ISAPI SDK constants")
struct SDKConstantTests {

    @Test("Version and buffer sizes")
    func manifestConstants() {
        #expect(HSE_VERSION_MAJOR == 2)
        #expect(HSE_VERSION_MINOR == 0)
        #expect(HSE_LOG_BUFFER_LEN == 80)
        #expect(HSE_MAX_EXT_DLL_NAME_LEN == 256)
    }

    @Test("HSE_STATUS_*")
    func statusCodes() {
        #expect(HSE_STATUS_SUCCESS == 1)
        #expect(HSE_STATUS_SUCCESS_AND_KEEP_CONN == 2)
        #expect(HSE_STATUS_PENDING == 3)
        #expect(HSE_STATUS_ERROR == 4)
    }

    @Test("HSE_TERM_* are Microsoft's values, not mod_isapi's swapped ones")
    func termFlags() {
        #expect(HSE_TERM_ADVISORY_UNLOAD == 1)
        #expect(HSE_TERM_MUST_UNLOAD == 2)
    }

    @Test("HSE_REQ_* codes 1-4 and 1001-1050")
    func requestCodes() {
        let codes: [(String, Int32, Int32)] = [
            ("HSE_REQ_BASE", HSE_REQ_BASE, 0),
            ("HSE_REQ_SEND_URL_REDIRECT_RESP", HSE_REQ_SEND_URL_REDIRECT_RESP, 1),
            ("HSE_REQ_SEND_URL", HSE_REQ_SEND_URL, 2),
            ("HSE_REQ_SEND_RESPONSE_HEADER", HSE_REQ_SEND_RESPONSE_HEADER, 3),
            ("HSE_REQ_DONE_WITH_SESSION", HSE_REQ_DONE_WITH_SESSION, 4),
            ("HSE_REQ_END_RESERVED", HSE_REQ_END_RESERVED, 1000),
            ("HSE_REQ_MAP_URL_TO_PATH", HSE_REQ_MAP_URL_TO_PATH, 1001),
            ("HSE_REQ_GET_SSPI_INFO", HSE_REQ_GET_SSPI_INFO, 1002),
            ("HSE_APPEND_LOG_PARAMETER", HSE_APPEND_LOG_PARAMETER, 1003),
            ("HSE_REQ_SEND_URL_EX", HSE_REQ_SEND_URL_EX, 1004),
            ("HSE_REQ_IO_COMPLETION", HSE_REQ_IO_COMPLETION, 1005),
            ("HSE_REQ_TRANSMIT_FILE", HSE_REQ_TRANSMIT_FILE, 1006),
            ("HSE_REQ_REFRESH_ISAPI_ACL", HSE_REQ_REFRESH_ISAPI_ACL, 1007),
            ("HSE_REQ_IS_KEEP_CONN", HSE_REQ_IS_KEEP_CONN, 1008),
            ("HSE_REQ_ASYNC_READ_CLIENT", HSE_REQ_ASYNC_READ_CLIENT, 1010),
            ("HSE_REQ_GET_IMPERSONATION_TOKEN", HSE_REQ_GET_IMPERSONATION_TOKEN, 1011),
            ("HSE_REQ_MAP_URL_TO_PATH_EX", HSE_REQ_MAP_URL_TO_PATH_EX, 1012),
            ("HSE_REQ_EXECUTE_CHILD", HSE_REQ_EXECUTE_CHILD, 1013),
            ("HSE_REQ_ABORTIVE_CLOSE", HSE_REQ_ABORTIVE_CLOSE, 1014),
            ("HSE_REQ_GET_CERT_INFO_EX", HSE_REQ_GET_CERT_INFO_EX, 1015),
            ("HSE_REQ_SEND_RESPONSE_HEADER_EX", HSE_REQ_SEND_RESPONSE_HEADER_EX, 1016),
            ("HSE_REQ_CLOSE_CONNECTION", HSE_REQ_CLOSE_CONNECTION, 1017),
            ("HSE_REQ_IS_CONNECTED", HSE_REQ_IS_CONNECTED, 1018),
            ("HSE_REQ_EXTENSION_TRIGGER", HSE_REQ_EXTENSION_TRIGGER, 1020),
            ("HSE_REQ_MAP_UNICODE_URL_TO_PATH", HSE_REQ_MAP_UNICODE_URL_TO_PATH, 1023),
            ("HSE_REQ_MAP_UNICODE_URL_TO_PATH_EX", HSE_REQ_MAP_UNICODE_URL_TO_PATH_EX, 1024),
            ("HSE_REQ_EXEC_UNICODE_URL", HSE_REQ_EXEC_UNICODE_URL, 1025),
            ("HSE_REQ_EXEC_URL", HSE_REQ_EXEC_URL, 1026),
            ("HSE_REQ_GET_EXEC_URL_STATUS", HSE_REQ_GET_EXEC_URL_STATUS, 1027),
            ("HSE_REQ_SEND_CUSTOM_ERROR", HSE_REQ_SEND_CUSTOM_ERROR, 1028),
            ("HSE_REQ_IS_IN_PROCESS", HSE_REQ_IS_IN_PROCESS, 1030),
            ("HSE_REQ_REPORT_UNHEALTHY", HSE_REQ_REPORT_UNHEALTHY, 1032),
            ("HSE_REQ_NORMALIZE_URL", HSE_REQ_NORMALIZE_URL, 1033),
            ("HSE_REQ_VECTOR_SEND", HSE_REQ_VECTOR_SEND, 1037),
            ("HSE_REQ_GET_ANONYMOUS_TOKEN", HSE_REQ_GET_ANONYMOUS_TOKEN, 1038),
            ("HSE_REQ_GET_CACHE_INVALIDATION_CALLBACK", HSE_REQ_GET_CACHE_INVALIDATION_CALLBACK, 1040),
            ("HSE_REQ_GET_UNICODE_ANONYMOUS_TOKEN", HSE_REQ_GET_UNICODE_ANONYMOUS_TOKEN, 1041),
            ("HSE_REQ_GET_TRACE_INFO", HSE_REQ_GET_TRACE_INFO, 1042),
            ("HSE_REQ_SET_FLUSH_FLAG", HSE_REQ_SET_FLUSH_FLAG, 1043),
            ("HSE_REQ_GET_TRACE_INFO_EX", HSE_REQ_GET_TRACE_INFO_EX, 1044),
            ("HSE_REQ_RAISE_TRACE_EVENT", HSE_REQ_RAISE_TRACE_EVENT, 1045),
            ("HSE_REQ_GET_CONFIG_OBJECT", HSE_REQ_GET_CONFIG_OBJECT, 1046),
            ("HSE_REQ_GET_WORKER_PROCESS_SETTINGS", HSE_REQ_GET_WORKER_PROCESS_SETTINGS, 1047),
            ("HSE_REQ_GET_PROTOCOL_MANAGER_CUSTOM_INTERFACE_CALLBACK",
             HSE_REQ_GET_PROTOCOL_MANAGER_CUSTOM_INTERFACE_CALLBACK, 1048),
            ("HSE_REQ_CANCEL_IO", HSE_REQ_CANCEL_IO, 1049),
            ("HSE_REQ_GET_CHANNEL_BINDING_TOKEN", HSE_REQ_GET_CHANNEL_BINDING_TOKEN, 1050),
        ]
        for (name, actual, expected) in codes {
            #expect(actual == expected, "\(name)")
        }
    }

    @Test("HSE_IO_*")
    func ioFlags() {
        #expect(HSE_IO_SYNC == 0x1)
        #expect(HSE_IO_ASYNC == 0x2)
        #expect(HSE_IO_DISCONNECT_AFTER_SEND == 0x4)
        #expect(HSE_IO_SEND_HEADERS == 0x8)
        #expect(HSE_IO_FINAL_SEND == 0x10)
        #expect(HSE_IO_CACHE_RESPONSE == 0x20)
        #expect(HSE_IO_TRY_SKIP_CUSTOM_ERRORS == 0x40)
        #expect(HSE_IO_NODELAY == 0x1000)
    }

    @Test("HSE_URL_FLAGS_*")
    func urlFlags() {
        #expect(HSE_URL_FLAGS_READ == 0x001)
        #expect(HSE_URL_FLAGS_WRITE == 0x002)
        #expect(HSE_URL_FLAGS_EXECUTE == 0x004)
        #expect(HSE_URL_FLAGS_SSL == 0x008)
        #expect(HSE_URL_FLAGS_DONT_CACHE == 0x010)
        #expect(HSE_URL_FLAGS_NEGO_CERT == 0x020)
        #expect(HSE_URL_FLAGS_REQUIRE_CERT == 0x040)
        #expect(HSE_URL_FLAGS_MAP_CERT == 0x080)
        #expect(HSE_URL_FLAGS_SSL128 == 0x100)
        #expect(HSE_URL_FLAGS_SCRIPT == 0x200)
        #expect(HSE_URL_FLAGS_MASK == 0x3FF)
    }

    @Test("Other small enums")
    func smallEnums() {
        #expect(HSE_APP_FLAG_IN_PROCESS == 0)
        #expect(HSE_APP_FLAG_ISOLATED_OOP == 1)
        #expect(HSE_APP_FLAG_POOLED_OOP == 2)
        #expect(HSE_VECTOR_ELEMENT_TYPE_MEMORY_BUFFER == 0)
        #expect(HSE_VECTOR_ELEMENT_TYPE_FILE_HANDLE == 1)
        #expect(HSE_EXEC_URL_NO_HEADERS == 0x02)
        #expect(HSE_EXEC_URL_HTTP_CACHE_ELIGIBLE == 0x80)
        #expect(DLL_PROCESS_DETACH == 0)
        #expect(DLL_PROCESS_ATTACH == 1)
        #expect(DLL_THREAD_ATTACH == 2)
        #expect(DLL_THREAD_DETACH == 3)
    }

    @Test("Win32 error numbers from winerror.h")
    func errorNumbers() {
        let errors: [(String, Int, Int)] = [
            ("ERROR_SUCCESS", ERROR_SUCCESS, 0),
            ("NO_ERROR", NO_ERROR, 0),
            ("ERROR_INVALID_FUNCTION", ERROR_INVALID_FUNCTION, 1),
            ("ERROR_FILE_NOT_FOUND", ERROR_FILE_NOT_FOUND, 2),
            ("ERROR_PATH_NOT_FOUND", ERROR_PATH_NOT_FOUND, 3),
            ("ERROR_ACCESS_DENIED", ERROR_ACCESS_DENIED, 5),
            ("ERROR_INVALID_HANDLE", ERROR_INVALID_HANDLE, 6),
            ("ERROR_NOT_ENOUGH_MEMORY", ERROR_NOT_ENOUGH_MEMORY, 8),
            ("ERROR_WRITE_FAULT", ERROR_WRITE_FAULT, 29),
            ("ERROR_READ_FAULT", ERROR_READ_FAULT, 30),
            ("ERROR_NOT_SUPPORTED", ERROR_NOT_SUPPORTED, 50),
            ("ERROR_NETNAME_DELETED", ERROR_NETNAME_DELETED, 64),
            ("ERROR_INVALID_PARAMETER", ERROR_INVALID_PARAMETER, 87),
            ("ERROR_BROKEN_PIPE", ERROR_BROKEN_PIPE, 109),
            ("ERROR_CALL_NOT_IMPLEMENTED", ERROR_CALL_NOT_IMPLEMENTED, 120),
            ("ERROR_INSUFFICIENT_BUFFER", ERROR_INSUFFICIENT_BUFFER, 122),
            ("ERROR_MOD_NOT_FOUND", ERROR_MOD_NOT_FOUND, 126),
            ("ERROR_PROC_NOT_FOUND", ERROR_PROC_NOT_FOUND, 127),
            ("ERROR_NO_DATA", ERROR_NO_DATA, 232),
            ("ERROR_MORE_DATA", ERROR_MORE_DATA, 234),
            ("ERROR_NO_MORE_ITEMS", ERROR_NO_MORE_ITEMS, 259),
            ("ERROR_OPERATION_ABORTED", ERROR_OPERATION_ABORTED, 995),
            ("ERROR_IO_PENDING", ERROR_IO_PENDING, 997),
            ("ERROR_DLL_INIT_FAILED", ERROR_DLL_INIT_FAILED, 1114),
            ("ERROR_NOT_FOUND", ERROR_NOT_FOUND, 1168),
            ("ERROR_CONNECTION_ABORTED", ERROR_CONNECTION_ABORTED, 1236),
            ("ERROR_INVALID_INDEX", ERROR_INVALID_INDEX, 1413),
            ("ERROR_TIMEOUT", ERROR_TIMEOUT, 1460),
            ("WSAEINVAL", WSAEINVAL, 10022),
        ]
        for (name, actual, expected) in errors {
            #expect(actual == expected, "\(name)")
        }
    }
}

@Suite("GetLastError / SetLastError / isapi_fail")
struct LastErrorTests {

    @Test("SetLastError round-trips on the calling thread")
    func roundTrip() {
        SetLastError(DWORD(ERROR_INSUFFICIENT_BUFFER))
        #expect(GetLastError() == 122)
        SetLastError(DWORD(ERROR_SUCCESS))
        #expect(GetLastError() == 0)
        SetLastError(0xFFFF_FFFF)
        #expect(GetLastError() == 0xFFFF_FFFF)
    }

    @Test("The last error is per thread")
    func perThread() {
        SetLastError(1234)
        let (initial, afterSet) = onNewThread { () -> (DWORD, DWORD) in
            let initial = GetLastError()
            SetLastError(99)
            return (initial, GetLastError())
        }
        #expect(initial == 0, "a new thread starts with no last error")
        #expect(afterSet == 99)
        #expect(GetLastError() == 1234, "another thread's SetLastError is not seen here")
    }

    @Test("isapi_fail sets the last error and errno to the Windows number", arguments: [
        DWORD(ERROR_INVALID_PARAMETER), DWORD(ERROR_INSUFFICIENT_BUFFER),
        DWORD(ERROR_INVALID_INDEX), DWORD(ERROR_READ_FAULT),
    ])
    func fail(_ code: DWORD) {
        SetLastError(0)
        errno = 0
        isapi_fail(code)
        let savedErrno = errno
        let lastError = GetLastError()
        #expect(lastError == code)
        #expect(savedErrno == Int32(code))
    }

    @Test("isapi_fail(87) leaves GetLastError() == 87 and errno == 87, on this thread only")
    func fail87() {
        let (lastError, savedErrno) = onNewThread { () -> (DWORD, Int32) in
            isapi_fail(87)
            let e = errno
            return (GetLastError(), e)
        }
        #expect(lastError == 87)
        #expect(savedErrno == 87)
        let elsewhere = onNewThread { GetLastError() }
        #expect(elsewhere == 0)
    }
}

@Suite("An extension builds against the SDK alone")
struct SDKCompileTests {

    static let drivers: [CompilerInvocation] = [
        CompilerInvocation(driver: "cc", flags: ["-std=c11"]),
        CompilerInvocation(driver: "cc", flags: ["-std=c99", "-pedantic"]),
        CompilerInvocation(driver: "c++", flags: ["-x", "c++"]),
    ]

    static let clangDrivers: [CompilerInvocation] = [
        CompilerInvocation(driver: "clang", flags: ["-std=c11", "-pedantic"]),
        CompilerInvocation(driver: "clang++", flags: ["-x", "c++", "-pedantic"]),
    ]

    @Test("cc / c++ -Wall -Wextra -Werror -shared -fPIC", arguments: drivers)
    func compiles(_ invocation: CompilerInvocation) throws {
        try check(invocation)
    }

    @Test("clang / clang++ -Wall -Wextra -Werror -pedantic",
          .enabled(if: toolOnPath("clang") && toolOnPath("clang++")),
          arguments: clangDrivers)
    func compilesWithClang(_ invocation: CompilerInvocation) throws {
        try check(invocation)
    }

    private func check(_ invocation: CompilerInvocation) throws {
        let root = repositoryRoot()
        let include = root.appendingPathComponent("Sources/CISAPI/include").path
        let source = root.appendingPathComponent("Tests/CISAPITests/Fixtures/sdk_compile_check.c").path
        let tmp = FileManager.default.temporaryDirectory
            .appendingPathComponent("cisapi-sdk-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        let output = tmp.appendingPathComponent("check.so").path

        let args = [invocation.driver] + invocation.flags + [
            "-Wall", "-Wextra", "-Werror", "-shared", "-fPIC",
            "-I", include, source, "-o", output,
        ]
        let (status, log) = try run(args)
        #expect(status == 0, "\(args.joined(separator: " ")) failed:\n\(log)")
        #expect(FileManager.default.fileExists(atPath: output))
    }
}

// MARK: - Helpers

struct CompilerInvocation: Sendable, CustomTestStringConvertible {
    let driver: String
    let flags: [String]
    var testDescription: String { ([driver] + flags).joined(separator: " ") }
}

private final class ResultBox<T>: @unchecked Sendable {
    var value: T?
}

/// Runs `body` on a fresh OS thread and waits for its result.
private func onNewThread<T: Sendable>(_ body: @escaping @Sendable () -> T) -> T {
    let box = ResultBox<T>()
    let done = DispatchSemaphore(value: 0)
    let thread = Thread {
        box.value = body()
        done.signal()
    }
    thread.start()
    done.wait()
    return box.value!
}

/// The package root: the nearest directory above this file holding Package.swift.
func repositoryRoot(file: String = #filePath) -> URL {
    var dir = URL(fileURLWithPath: file).deletingLastPathComponent()
    while dir.path != "/" {
        if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) {
            return dir
        }
        dir.deleteLastPathComponent()
    }
    fatalError("no Package.swift above \(file)")
}

func toolOnPath(_ name: String) -> Bool {
    (try? run(["sh", "-c", "command -v \(name)"]).status) == 0
}

/// Runs a command through /usr/bin/env and returns its exit status and combined output.
func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}
