import CISAPI
import Foundation
import Logging
import Testing
@testable import ISAPIHost

/// The ECB surface, driven through the real callbacks the way an extension calls them.
@Suite struct ExtensionSessionTests {
    typealias ECB = UnsafeMutablePointer<EXTENSION_CONTROL_BLOCK>

    static func run(_ request: ISAPIRequest = .make(), _ connection: FakeConnection = FakeConnection(),
                    settings: ISAPISettings = ISAPISettings(), _ proc: (ECB) -> DWORD) -> FakeConnection {
        var logger = Logger(label: "isapi")
        logger.logLevel = .critical
        ExtensionRunner.run(proc, extensionPath: "/srv/x.dll", request: request, connection: connection,
                            settings: settings, logger: logger)
        return connection
    }

    static func write(_ ecb: ECB, _ text: String, flags: DWORD = 0) -> BOOL {
        var bytes = Array(text.utf8)
        var size = DWORD(bytes.count)
        return bytes.withUnsafeMutableBytes { ecb.pointee.WriteClient!(ecb.pointee.ConnID, $0.baseAddress, &size, flags) }
    }

    static func variable(_ ecb: ECB, _ name: String, capacity: Int = 4096) -> (BOOL, String, DWORD, DWORD) {
        var buffer = [UInt8](repeating: 0xAA, count: capacity)
        var size = DWORD(capacity)
        let ok = name.withCString { cName in
            buffer.withUnsafeMutableBytes { ecb.pointee.GetServerVariable!(ecb.pointee.ConnID, UnsafeMutablePointer(mutating: cName), $0.baseAddress, &size) }
        }
        let text = ok != 0 ? String(cString: buffer.map { CChar(bitPattern: $0) } ) : ""
        return (ok, text, size, GetLastError())
    }

    @Test func helloWithSendResponseHeaderEx() {
        let connection = Self.run { ecb in
            var info = HSE_SEND_HEADER_EX_INFO()
            let status = strdup("200 OK")!, headers = strdup("Content-Type: text/plain\r\n\r\n")!
            defer { free(status); free(headers) }
            info.pszStatus = UnsafePointer(status)
            info.pszHeader = UnsafePointer(headers)
            info.cchStatus = 7  // strlen + 1, as real extensions pass it
            info.cchHeader = DWORD(strlen(headers))
            info.fKeepConn = 1
            _ = ecb.pointee.ServerSupportFunction!(ecb.pointee.ConnID, 1016, &info, nil, nil)
            _ = Self.write(ecb, "Hello")
            return DWORD(HSE_STATUS_SUCCESS)
        }
        #expect(connection.head?.status == 200)
        #expect(connection.head?.reason == "OK")
        #expect(connection.head?.headers.first?.value == "text/plain")
        #expect(connection.sentText == "Hello")
        #expect(connection.finished == false)
    }

    @Test func ecbFieldsAreNeverNullAndVersionIsTwoZero() {
        _ = Self.run(.make(method: "POST", query: "", pathInfo: "")) { ecb in
            #expect(ecb.pointee.cbSize == 192)
            #expect(ecb.pointee.dwVersion == 0x0002_0000)
            #expect(ecb.pointee.lpszPathInfo != nil && ecb.pointee.lpszPathTranslated != nil)
            #expect(ecb.pointee.lpszContentType != nil && ecb.pointee.lpszQueryString != nil)
            #expect(String(cString: ecb.pointee.lpszMethod) == "POST")
            #expect(ecb.pointee.cbTotalBytes == 0 && ecb.pointee.cbAvailable == 0)
            return DWORD(HSE_STATUS_SUCCESS)
        }
    }

    @Test func firstWriteClientHeadOrPlainBody() {
        let headed = Self.run { ecb in
            _ = Self.write(ecb, "Status: 201 Made\r\nX-A: 1\r\n\r\nbody")
            return 1
        }
        #expect(headed.head?.status == 201)
        #expect(headed.head?.headers.map(\.name) == ["X-A"])
        #expect(headed.sentText == "body")
        let plain = Self.run { ecb in
            _ = Self.write(ecb, "<html>plain</html>")
            return 1
        }
        #expect(plain.head?.status == 200)
        #expect(plain.sentText == "<html>plain</html>")
    }

    @Test func responseSplittingIsRefused() {
        let connection = Self.run { ecb in
            #expect(Self.write(ecb, "X-Bad: a\rSet-Cookie: evil=1\r\n\r\n") == 0)
            #expect(GetLastError() == 87)
            return 1
        }
        #expect(connection.head == nil)
        #expect(connection.respondedStatus == 500)
    }

    @Test func writeClientFlags() {
        _ = Self.run { ecb in
            #expect(Self.write(ecb, "a", flags: DWORD(HSE_IO_SYNC)) == 1)
            #expect(Self.write(ecb, "b", flags: DWORD(HSE_IO_ASYNC)) == 0)
            #expect(GetLastError() == 87)
            #expect(errno == 87)
            #expect(Self.write(ecb, "c", flags: 0x40) == 0)
            return 1
        }
    }

    @Test func serverVariables() {
        let request = ISAPIRequest.make(
            query: "q=1", pathInfo: "/x/y",
            variables: [("HTTP_HOST", "h.test"), ("HTTP_USER_AGENT", "ua"), ("QUERY_STRING", "q=1"), ("REMOTE_ADDR", "127.0.0.1")],
            headers: [("Host", "h.test"), ("User-Agent", "ua")])
        _ = Self.run(request) { ecb in
            #expect(Self.variable(ecb, "ALL_HTTP").1 == "HTTP_HOST:h.test\r\nHTTP_USER_AGENT:ua\r\n")
            #expect(Self.variable(ecb, "ALL_RAW").1 == "Host: h.test\r\nUser-Agent: ua\r\n")
            #expect(Self.variable(ecb, "query_string").1 == "q=1")
            #expect(Self.variable(ecb, "HEADER_User-Agent").1 == "ua")
            #expect(Self.variable(ecb, "header_USER-agent").1 == "ua")
            #expect(Self.variable(ecb, "Http_User_Agent").1 == "ua")
            let unset = Self.variable(ecb, "AUTH_TYPE")
            #expect(unset.0 == 1 && unset.1 == "" && unset.2 == 1)
            let unknown = Self.variable(ecb, "NO_SUCH_THING")
            #expect(unknown.0 == 0 && unknown.3 == 1413)
            let small = Self.variable(ecb, "REMOTE_ADDR", capacity: 4)
            #expect(small.0 == 0 && small.3 == 122 && small.2 == 10)
            let exact = Self.variable(ecb, "REMOTE_ADDR", capacity: 10)
            #expect(exact.0 == 1 && exact.1 == "127.0.0.1" && exact.2 == 10)
            return 1
        }
    }

    @Test func readAheadThenReadClientGetsTheRestByteExact() {
        let body = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        var received: [UInt8] = []
        _ = Self.run(.make(method: "POST", contentLength: Int64(body.count)), FakeConnection(body: body)) { ecb in
            #expect(ecb.pointee.cbTotalBytes == 200_000)
            #expect(ecb.pointee.cbAvailable == 49_152)
            #expect(ecb.pointee.lpbData[49_152] == 0)
            received += UnsafeBufferPointer(start: ecb.pointee.lpbData, count: Int(ecb.pointee.cbAvailable))
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                var size = DWORD(buffer.count)
                let ok = buffer.withUnsafeMutableBytes { ecb.pointee.ReadClient!(ecb.pointee.ConnID, $0.baseAddress, &size) }
                #expect(ok == 1)
                if size == 0 { break }
                // ReadClient fills the buffer unless the body ends.
                #expect(Int(size) == buffer.count || received.count + Int(size) == body.count)
                received += buffer[0..<Int(size)]
            }
            return 1
        }
        #expect(received == body)
    }

    @Test func chunkedBodyHasUnknownTotal() {
        _ = Self.run(.make(method: "POST", chunked: true), FakeConnection(body: Array("abc".utf8))) { ecb in
            #expect(ecb.pointee.cbTotalBytes == 0xFFFF_FFFF)
            #expect(ecb.pointee.cbAvailable == 3)
            return 1
        }
    }

    @Test func readFailureIsReadFault() {
        let connection = FakeConnection(body: [1, 2, 3])
        var settings = ISAPISettings()
        settings.readAheadBuffer = 0
        _ = Self.run(.make(method: "POST", contentLength: 3), connection, settings: settings) { ecb in
            connection.failReads = true
            var buffer = [UInt8](repeating: 0, count: 8)
            var size = DWORD(8)
            let ok = buffer.withUnsafeMutableBytes { ecb.pointee.ReadClient!(ecb.pointee.ConnID, $0.baseAddress, &size) }
            #expect(ok == 0 && GetLastError() == 30)
            return 1
        }
    }

    @Test func unsupportedCodesAndBadConnIDs() {
        var stale: HCONN?
        _ = Self.run { ecb in
            stale = ecb.pointee.ConnID
            #expect(ecb.pointee.ServerSupportFunction!(ecb.pointee.ConnID, 1026, nil, nil, nil) == 0)
            #expect(GetLastError() == 87 && errno == 87)
            #expect(ecb.pointee.ServerSupportFunction!(ecb.pointee.ConnID, 4, nil, nil, nil) == 0)
            #expect(ecb.pointee.ServerSupportFunction!(UnsafeMutableRawPointer(bitPattern: 0xdead), 1018, nil, nil, nil) == 0)
            #expect(GetLastError() == 87)
            #expect(ecb.pointee.GetServerVariable!(ecb.pointee.ConnID, nil, nil, nil) == 0)
            return 1
        }
        // After the request: the ConnID is refused, not trusted.
        var size = DWORD(1)
        #expect(ExtensionSessionTests.callWrite(stale, &size) == 0)
        #expect(GetLastError() == 87)
    }

    static func callWrite(_ connID: HCONN?, _ size: inout DWORD) -> BOOL {
        var byte: UInt8 = 65
        return ECBCallbacks.writeClient(connID, &byte, &size, 0)
    }

    @Test func redirectsAndMapping() {
        let connection = FakeConnection()
        connection.mappings["/docs"] = ("/srv/docs", true)
        _ = Self.run(.make(), connection) { ecb in
            var small = [UInt8](repeating: 0, count: 4)
            var url = Array("/docs".utf8) + [0] + [UInt8](repeating: 0, count: 4)
            var size = DWORD(url.count)
            var ok = url.withUnsafeMutableBytes { ecb.pointee.ServerSupportFunction!(ecb.pointee.ConnID, 1001, $0.baseAddress, &size, nil) }
            #expect(ok == 0 && GetLastError() == 122 && size == 11)
            url = Array("/docs".utf8) + [0] + [UInt8](repeating: 0, count: 20)
            size = DWORD(url.count)
            ok = url.withUnsafeMutableBytes { ecb.pointee.ServerSupportFunction!(ecb.pointee.ConnID, 1001, $0.baseAddress, &size, nil) }
            #expect(ok == 1 && String(cString: url.map { CChar(bitPattern: $0) }) == "/srv/docs/" && size == 11)
            small[0] = 0
            let target = strdup("http://elsewhere/x")!
            defer { free(target) }
            #expect(ecb.pointee.ServerSupportFunction!(ecb.pointee.ConnID, 1, target, nil, nil) == 1)
            return 1
        }
        #expect(connection.redirectedTo == "http://elsewhere/x")
        #expect(connection.head == nil && connection.respondedStatus == nil)
    }

    @Test(arguments: [(DWORD(HSE_STATUS_ERROR), 500), (99, 500)] as [(DWORD, Int)])
    func failingReturnCodesGive500(_ code: DWORD, _ status: Int) {
        let connection = Self.run { _ in code }
        #expect(connection.respondedStatus == status)
    }

    @Test func statusCodeWithoutOutputUsesTheServersPage() {
        let connection = Self.run { ecb in
            ecb.pointee.dwHttpStatusCode = 404
            return 1
        }
        #expect(connection.respondedStatus == 404)
    }

    @Test func pendingWaitsForDoneWithSessionUnderFakeAsync() {
        var settings = ISAPISettings()
        settings.fakeAsync = true
        let connection = Self.run(settings: settings) { ecb in
            let box = UnsafeSendable(ecb)
            Thread.detachNewThread {
                Thread.sleep(forTimeInterval: 0.05)
                _ = Self.write(box.value, "late")
                _ = box.value.pointee.ServerSupportFunction!(box.value.pointee.ConnID, 4, nil, nil, nil)
            }
            return DWORD(HSE_STATUS_PENDING)
        }
        #expect(connection.sentText == "late")
        #expect(connection.finished == false)
    }

    @Test func transmitFileSendsHeadRangeAndTail() throws {
        let path = NSTemporaryDirectory() + "isapi-tf-" + UUID().uuidString
        try "0123456789".write(toFile: path, atomically: true, encoding: .utf8)
        defer { unlink(path) }
        let fd = open(path, O_RDONLY)
        defer { close(fd) }
        let connection = Self.run { ecb in
            var info = HSE_TF_INFO()
            let status = strdup("200 OK")!, head = strdup("Content-Type: text/plain\r\n\r\n")!, tail = strdup("!")!
            defer { free(status); free(head); free(tail) }
            info.hFile = UnsafeMutableRawPointer(bitPattern: Int(fd))
            info.pszStatusCode = UnsafePointer(status)
            info.pHead = UnsafeMutableRawPointer(head)
            info.HeadLength = DWORD(strlen(head))
            info.pTail = UnsafeMutableRawPointer(tail)
            info.TailLength = 1
            info.Offset = 2
            info.BytesToWrite = 5
            info.dwFlags = DWORD(HSE_IO_SEND_HEADERS)
            #expect(ecb.pointee.ServerSupportFunction!(ecb.pointee.ConnID, 1006, &info, nil, nil) == 1)
            info.dwFlags = DWORD(HSE_IO_ASYNC)
            #expect(ecb.pointee.ServerSupportFunction!(ecb.pointee.ConnID, 1006, &info, nil, nil) == 0)
            #expect(GetLastError() == 87)
            return 1
        }
        #expect(connection.head?.headers.first?.value == "text/plain")
        #expect(connection.sentText == "23456!")
    }

    @Test func pendingWithoutFakeAsyncIs500() {
        let connection = Self.run { _ in DWORD(HSE_STATUS_PENDING) }
        #expect(connection.respondedStatus == 500)
    }
}

struct UnsafeSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
