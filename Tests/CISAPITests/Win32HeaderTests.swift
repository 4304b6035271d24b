import CISAPI
import Foundation
import Testing

// isapi_win32.h's edge cases, called directly (the header is part of the CISAPI module,
// so Swift sees its static inline functions). Tests/Win32Port/win32port.c checks the
// common cases of every call end to end under isapid.

@Suite("isapi_win32.h: edge cases")
final class Win32HeaderTests {
    /// The directories `iniFile` made, removed when the test ends, passed or failed (one
    /// instance per test).
    private var directories: [URL] = []

    deinit {
        for directory in directories { try? FileManager.default.removeItem(at: directory) }
    }

    /// Writes `text` as an .ini file in a fresh directory; returns its absolute path.
    private func iniFile(_ text: String) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("win32-ini-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        directories.append(directory)
        let file = directory.appendingPathComponent("test.ini")
        try Data(text.utf8).write(to: file)
        return file.path
    }

    /// GetPrivateProfileStringA into a `size`-byte buffer: the return value and the bytes.
    private func profile(_ section: String?, _ key: String?, _ defaultValue: String?, size: Int,
                         file: String) -> (DWORD, [UInt8]) {
        var buffer = [CChar](repeating: 0x23, count: max(size, 1))
        let result = GetPrivateProfileStringA(section, key, defaultValue, &buffer, DWORD(size), file)
        return (result, buffer.prefix(size).map { UInt8(bitPattern: $0) })
    }

    private let sample = """
        orphan=before any section
        [ Spaced Name ]
        key = first
        KEY = second
        novalue
        [Empty]
        [Spaced Name]
        key = third section

        """

    @Test("Keys before any section are not in one; a section's name is trimmed; the first key wins")
    func lookups() throws {
        let file = try iniFile(sample)
        #expect(Array(profile("spaced name", "Key", nil, size: 32, file: file).1.prefix(6)) == Array("first\0".utf8))
        let (length, bytes) = profile("", "orphan", "d", size: 8, file: file)
        #expect(length == 1 && Array(bytes.prefix(2)) == [UInt8(ascii: "d"), 0])
        #expect(GetPrivateProfileIntA("Spaced Name", "key", 9, file) == 0, "text that is not a number is 0")
    }

    @Test("A UTF-8 BOM before the first section is skipped; CRLF line ends are fine")
    func byteOrderMarkAndCRLF() throws {
        let file = try iniFile("\u{FEFF}[First]\r\nkey=value\r\n")
        let (length, bytes) = profile("first", "KEY", nil, size: 16, file: file)
        #expect(length == 5 && Array(bytes.prefix(6)) == Array("value\0".utf8))
    }

    @Test("Key lists: lines without '=' are keys too; an empty or missing section lists nothing")
    func keyLists() throws {
        let file = try iniFile(sample)
        let (length, bytes) = profile("Spaced Name", nil, nil, size: 32, file: file)
        #expect(length == 16)
        #expect(Array(bytes.prefix(17)) == Array("key\0KEY\0novalue\0\0".utf8))
        SetLastError(0)
        #expect(profile("Empty", nil, nil, size: 8, file: file).0 == 0)
        #expect(GetLastError() == 0, "an existing, empty section is not an error")
        #expect(Array(profile("Absent", nil, nil, size: 8, file: file).1.prefix(2)) == [0, 0])
        #expect(GetLastError() == DWORD(ERROR_FILE_NOT_FOUND))
    }

    @Test("Tiny buffers: nothing is written past nSize and lists never return less than 0",
          arguments: [0, 1, 2, 3])
    func tinyBuffers(_ size: Int) throws {
        let file = try iniFile(sample)
        var buffer = [CChar](repeating: 0x23, count: 8)
        let list = GetPrivateProfileStringA(nil, nil, nil, &buffer, DWORD(size), file)
        #expect(list == (size >= 2 ? DWORD(size - 2) : 0))
        #expect(buffer[size...].allSatisfy { $0 == 0x23 })
        if size > 0 { #expect(buffer[size - 1] == 0) }
        buffer = [CChar](repeating: 0x23, count: 8)
        let value = GetPrivateProfileStringA("Spaced Name", "key", nil, &buffer, DWORD(size), file)
        #expect(value == (size >= 1 ? DWORD(size - 1) : 0))
        #expect(buffer[size...].allSatisfy { $0 == 0x23 })
    }

    @Test("lstrcpynA: n = 0 writes nothing, n = 1 an empty string")
    func lstrcpyn() {
        var buffer: [CChar] = [0x41, 0x42, 0]
        #expect(lstrcpynA(&buffer, "xyz", 0) != nil)
        #expect(buffer == [0x41, 0x42, 0])
        _ = lstrcpynA(&buffer, "xyz", 1)
        #expect(buffer[0] == 0 && buffer[1] == 0x42)
        #expect(lstrcpyA(nil, "x") == nil)
    }

    /// wvsprintfA with Swift's va_list.
    private func wsprintf(_ format: String, _ arguments: [CVarArg]) -> (Int32, String) {
        var buffer = [CChar](repeating: 0, count: 1100)
        let length = withVaList(arguments) { wvsprintfA(&buffer, format, $0) }
        return (length, String(cString: buffer))
    }

    @Test("wvsprintfA: h, #, -, precision, unknown types, NULL strings")
    func wsprintfEdges() {
        let ab = strdup("ab")!, xyz = strdup("xyz")!
        defer {
            free(ab)
            free(xyz)
        }
        #expect(wsprintf("%hd|%hu", [Int32(70000), Int32(-1)]).1 == "4464|65535")
        #expect(wsprintf("%#x|%-5s|%5.1s|%y|%lc", [UInt32(255), ab, xyz, Int32(0x263A)]).1
                == "0xff|ab   |    x|y|☺")
        #expect(wsprintf("%s|%S", [Int(0), Int(0)]).1 == "(null)|(null)", "NULL pointers")
        #expect(wsprintf("%lu|%i", [UInt32.max, Int32.min]).1 == "4294967295|-2147483648")
    }

    @Test("_vsnprintf: Microsoft's truncation, and a fit that leaves room for the NUL")
    func vsnprintfTruncation() {
        var buffer = [CChar](repeating: 0x23, count: 8)
        #expect(withVaList([Int32(12345)]) { _vsnprintf(&buffer, 5, "%d", $0) } == 5)
        #expect(buffer[5] == 0x23, "no NUL on an exact fit")
        #expect(withVaList([Int32(1234)]) { _vsnprintf(&buffer, 5, "%d", $0) } == 4)
        #expect(buffer[4] == 0)
        #expect(withVaList([Int32(0)]) { _vsnprintf(&buffer, 0, "x%d", $0) } == -1)
    }

    @Test("InterlockedCompareExchange returns the initial value whether or not it swapped")
    func compareExchange() {
        var value: LONG = 3
        #expect(InterlockedCompareExchange(&value, 10, 4) == 3)
        #expect(value == 3)
        #expect(InterlockedCompareExchange(&value, 10, 3) == 3)
        #expect(value == 10)
        #expect(InterlockedExchangeAdd(&value, -15) == 10)
        #expect(InterlockedIncrement(&value) == -4)
    }
}
