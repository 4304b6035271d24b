import Foundation
import Testing

/// The SDK side of porting a Win32 extension, end to end under isapid: DllMain exported
/// and called from a `-fvisibility=hidden` build (C and C++), and `isapi_win32.h`'s
/// calls from `Tests/Win32Port/win32port.c`, built with only the SDK include path.
@Suite struct Win32PortTests {
    static let sources = E2EPaths.packageRoot.appendingPathComponent("Tests/Win32Port")
    static let include = E2EPaths.packageRoot.appendingPathComponent("Sources/CISAPI/include").path

    /// Compiles `Tests/Win32Port/<name>.c` with `command` (a compiler and its flags) plus
    /// `-shared -fPIC -I <SDK>` into `htdocs/scripts/<dll>`.
    static func build(_ name: String, with command: [String], into root: ServerRoot, as dll: String) throws {
        try FileManager.default.createDirectory(atPath: root.path("htdocs/scripts"), withIntermediateDirectories: true)
        let arguments = command + ["-shared", "-fPIC", "-I", include,
                                   sources.appendingPathComponent("\(name).c").path,
                                   "-o", root.path("htdocs/scripts/\(dll)")]
        let result = try runCommand(URL(fileURLWithPath: "/usr/bin/env"), arguments, timeout: 120)
        guard result.status == 0 else {
            throw E2EError("\(arguments.joined(separator: " ")) failed: \(result.stdout)\(result.stderr)")
        }
    }

    /// A daemon serving `htdocs/scripts` with ExecCGI, after `prepare` put the extensions there.
    static func start(prepare: (ServerRoot) throws -> Void) throws -> DaemonProcess {
        let root = try ServerRoot()
        try TestConfig.writeSite(root)
        try prepare(root)
        try root.writeConfig(ISAPITests.config(root))
        return try DaemonProcess(root: root)
    }

    // MARK: - DllMain under -fvisibility=hidden

    @Test("A -fvisibility=hidden build with __declspec defined away exports DllMain, and isapid calls it",
          arguments: [["cc", "-fvisibility=hidden"], ["g++", "-x", "c++", "-fvisibility=hidden"]])
    func hiddenDllMainIsCalled(_ compiler: [String]) throws {
        let daemon = try Self.start { root in
            try Self.build("dllmain_hidden", with: compiler, into: root, as: "hidden.dll")
        }
        defer { daemon.stop() }
        let response = try ISAPITests.get(daemon, "/scripts/hidden.dll")
        #expect(response.status == 200)
        #expect(response.bodyText == "attach=1 hinst=set\n",
                "DllMain(DLL_PROCESS_ATTACH) ran once with the dlopen handle before the first request")
    }
}
