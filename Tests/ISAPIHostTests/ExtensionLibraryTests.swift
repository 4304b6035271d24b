import CISAPI
import ISAPIHost
import Testing

// ExtensionLibrary: dlopen/dlsym/DllMain/GetExtensionVersion and the unload,
// against C fixtures compiled at test time (spec/mod_isapi.md §1.4, §1.6, §2.2).

@Suite("ExtensionLibrary")
struct ExtensionLibraryTests {

    @Test("Load: DllMain(ATTACH) with the dlopen handle, then GetExtensionVersion with a zeroed struct")
    func loadOrder() throws {
        let path = Fixture.good.copy()
        let library = try ExtensionLibrary.load(path: path)
        #expect(fixtureLog(path) == ["attach", "version"])
        #expect(library.path == path)
        #expect(library.extensionDescription == "good fixture")
        #expect(library.extensionVersion == 0x0002_0000)
        #expect(library.terminateExtension != nil)
        #expect(library.dllMain != nil)
        library.unload()
    }

    @Test("HttpExtensionProc is called with the ECB")
    func callsProc() throws {
        let path = Fixture.good.copy()
        let library = try ExtensionLibrary.load(path: path)
        var ecb = EXTENSION_CONTROL_BLOCK()
        let status = withUnsafeMutablePointer(to: &ecb) { library.callHttpExtensionProc($0) }
        #expect(status == DWORD(HSE_STATUS_SUCCESS))
        #expect(ecb.dwHttpStatusCode == 299)
        library.unload()
        #expect(fixtureLog(path) == ["attach", "version", "proc", "terminate 2", "detach"])
    }

    @Test("Unload: TerminateExtension(HSE_TERM_MUST_UNLOAD = 2), then DllMain(DETACH), exactly once")
    func unloadOrderOnce() throws {
        let path = Fixture.good.copy()
        let library = try ExtensionLibrary.load(path: path)
        #expect(!library.isUnloaded)
        library.unload()
        library.unload()
        #expect(library.isUnloaded)
        #expect(fixtureLog(path) == ["attach", "version", "terminate 2", "detach"])
    }

    @Test("A nonexistent file gives the path and dlerror's text")
    func nonexistent() {
        let path = Fixture.workDirectory.appendingPathComponent("absent.dll").path
        let error = #expect(throws: ModuleLoadError.self) { try ExtensionLibrary.load(path: path) }
        #expect(error?.kind == .openFailed)
        #expect(error?.path == path)
        #expect(error?.description.hasPrefix("failed to load \(path): ") == true)
        #expect(error?.description.contains("No such file or directory") == true)
    }

    @Test("Hidden exports: the error names the symbol, the path and the visibility hint")
    func hiddenExports() {
        let path = Fixture.hidden.copy()
        let error = #expect(throws: ModuleLoadError.self) { try ExtensionLibrary.load(path: path) }
        #expect(error?.kind == .missingExport(symbol: "GetExtensionVersion"))
        #expect(error?.description == "missing GetExtensionVersion() in \(path) (is it exported? build without "
            + "-fvisibility=hidden or mark it __attribute__((visibility(\"default\"))))")
        #expect(error?.reason.isEmpty == false)
        #expect(fixtureLog(path).isEmpty)
    }

    @Test("A missing HttpExtensionProc fails before any code of the library runs")
    func missingProc() {
        let path = Fixture.noProc.copy()
        let error = #expect(throws: ModuleLoadError.self) { try ExtensionLibrary.load(path: path) }
        #expect(error?.kind == .missingExport(symbol: "HttpExtensionProc"))
        #expect(error?.description.hasPrefix("missing HttpExtensionProc() in \(path) (is it exported?") == true)
        #expect(fixtureLog(path).isEmpty)
    }

    @Test("GetExtensionVersion returning FALSE: error with the last error, DllMain gets its DETACH")
    func versionRefused() {
        let path = Fixture.refuse.copy()
        let error = #expect(throws: ModuleLoadError.self) { try ExtensionLibrary.load(path: path) }
        #expect(error?.kind == .versionRefused(lastError: 0))
        #expect(error?.description == "GetExtensionVersion() returned FALSE in \(path) (last error 0)")
        #expect(fixtureLog(path) == ["attach", "version", "detach"])
    }
}
