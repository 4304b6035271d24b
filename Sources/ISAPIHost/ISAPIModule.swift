import CISAPI

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `BOOL WINAPI DllMain(HINSTANCE hinstDLL, DWORD fdwReason, LPVOID lpvReserved)`;
/// httpext.h declares no typedef for it.
public typealias PFN_DLLMAIN = @convention(c) (UnsafeMutableRawPointer?, DWORD, UnsafeMutableRawPointer?) -> BOOL

/// Where a library's `DllMain` stands. Windows calls it inside LoadLibrary; here the
/// host calls it when `dlsym` finds it, so one that is defined but not exported (a
/// `-fvisibility=hidden` build, as PHP's configure makes) is silently never called.
public enum DllMainPresence: Equatable, Sendable {
    /// Exported: called with DLL_PROCESS_ATTACH and DETACH.
    case exported
    /// Not exported, but the symbol table defines it: it is never called.
    case hidden
    /// Neither exported nor (as far as the symbol table tells) defined.
    case absent
}

/// The one loader of ISAPI shared objects, extensions and filters alike: what Windows'
/// LoadLibrary/FreeLibrary do for IIS. `open` does dlopen (RTLD_NOW | RTLD_LOCAL), finds
/// the required exports and DllMain, and calls DllMain(DLL_PROCESS_ATTACH); `close` does
/// DllMain(DLL_PROCESS_DETACH) and dlclose. What each kind then calls (GetExtensionVersion
/// or GetFilterVersion, TerminateExtension or TerminateFilter) is its own type's business:
/// `ExtensionLibrary`, `FilterLibrary`.
///
/// `@unchecked Sendable` for the raw `dlopen` handle: both fields are `let`s.
struct ISAPIModule: @unchecked Sendable {
    /// The file as given to `dlopen`.
    let path: String
    /// The `dlopen` handle; also the `HINSTANCE` given to DllMain.
    let handle: UnsafeMutableRawPointer
    let dllMain: PFN_DLLMAIN?

    /// Opens the library at `path`, resolves the `required` exports (returned in the same
    /// order) and runs DllMain(DLL_PROCESS_ATTACH). On failure nothing stays loaded
    /// (DllMain gets its DETACH if ATTACH refused, as Windows does) and the error names
    /// the kind of library (`module`).
    static func open(
        _ module: ModuleLoadError.Module, path: String, required: [String]
    ) throws(ModuleLoadError) -> (ISAPIModule, [UnsafeMutableRawPointer]) {
        // RTLD_NOW: an unresolved symbol fails here, not in the middle of a request.
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            throw ModuleLoadError(module, path: path, kind: .openFailed, reason: lastDlerror())
        }
        var exports: [UnsafeMutableRawPointer] = []
        for name in required {
            guard let found = symbol(name, in: handle) else {
                let failure = ModuleLoadError(module, path: path, kind: .missingExport(symbol: name), reason: lastDlerror())
                dlclose(handle)
                throw failure
            }
            exports.append(found)
        }
        let dllMain = symbol("DllMain", in: handle).map { unsafeBitCast($0, to: PFN_DLLMAIN.self) }
        let opened = ISAPIModule(path: path, handle: handle, dllMain: dllMain)
        // Windows runs DllMain(ATTACH) inside LoadLibrary; dlopen does not, so we do.
        if let dllMain, dllMain(handle, DWORD(DLL_PROCESS_ATTACH), nil) == 0 {
            opened.close()
            throw ModuleLoadError(module, path: path, kind: .attachRefused, reason: "DllMain returned FALSE")
        }
        return (opened, exports)
    }

    /// An optional export, or nil.
    func symbol(_ name: String) -> UnsafeMutableRawPointer? { Self.symbol(name, in: handle) }

    private static func symbol(_ name: String, in handle: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer? {
        _ = dlerror()  // clear any stale message
        return dlsym(handle, name)
    }

    /// DllMain(DLL_PROCESS_DETACH), then dlclose: the caller has run the kind's own
    /// termination (or its start-up refused) and no thread is inside the library.
    func close() {
        if let dllMain { _ = dllMain(handle, DWORD(DLL_PROCESS_DETACH), nil) }
        dlclose(handle)
    }

    /// Whether DllMain is exported (and called), hidden, or absent. Without an exported
    /// one, this reads the file's symbol table: ask once per file, not per load.
    var dllMainPresence: DllMainPresence {
        guard dllMain == nil else { return .exported }
        switch ELFSymbolTable.lookUpFunction(named: "DllMain", inFileAt: path) {
        case .definedFunction(exported: false): return .hidden
        case .definedFunction(exported: true), .absent, .stripped, .unreadable: return .absent
        }
    }

    /// IS02041's text: DllMain defined in `path` but not exported, and the fix.
    static func hiddenDllMainWarning(_ path: String) -> String {
        "DllMain is in \(path) but not exported (built with -fvisibility=hidden?): it is not called. "
            + "Include httpext.h where DllMain is defined (it declares it with default visibility), "
            + "or add __attribute__((visibility(\"default\"))) to its definition"
    }
}

/// `dlerror()` as a String (it is per thread on glibc).
private func lastDlerror() -> String {
    guard let message = dlerror() else { return "unknown dlerror" }
    return String(cString: message)
}
