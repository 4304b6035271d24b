import Foundation
import Logging
import Testing
@testable import ISAPIHost

// ELFSymbolTable on shared objects the test compiles (with and without
// -fvisibility=hidden, stripped) and on truncated, mutated and garbage bytes; then the
// loader's use of it: IS02041 for a library whose DllMain is hidden, and the load line.

/// C sources compiled by the test, without httpext.h: whatever the SDK header declares,
/// the visibility of DllMain here is exactly what each case says.
enum ELFFixture {
    static let exported = "__attribute__((visibility(\"default\")))"

    /// A loadable extension whose DllMain is `dllMainAttribute`-qualified (or absent).
    static func extensionSource(dllMain dllMainAttribute: String?) -> String {
        """
        typedef struct { unsigned int dwExtensionVersion; char lpszExtensionDesc[256]; } VERSION_INFO;
        \(exported) int GetExtensionVersion(VERSION_INFO *info) {
            info->dwExtensionVersion = (8u << 16) | 0;
            static const char description[] = "ELF \\"fixture\\" \\xff";
            __builtin_memcpy(info->lpszExtensionDesc, description, sizeof description);
            return 1;
        }
        \(exported) unsigned int HttpExtensionProc(void *ecb) { (void)ecb; return 1; }
        """ + (dllMainAttribute.map { "\n\($0) " + dllMain } ?? "\n")
    }

    static let dllMain = "int DllMain(void *h, unsigned int r, void *x) { (void)h; (void)r; (void)x; return 1; }\n"

    /// A registry whose log lines go to `logs`.
    static func registry(logging logs: CapturedLogs) -> ExtensionRegistry {
        ExtensionRegistry(cachedPaths: [], logger: Logger(label: "isapi") { _ in CapturingLogHandler(logs) })
    }

    static let directory: URL = {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("isapihost-elf-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }()

    /// Compiles `source` with `cc -shared -fPIC` and `flags`; the shared object's path.
    static func compile(_ source: String, flags: [String], name: String) throws -> String {
        let unique = "\(name)-\(UUID().uuidString)"
        let sourceURL = directory.appendingPathComponent("\(unique).c")
        let output = directory.appendingPathComponent("\(unique).dll").path
        try Data(source.utf8).write(to: sourceURL)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["cc", "-shared", "-fPIC"] + flags + [sourceURL.path, "-o", output]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CompileError(name: name) }
        return output
    }

    struct CompileError: Error { let name: String }

    static let hiddenBuild = try! compile(extensionSource(dllMain: ""), flags: ["-fvisibility=hidden"], name: "hidden")
    static let attributeBuild = try! compile(extensionSource(dllMain: exported), flags: ["-fvisibility=hidden"],
                                             name: "attribute")
    static let strippedBuild = try! compile(extensionSource(dllMain: ""), flags: ["-fvisibility=hidden", "-s"],
                                            name: "stripped")
    static let noDllMainBuild = try! compile(extensionSource(dllMain: nil), flags: [], name: "none")
    static let staticBuild = try! compile(extensionSource(dllMain: "static"), flags: [], name: "static")
}

@Suite("ELFSymbolTable")
struct ELFSymbolTableTests {
    @Test("A -fvisibility=hidden DllMain is found, not exported")
    func hidden() {
        #expect(ELFSymbolTable.lookUpFunction(named: "DllMain", inFileAt: ELFFixture.hiddenBuild)
                == .definedFunction(exported: false))
        // The exported entry points are in .symtab too, as exported.
        #expect(ELFSymbolTable.lookUpFunction(named: "HttpExtensionProc", inFileAt: ELFFixture.hiddenBuild)
                == .definedFunction(exported: true))
    }

    @Test("visibility(\"default\") on the definition exports it despite -fvisibility=hidden")
    func attribute() {
        #expect(ELFSymbolTable.lookUpFunction(named: "DllMain", inFileAt: ELFFixture.attributeBuild)
                == .definedFunction(exported: true))
    }

    @Test("A static DllMain is defined and not exported")
    func staticFunction() {
        #expect(ELFSymbolTable.lookUpFunction(named: "DllMain", inFileAt: ELFFixture.staticBuild)
                == .definedFunction(exported: false))
    }

    @Test("No DllMain: absent; a prefix or a longer name does not count")
    func absent() {
        #expect(ELFSymbolTable.lookUpFunction(named: "DllMain", inFileAt: ELFFixture.noDllMainBuild) == .absent)
        #expect(ELFSymbolTable.lookUpFunction(named: "DllMai", inFileAt: ELFFixture.hiddenBuild) == .absent)
        #expect(ELFSymbolTable.lookUpFunction(named: "DllMainX", inFileAt: ELFFixture.hiddenBuild) == .absent)
    }

    @Test("A stripped build (cc -s) has no .symtab: nothing can be said")
    func stripped() {
        #expect(ELFSymbolTable.lookUpFunction(named: "DllMain", inFileAt: ELFFixture.strippedBuild) == .stripped)
    }

    @Test("Files that are not ELF64 shared objects are unreadable")
    func notELF() throws {
        let text = ELFFixture.directory.appendingPathComponent("text.dll")
        try Data("#!/bin/sh\necho not an ELF file\n".utf8).write(to: text)
        #expect(ELFSymbolTable.lookUpFunction(named: "DllMain", inFileAt: text.path) == .unreadable)
        #expect(ELFSymbolTable.lookUpFunction(named: "DllMain", inFileAt: "/nonexistent/x.dll") == .unreadable)
        #expect(ELFSymbolTable.lookUpFunction(named: "DllMain", inFileAt: ELFFixture.directory.path) == .unreadable)
        let empty = ELFFixture.directory.appendingPathComponent("empty.dll")
        try Data().write(to: empty)
        #expect(ELFSymbolTable.lookUpFunction(named: "DllMain", inFileAt: empty.path) == .unreadable)
    }

    @Test("Another class, byte order or machine: unreadable")
    func otherFlavours() throws {
        let original = try [UInt8](Data(contentsOf: URL(fileURLWithPath: ELFFixture.hiddenBuild)))
        var elf32 = original
        elf32[4] = 1
        var bigEndian = original
        bigEndian[5] = 2
        var sparc = original
        sparc[18] = 43  // EM_SPARCV9
        sparc[19] = 0
        for bytes in [elf32, bigEndian, sparc] {
            #expect(ELFSymbolTable.lookUpFunction(named: "DllMain", in: bytes) == .unreadable)
        }
        #expect(ELFSymbolTable.lookUpFunction(named: "DllMain", in: original) == .definedFunction(exported: false))
    }

    @Test("Every truncation of a real file is read without a crash, never as a finding it lacks")
    func truncated() throws {
        let original = try [UInt8](Data(contentsOf: URL(fileURLWithPath: ELFFixture.hiddenBuild)))
        for length in 0..<original.count {
            let result = ELFSymbolTable.lookUpFunction(named: "DllMain", in: Array(original[..<length]))
            // The section headers are at the end of the file: any cut loses them.
            #expect(result == .unreadable, "cut at \(length): \(result)")
        }
    }

    @Test("Hostile offsets, sizes and counts are refused, not followed")
    func hostileFields() throws {
        let original = try [UInt8](Data(contentsOf: URL(fileURLWithPath: ELFFixture.hiddenBuild)))
        let sectionTable = Int(Self.u64(original, 40))
        let sectionCount = Int(Self.u16(original, 60))
        var mutants: [[UInt8]] = []
        let values: [UInt64] = [0xFFFF_FFFF_FFFF_FFFF, 0x7FFF_FFFF_FFFF_FFF0, UInt64(original.count),
                                UInt64(original.count - 1)]
        for value in values {
            mutants.append(Self.set(original, 40, value, width: 8))  // e_shoff
            for index in 0..<sectionCount {
                let base = sectionTable + index * 64
                mutants.append(Self.set(original, base + 24, value, width: 8))  // sh_offset
                mutants.append(Self.set(original, base + 32, value, width: 8))  // sh_size
                mutants.append(Self.set(original, base + 40, value, width: 4))  // sh_link
                mutants.append(Self.set(original, base + 56, value, width: 8))  // sh_entsize
            }
        }
        mutants.append(Self.set(original, 58, 65, width: 2))  // e_shentsize
        mutants.append(Self.set(original, 60, 0xFFFF, width: 2))  // e_shnum
        mutants.append(Self.set(original, 60, 0, width: 2))  // e_shnum 0: the count from section 0
        mutants.append(Self.set(Self.set(original, 60, 0, width: 2), sectionTable + 32, 0xFFFF_FFFF, width: 8))
        for (number, bytes) in mutants.enumerated() {
            // Whatever each answers, it answers: no trap, no out-of-bounds read.
            let result = ELFSymbolTable.lookUpFunction(named: "DllMain", in: bytes)
            #expect([.unreadable, .stripped, .absent, .definedFunction(exported: false)].contains(result),
                    "mutant \(number): \(result)")
        }
        // Symbol names pointing past the string table are skipped, not read.
        var names = original
        if let symtab = Self.sectionOffsets(original, type: 2) {
            for symbol in stride(from: symtab.offset, to: symtab.offset + symtab.size, by: 24) {
                names = Self.set(names, symbol, 0xFFFF_FFF0, width: 4)
            }
        }
        #expect(ELFSymbolTable.lookUpFunction(named: "DllMain", in: names) == .absent)
    }

    @Test("Garbage behind a valid ELF64 x86-64 ident is unreadable or says nothing")
    func garbage() {
        var generator = SystemRandomNumberGenerator()
        for size in [64, 65, 128, 1000, 4096, 65536] {
            for _ in 0..<20 {
                var bytes = (0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) }
                bytes.replaceSubrange(0..<7, with: [0x7F, 0x45, 0x4C, 0x46, 2, 1, 1])
                bytes[18] = 62
                bytes[19] = 0
                let result = ELFSymbolTable.lookUpFunction(named: "DllMain", in: bytes)
                #expect(result != .definedFunction(exported: true), "\(size) random bytes: \(result)")
            }
        }
    }

    // MARK: - Byte helpers

    static func u16(_ bytes: [UInt8], _ offset: Int) -> UInt16 {
        UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
    }

    static func u64(_ bytes: [UInt8], _ offset: Int) -> UInt64 {
        (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[offset + $1]) << (8 * UInt64($1)) }
    }

    static func set(_ bytes: [UInt8], _ offset: Int, _ value: UInt64, width: Int) -> [UInt8] {
        var copy = bytes
        for index in 0..<width { copy[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(index))) }
        return copy
    }

    /// Offset and size of the first section of `type`.
    static func sectionOffsets(_ bytes: [UInt8], type: UInt32) -> (offset: Int, size: Int)? {
        let table = Int(u64(bytes, 40))
        for index in 0..<Int(u16(bytes, 60)) {
            let base = table + index * 64
            let sectionType = UInt32(u16(bytes, base + 4)) | UInt32(u16(bytes, base + 6)) << 16
            if sectionType == type { return (Int(u64(bytes, base + 24)), Int(u64(bytes, base + 32))) }
        }
        return nil
    }
}

@Suite("Load diagnostics")
struct LoadDiagnosticsTests {
    @Test("A hidden DllMain: loads, is not called, and IS02041 says why and how to fix it")
    func hiddenDllMainWarning() throws {
        let logs = CapturedLogs()
        let registry = ELFFixture.registry(logging: logs)
        let path = ELFFixture.hiddenBuild
        let lease = try registry.acquire(path)
        #expect(lease.library.dllMain == nil)
        #expect(lease.library.dllMainPresence == .hidden)
        lease.release()
        #expect(logs.lines.contains(
            "DllMain is in \(path) but not exported (built with -fvisibility=hidden?): it is not called. "
                + "Include httpext.h where DllMain is defined (it declares it with default visibility), "
                + "or add __attribute__((visibility(\"default\"))) to its definition"), "\(logs.lines)")
    }

    @Test("The load line: path, description escaped, version, optional exports")
    func loadLine() throws {
        for (path, exports, presence) in [
            (ELFFixture.attributeBuild, "DllMain", ExtensionLibrary.DllMainPresence.exported),
            (ELFFixture.noDllMainBuild, "neither DllMain nor TerminateExtension", .absent),
            (ELFFixture.strippedBuild, "neither DllMain nor TerminateExtension", .absent),
        ] {
            let logs = CapturedLogs()
            let registry = ELFFixture.registry(logging: logs)
            let lease = try registry.acquire(path)
            #expect(lease.library.dllMainPresence == presence)
            lease.release()
            #expect(logs.lines.first == #"loaded \#(path): "ELF \"fixture\" \xff" version 8.0, exports \#(exports)"#,
                    "\(logs.lines)")
            #expect(!logs.lines.contains { $0.hasPrefix("DllMain is in") })
        }
    }

    @Test("The good fixture exports both optional entry points")
    func bothExports() throws {
        let logs = CapturedLogs()
        let registry = ELFFixture.registry(logging: logs)
        let path = Fixture.good.copy()
        try registry.acquire(path).release()
        #expect(logs.lines.first
                    == #"loaded \#(path): "good fixture" version 2.0, exports DllMain, TerminateExtension"#,
                "\(logs.lines)")
    }
}

/// The loader extensions and filters share (`ISAPIModule`): the same diagnostics for both.
@Suite("Shared loader")
struct SharedLoaderTests {
    /// A loadable filter whose DllMain is `dllMainAttribute`-qualified; no SDK header.
    static func filterSource(dllMain dllMainAttribute: String) -> String {
        """
        typedef struct { unsigned int server, version; char desc[257]; unsigned int flags; } VERSION;
        \(ELFFixture.exported) int GetFilterVersion(VERSION *v) { v->version = 1u << 16; v->flags = 0x200; return 1; }
        \(ELFFixture.exported) unsigned int HttpFilterProc(void *c, unsigned int n, void *d) {
            (void)c; (void)n; (void)d; return 0x8000002;  /* NEXT_NOTIFICATION */
        }
        \(dllMainAttribute) \(ELFFixture.dllMain)
        """
    }

    @Test("A filter whose DllMain is hidden: loads, DllMain not called, IS02041 as for an extension")
    func hiddenFilterDllMain() throws {
        let path = try ELFFixture.compile(
            Self.filterSource(dllMain: ""), flags: ["-fvisibility=hidden"], name: "filter-hidden")
        let logs = CapturedLogs()
        let set = FilterSet(
            global: [.init(path: path, location: "test.conf:1")], sites: [:],
            logger: Logger(label: "isapi") { _ in CapturingLogHandler(logs) })
        let library = try #require(set.global.filters.first)
        #expect(library.dllMainPresence == .hidden)
        #expect(logs.lines.contains(ExtensionRegistry.hiddenDllMainWarning(path)), "\(logs.lines)")
        set.retire(keeping: nil, logger: Logger(label: "isapi"))
    }

    @Test("An exported DllMain in a filter: no warning; open failures worded per kind")
    func exportedAndFailures() throws {
        let path = try ELFFixture.compile(
            Self.filterSource(dllMain: ELFFixture.exported), flags: ["-fvisibility=hidden"], name: "filter-exported")
        let library = try FilterLibrary.load(path: path)
        #expect(library.dllMainPresence == .exported)
        library.unload()
        // The same loader failure, in each kind's words.
        #expect(throws: ModuleLoadError(.filter, path: ELFFixture.noDllMainBuild, kind: .missingExport(symbol: "GetFilterVersion"),
                                        reason: "\(ELFFixture.noDllMainBuild): undefined symbol: GetFilterVersion")) {
            try FilterLibrary.load(path: ELFFixture.noDllMainBuild)
        }
        #expect(throws: ModuleLoadError(.extension, path: path, kind: .missingExport(symbol: "GetExtensionVersion"),
                                           reason: "\(path): undefined symbol: GetExtensionVersion")) {
            try ExtensionLibrary.load(path: path)
        }
    }
}
