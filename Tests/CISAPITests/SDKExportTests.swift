import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

// The SDK headers keep the entry points exported under -fvisibility=hidden: the
// declarations carry default visibility, and the definitions inherit it.

@Suite("Entry points stay exported under -fvisibility=hidden")
struct SDKExportTests {
    static let entryPoints = [
        "DllMain", "GetExtensionVersion", "HttpExtensionProc", "TerminateExtension",
        "GetFilterVersion", "HttpFilterProc", "TerminateFilter",
    ]

    static let gccDrivers = [["cc"], ["c++", "-x", "c++"]]
    static let clangDrivers = [["clang"], ["clang++", "-x", "c++"]]

    /// How Fixtures/export_check.c defines the entry points (see its comment).
    static let variants = [
        [], ["-DDLLEXPORT"], ["-DDECLSPEC_BEFORE"], ["-DDECLSPEC_BEFORE", "-DDLLEXPORT"],
        ["-DDECLSPEC_AFTER"], ["-DDECLSPEC_AFTER", "-DDLLEXPORT"],
    ]

    @Test("gcc, C and C++", arguments: gccDrivers, variants)
    func gcc(_ driver: [String], _ variant: [String]) throws {
        #expect(try exported(driver + variant) == Self.entryPoints)
    }

    @Test("clang, C and C++", .enabled(if: toolOnPath("clang") && toolOnPath("clang++")),
          arguments: clangDrivers, variants)
    func clang(_ driver: [String], _ variant: [String]) throws {
        #expect(try exported(driver + variant) == Self.entryPoints)
    }

    @Test("Control: with the SDK's attribute turned off, -fvisibility=hidden hides them all")
    func attributeIsWhatExports() throws {
        #expect(try exported(["cc", "-DISAPI_SDK_EXPORT="]) == [])
    }

    /// Builds export_check.c with `command -fvisibility=hidden -Wall -Wextra -Werror` and
    /// returns which entry points `dlsym` finds in it.
    private func exported(_ command: [String]) throws -> [String] {
        let root = repositoryRoot()
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("cisapi-export-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        let output = tmp.appendingPathComponent("export_check.so").path
        let arguments = command + [
            "-fvisibility=hidden", "-Wall", "-Wextra", "-Werror", "-shared", "-fPIC",
            "-I", root.appendingPathComponent("Sources/CISAPI/include").path,
            root.appendingPathComponent("Tests/CISAPITests/Fixtures/export_check.c").path, "-o", output,
        ]
        let (status, log) = try run(arguments)
        guard status == 0 else {
            Issue.record("\(arguments.joined(separator: " ")) failed:\n\(log)")
            return []
        }
        guard let handle = dlopen(output, RTLD_NOW | RTLD_LOCAL) else {
            Issue.record("dlopen \(output): \(String(cString: dlerror()))")
            return []
        }
        defer { dlclose(handle) }
        return Self.entryPoints.filter { dlsym(handle, $0) != nil }
    }
}
