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

    // MARK: - isapi_win32.h

    static let ini = """
        ; a comment line
        [Database]
          Server = db.example
        Name="quoted value"
        ;Commented=yes
        Port=5432
        Negative=-2
        Junk=12abc
        Empty=
        [database]
        Server=second
        [Other]
        Key=v

        """

    /// The `name=value` lines of win32port.dll's answer.
    static func report(_ body: String) -> [String: String] {
        var result: [String: String] = [:]
        for line in body.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            result[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        return result
    }

    @Test("win32port.dll, built with only -I the SDK, gets Win32's answers from every isapi_win32.h call")
    func everyCallUnderIsapid() throws {
        let daemon = try Self.start { root in
            try Self.build("win32port", with: ["cc"], into: root, as: "win32port.dll")
            try root.write("htdocs/scripts/win32port.ini", Self.ini)
        }
        defer { daemon.stop() }
        let response = try ISAPITests.get(daemon, "/scripts/win32port.dll")
        #expect(response.status == 200)
        let r = Self.report(response.bodyText)
        #expect(r["done"] == "1", "the whole report arrived: \(response.bodyText)")

        // Strings
        #expect(r["lstrcpy_lstrcat"] == "Hello, World|dst")
        #expect(r["lstrlen"] == "12|0")
        #expect(r["lstrcpyn"] == "trunc|dst", "n-1 bytes and a NUL")
        #expect(r["lstrcmp"] == "-1|0|1|-1", "-1/0/1 as Win32 returns; NULL sorts first")
        #expect(r["lstrcmpi"] == "0|-1|1")
        #expect(r["stricmp"] == "0|0|1|1")

        // Formatting and memory
        #expect(r["wsprintfA"] == "-3|    7|ff  |0000BEEF|str|ab|Z|1099511627776|-1|%|wé",
                "wsprintf's language: %ld is 32-bit, %I64d 64-bit, %S a UTF-16 string")
        #expect(r["wsprintfA_return"] == "54|54")
        #expect(r["wsprintfA_limit"] == "1023|1023", "output limited to 1024 bytes with the NUL")
        #expect(r["_snprintf_truncated"] == "-1|abcd##", "count bytes, no NUL, -1")
        #expect(r["_snprintf_exact"] == "3|abc###", "an exact fit: count, no NUL")
        #expect(r["_snprintf_fits"] == "4|n=42")
        #expect(r["memory"] == "xyyy|35")
        #expect(r["MAX_PATH"] == "260")

        // Synchronisation
        #expect(r["interlocked"] == "6|5|5|9|1|1|11", "new value for Increment/Decrement, old for the others")
        #expect(r["interlocked_threads"] == "40000")
        #expect(r["critical_section"] == "recursive|try_same=1|try_other=0")
        #expect(r["critical_section_one_left"] == "try_other=0", "still held until left as often as entered")
        #expect(r["critical_section_released"] == "try_other=1")

        // Module, time, ids
        let dll = daemon.root.path("htdocs/scripts/win32port.dll")
        #expect(r["dllmain"] == "attach=1|hinst=set")
        #expect(r["GetModuleFileNameA"] == dll, "the path of the module DllMain was given")
        #expect(r["GetModuleFileNameA_return"] == "\(dll.utf8.count)|\(dll.utf8.count)")
        #expect(r["GetModuleFileNameA_truncated"] == "8|122|7|\(dll.prefix(7))",
                "truncated to n-1 and a NUL, returns n, ERROR_INSUFFICIENT_BUFFER")
        #expect(r["GetModuleFileNameA_null"]?.hasSuffix("/isapid") == true, "NULL is the executable")
        #expect(r["GetModuleFileNameA_bad"] == "0|126", "no such module: 0 and ERROR_MOD_NOT_FOUND")
        let tick = r["tick"] ?? ""
        let elapsed = tick.split(separator: "|").first.flatMap { Int($0.dropFirst("elapsed=".count)) } ?? -1
        #expect(elapsed >= 25, "GetTickCount64 advanced by at least Sleep(25): \(tick)")
        #expect(tick.hasSuffix("|tick_matches=1"), "GetTickCount is GetTickCount64 cut to 32 bits")
        #expect(r["thread_id"] == "nonzero=1|same=1|other_differs=1|not_pid=1")
        #expect(Int(r["process_id"] ?? "") ?? 0 > 0)

        // GetPrivateProfileString/Int on win32port.ini next to the .dll
        #expect(r["profile_value"] == "10|db.example", "case-insensitive names, blanks trimmed, first section")
        #expect(r["profile_quoted"] == "12|quoted value")
        #expect(r["profile_default"] == "4|dflt|2", "the default without trailing blanks, ERROR_FILE_NOT_FOUND")
        #expect(r["profile_truncated"] == "4|db.e", "cut to nSize-1, returns nSize-1")
        #expect(r["profile_comment"] == "4|none", "a ; line is a comment")
        #expect(r["profile_sections"] == "24|Database|database|Other|")
        #expect(r["profile_keys"] == "37|Server|Name|Port|Negative|Junk|Empty|")
        #expect(r["profile_keys_truncated"] == "8|Server|N|0", "a cut list returns nSize-2 and ends in two NULs")
        #expect(r["profile_int"] == "5432|77|4294967294|12|5")
        #expect(r["profile_no_file"] == "6|absent|2")

        // OutputDebugStringA goes to stderr: the ErrorLog once extension stderr is sent there,
        // the daemon's own stderr until then.
        let marker = "win32port: OutputDebugStringA reached stderr"
        #expect(eventually(timeout: 5) { daemon.errorLog.contains(marker) || daemon.stderrText.contains(marker) },
                "stderr: \(daemon.stderrText)\nerror_log: \(daemon.errorLog)")
    }
}
