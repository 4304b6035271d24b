import CISAPI
import Foundation
import Testing
@testable import ISAPIHost

/// Small WriteClients are held in the session (`SessionOutput`) and handed to the
/// connection in pieces: in order, before anything the bytes must precede, at the end,
/// and by the flush timer while the extension is silent.
@Suite struct HeldWritesTests {
    typealias ECB = ExtensionSessionTests.ECB

    static func headEx(_ ecb: ECB) -> BOOL {
        var info = HSE_SEND_HEADER_EX_INFO()
        let status = strdup("200 OK")!, headers = strdup("Content-Type: text/plain\r\n\r\n")!
        defer { free(status); free(headers) }
        info.pszStatus = UnsafePointer(status)
        info.pszHeader = UnsafePointer(headers)
        info.cchStatus = 7
        info.cchHeader = DWORD(strlen(headers))
        info.fKeepConn = 1
        return ecb.pointee.ServerSupportFunction!(ecb.pointee.ConnID, 1016, &info, nil, nil)
    }

    static func eventually(timeout: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            usleep(5_000)
        }
        return condition()
    }

    @Test func twentyThousandOneByteWritesArriveInOrderInAFewHandOvers() {
        let body = (0..<20_000).map { UInt8(ascii: "a") + UInt8($0 % 26) }
        let connection = ExtensionSessionTests.run { ecb in
            #expect(Self.headEx(ecb) == 1)
            for byte in body {
                var copy = byte
                var size: DWORD = 1
                #expect(ecb.pointee.WriteClient!(ecb.pointee.ConnID, &copy, &size, DWORD(HSE_IO_SYNC)) == 1)
            }
            return DWORD(HSE_STATUS_SUCCESS)
        }
        #expect(connection.sent == body)
        // 8 KiB at a time (and perhaps a timer round or two), not 20,000 hand-overs.
        #expect(connection.bodyHandOvers <= 10, "\(connection.bodyHandOvers) hand-overs")
    }

    /// Writes of every size the inline copy takes (1 to 64 bytes: a byte, eight-byte
    /// moves and a rest), falling at offsets in the ring that move from round to round,
    /// some across its end, and the ring filled and handed over three times.
    @Test func smallWritesOfEverySizeArriveWholeWhereverTheyFallInTheRing() {
        var writes: [[UInt8]] = []
        var total = 0
        var next: UInt8 = 0
        while total < 3 * SessionOutput.capacity + 100 {
            for size in 1...64 {
                writes.append((0..<size).map { _ in next &+= 37; return next })
                total += size
            }
            // A lone byte shifts where the next round of sizes falls in the ring.
            writes.append([next &+ 1])
            total += 1
        }
        let connection = ExtensionSessionTests.run { ecb in
            #expect(Self.headEx(ecb) == 1)
            for write in writes {
                var copy = write
                var size = DWORD(copy.count)
                #expect(ecb.pointee.WriteClient!(ecb.pointee.ConnID, &copy, &size, DWORD(HSE_IO_SYNC)) == 1)
            }
            return DWORD(HSE_STATUS_SUCCESS)
        }
        // Compared here, not by #expect on the arrays: a failure names the first byte
        // that differs instead of printing 25,000 of them.
        let expected = writes.flatMap { $0 }, sent = connection.sent
        let firstDifference = (0..<min(sent.count, expected.count)).first { sent[$0] != expected[$0] }
            ?? min(sent.count, expected.count)
        #expect(sent.count == expected.count && firstDifference == expected.count,
                "\(sent.count) bytes sent for \(expected.count); the first difference at byte \(firstDifference)")
    }

    @Test func aLargeWriteFollowsWhatWasHeld() {
        let large = String(repeating: "L", count: 20_000)
        let connection = ExtensionSessionTests.run { ecb in
            #expect(Self.headEx(ecb) == 1)
            #expect(ExtensionSessionTests.write(ecb, "small ") == 1)
            #expect(ExtensionSessionTests.write(ecb, large) == 1)
            #expect(ExtensionSessionTests.write(ecb, " end") == 1)
            return DWORD(HSE_STATUS_SUCCESS)
        }
        #expect(connection.sentText == "small " + large + " end")
    }

    @Test func heldBytesGoOutBeforeReadClient() {
        let connection = FakeConnection(body: Array("request body".utf8))
        var settings = ISAPISettings()
        settings.readAheadBuffer = 0
        _ = ExtensionSessionTests.run(.make(method: "POST", contentLength: 12), connection, settings: settings) { ecb in
            #expect(Self.headEx(ecb) == 1)
            #expect(ExtensionSessionTests.write(ecb, "go on") == 1)
            var buffer = [UInt8](repeating: 0, count: 12)
            var size = DWORD(12)
            let ok = buffer.withUnsafeMutableBytes { ecb.pointee.ReadClient!(ecb.pointee.ConnID, $0.baseAddress, &size) }
            #expect(ok == 1 && size == 12)
            return DWORD(HSE_STATUS_SUCCESS)
        }
        #expect(connection.sentBeforeFirstRead == "go on")
    }

    /// An extension that writes a little and then waits (here: for the client to have
    /// the bytes) gets them out by the flush timer.
    @Test func theTimerHandsOverWhileTheExtensionIsSilent() {
        let connection = FakeConnection()
        var arrived = false
        _ = ExtensionSessionTests.run(.make(), connection) { ecb in
            #expect(Self.headEx(ecb) == 1)
            #expect(ExtensionSessionTests.write(ecb, "progress") == 1)
            arrived = Self.eventually(timeout: 10) { connection.sentText == "progress" }
            return DWORD(HSE_STATUS_SUCCESS)
        }
        #expect(arrived, "the held bytes never reached the connection while the extension waited")
        #expect(connection.sentText == "progress")
    }

    @Test func writesFromAnotherThreadKeepTheirPlace() {
        let connection = ExtensionSessionTests.run { ecb in
            #expect(Self.headEx(ecb) == 1)
            #expect(ExtensionSessionTests.write(ecb, "1") == 1)
            let box = UnsafeSendable(ecb)
            let finished = DispatchSemaphore(value: 0)
            Thread.detachNewThread {
                _ = ExtensionSessionTests.write(box.value, "2")
                finished.signal()
            }
            finished.wait()
            #expect(ExtensionSessionTests.write(ecb, "3") == 1)
            return DWORD(HSE_STATUS_SUCCESS)
        }
        #expect(connection.sentText == "123")
    }

    @Test func aClientThatLeftFailsAWriteWithinOneBuffer() {
        let connection = FakeConnection()
        var failedAfter = 0
        var error: DWORD = 0
        _ = ExtensionSessionTests.run(.make(), connection) { ecb in
            #expect(Self.headEx(ecb) == 1)
            connection.connected = false
            for attempt in 1...(SessionOutput.capacity + 2) {
                if ExtensionSessionTests.write(ecb, "x") == 0 {
                    failedAfter = attempt
                    error = GetLastError()
                    break
                }
            }
            return DWORD(HSE_STATUS_SUCCESS)
        }
        #expect(failedAfter > 0 && failedAfter <= SessionOutput.capacity + 1, "failed after \(failedAfter)")
        #expect(error == 64)
    }

    @Test func doneWithSessionEndsTheFastPathToo() {
        var settings = ISAPISettings()
        settings.fakeAsync = true
        var afterDone: BOOL = 1
        var error: DWORD = 0
        let connection = ExtensionSessionTests.run(settings: settings) { ecb in
            #expect(Self.headEx(ecb) == 1)
            #expect(ExtensionSessionTests.write(ecb, "before") == 1)
            #expect(ecb.pointee.ServerSupportFunction!(ecb.pointee.ConnID, 4, nil, nil, nil) == 1)
            afterDone = ExtensionSessionTests.write(ecb, "after")
            error = GetLastError()
            return DWORD(HSE_STATUS_PENDING)
        }
        #expect(afterDone == 0 && error == 87)
        #expect(connection.sentText == "before")
    }
}
