import Foundation
import Testing

// The opt-in isapi_win32.h compiles cleanly wherever httpext.h does (given POSIX.1-2008),
// and says so in one #error where it cannot.

@Suite("isapi_win32.h compiles with the SDK alone")
struct Win32HeaderCompileTests {
    /// Tests/Win32Port/win32port.c uses every call of the header (and includes it twice).
    static let gccModes = [
        ["cc", "-std=gnu99"], ["cc", "-std=gnu11"], ["cc", "-std=c11", "-D_POSIX_C_SOURCE=200809L", "-pedantic"],
        ["cc", "-include", "httpfilt.h"], ["c++", "-x", "c++"], ["c++", "-x", "c++", "-std=c++11", "-pedantic"],
        ["cc", "-O2", "-D_FORTIFY_SOURCE=2", "-Wformat=2", "-Wshadow"],
    ]
    static let clangModes = [
        ["clang", "-pedantic"], ["clang", "-std=c99", "-D_POSIX_C_SOURCE=200809L", "-pedantic"],
        ["clang++", "-x", "c++", "-pedantic"], ["clang", "-O2", "-Wformat=2", "-Wshadow"],
    ]

    @Test("gcc / g++ -Wall -Wextra -Werror", arguments: gccModes)
    func gcc(_ command: [String]) throws {
        let (status, log) = try compile(command)
        #expect(status == 0, "\(command.joined(separator: " ")):\n\(log)")
    }

    @Test("clang / clang++ -Wall -Wextra -Werror", .enabled(if: toolOnPath("clang") && toolOnPath("clang++")),
          arguments: clangModes)
    func clang(_ command: [String]) throws {
        let (status, log) = try compile(command)
        #expect(status == 0, "\(command.joined(separator: " ")):\n\(log)")
    }

    @Test("Strict C without POSIX.1-2008 gets one clear error naming the fix")
    func strictModeError() throws {
        let (status, log) = try compile(["cc", "-std=c99"])
        #expect(status != 0)
        #expect(log.contains("isapi_win32.h needs POSIX.1-2008 declarations"), "\(log)")
        let headerErrors = log.split(separator: "\n").filter { $0.contains("isapi_win32.h:") && $0.contains("error") }
        #expect(headerErrors.allSatisfy { $0.contains("needs POSIX.1-2008") },
                "the header's only complaint is the #error: \(log)")
    }

    private func compile(_ command: [String]) throws -> (status: Int32, output: String) {
        let root = repositoryRoot()
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("cisapi-win32-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        return try run(command + [
            "-Wall", "-Wextra", "-Werror", "-shared", "-fPIC",
            "-I", root.appendingPathComponent("Sources/CISAPI/include").path,
            root.appendingPathComponent("Tests/Win32Port/win32port.c").path,
            "-o", tmp.appendingPathComponent("win32port.so").path,
        ])
    }
}
