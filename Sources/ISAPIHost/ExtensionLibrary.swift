import CISAPI
import Synchronization

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

/// One ISAPI extension loaded into the process: its `dlopen` handle and its
/// resolved entry points (spec/mod_isapi.md §1.4).
///
/// `load(path:)` does dlopen (RTLD_NOW | RTLD_LOCAL), dlsym, DllMain(DLL_PROCESS_ATTACH)
/// and GetExtensionVersion; `unload()` does TerminateExtension(HSE_TERM_MUST_UNLOAD),
/// DllMain(DLL_PROCESS_DETACH) and dlclose, once. Nothing here decides *when*
/// to unload: `ExtensionRegistry` does, and never while a request is inside.
///
/// `@unchecked Sendable` because the `dlopen` handle is a raw pointer; it is
/// safe to share: every stored property is a `let` set before `load` returns,
/// the only mutable state (`unloaded`) is atomic, and the ISAPI contract has
/// `HttpExtensionProc` called concurrently from many threads. The one rule the
/// type cannot check: no entry point may be called after (or during) `unload()`.
public final class ExtensionLibrary: @unchecked Sendable {
    /// The file as given to `dlopen`.
    public let path: String
    /// The `dlopen` handle; also the `HINSTANCE` given to DllMain.
    public let handle: UnsafeMutableRawPointer
    public let getExtensionVersion: PFN_GETEXTENSIONVERSION
    public let httpExtensionProc: PFN_HTTPEXTENSIONPROC
    public let terminateExtension: PFN_TERMINATEEXTENSION?
    public let dllMain: PFN_DLLMAIN?
    /// What GetExtensionVersion put in `dwExtensionVersion` (MAKELONG(minor, major)).
    public let extensionVersion: DWORD
    /// What GetExtensionVersion put in `lpszExtensionDesc`.
    public let extensionDescription: String
    /// The same, as the bytes it wrote (up to its NUL), for the log (`LogText`).
    public let extensionDescriptionBytes: [UInt8]
    /// Whether DllMain is exported (and called), hidden, or absent. Without an exported
    /// one, this reads the file's symbol table: ask once per file, not per load.
    public var dllMainPresence: DllMainPresence {
        dllMain != nil ? .exported : Self.unexportedDllMain(in: path)
    }

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

    private let unloaded = Atomic<Bool>(false)

    private init(path: String, handle: UnsafeMutableRawPointer,
                 getExtensionVersion: PFN_GETEXTENSIONVERSION,
                 httpExtensionProc: PFN_HTTPEXTENSIONPROC,
                 terminateExtension: PFN_TERMINATEEXTENSION?,
                 dllMain: PFN_DLLMAIN?, extensionVersion: DWORD, extensionDescription: [UInt8]) {
        self.path = path
        self.handle = handle
        self.getExtensionVersion = getExtensionVersion
        self.httpExtensionProc = httpExtensionProc
        self.terminateExtension = terminateExtension
        self.dllMain = dllMain
        self.extensionVersion = extensionVersion
        self.extensionDescription = String(decoding: extensionDescription, as: UTF8.self)
        self.extensionDescriptionBytes = extensionDescription
    }

    /// Loads the extension at `path` and runs its start-up. On failure nothing
    /// stays loaded (DllMain gets its DETACH if it got an ATTACH).
    public static func load(path: String) throws(ExtensionLoadError) -> ExtensionLibrary {
        // RTLD_NOW: an unresolved symbol fails here, not in the middle of a request.
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            throw ExtensionLoadError(path: path, kind: .openFailed, reason: lastDlerror())
        }

        func symbol(_ name: String) -> UnsafeMutableRawPointer? {
            _ = dlerror()  // clear any stale message
            return dlsym(handle, name)
        }
        func missing(_ name: String) -> ExtensionLoadError {
            let error = ExtensionLoadError(path: path, kind: .missingExport(symbol: name), reason: lastDlerror())
            dlclose(handle)
            return error
        }

        guard let versionSymbol = symbol("GetExtensionVersion") else { throw missing("GetExtensionVersion") }
        guard let procSymbol = symbol("HttpExtensionProc") else { throw missing("HttpExtensionProc") }
        let getVersion = unsafeBitCast(versionSymbol, to: PFN_GETEXTENSIONVERSION.self)
        let proc = unsafeBitCast(procSymbol, to: PFN_HTTPEXTENSIONPROC.self)
        let terminate = symbol("TerminateExtension").map { unsafeBitCast($0, to: PFN_TERMINATEEXTENSION.self) }
        let dllMain = symbol("DllMain").map { unsafeBitCast($0, to: PFN_DLLMAIN.self) }

        // Windows runs DllMain(ATTACH) inside LoadLibrary; dlopen does not, so we do.
        if let dllMain, dllMain(handle, DWORD(DLL_PROCESS_ATTACH), nil) == 0 {
            // As Windows does when ATTACH fails: DETACH, then unload.
            _ = dllMain(handle, DWORD(DLL_PROCESS_DETACH), nil)
            dlclose(handle)
            throw ExtensionLoadError(path: path, kind: .attachRefused, reason: "DllMain returned FALSE")
        }

        var info = HSE_VERSION_INFO()  // zeroed
        SetLastError(0)
        let accepted = withUnsafeMutablePointer(to: &info) { getVersion($0) }
        if accepted == 0 {
            let lastError = GetLastError()
            if let dllMain { _ = dllMain(handle, DWORD(DLL_PROCESS_DETACH), nil) }
            dlclose(handle)
            throw ExtensionLoadError(path: path, kind: .versionRefused(lastError: lastError),
                                     reason: "GetExtensionVersion returned FALSE")
        }
        let description = withUnsafeBytes(of: &info.lpszExtensionDesc) { raw in
            // Not trusted to be NUL-terminated: stop at the first NUL or the end.
            Array(raw.prefix { $0 != 0 })
        }

        return ExtensionLibrary(path: path, handle: handle, getExtensionVersion: getVersion,
                                httpExtensionProc: proc, terminateExtension: terminate, dllMain: dllMain,
                                extensionVersion: info.dwExtensionVersion, extensionDescription: description)
    }

    /// When `dlsym` found no DllMain: whether the file's symbol table (`.symtab`) still
    /// defines one, hidden. Said only when it plainly does: a stripped or unreadable file
    /// counts as absent.
    private static func unexportedDllMain(in path: String) -> DllMainPresence {
        switch ELFSymbolTable.lookUpFunction(named: "DllMain", inFileAt: path) {
        case .definedFunction(exported: false): return .hidden
        case .definedFunction(exported: true), .absent, .stripped, .unreadable: return .absent
        }
    }

    /// `version 8.0` from MAKELONG(minor, major).
    public var versionText: String { "\(extensionVersion >> 16).\(extensionVersion & 0xFFFF)" }

    /// The optional exports found, for the load line: `DllMain, TerminateExtension`.
    public var optionalExports: [String] {
        (dllMain != nil ? ["DllMain"] : []) + (terminateExtension != nil ? ["TerminateExtension"] : [])
    }

    /// Calls the extension's HttpExtensionProc; returns its HSE_STATUS_* code.
    public func callHttpExtensionProc(_ ecb: UnsafeMutablePointer<EXTENSION_CONTROL_BLOCK>) -> DWORD {
        httpExtensionProc(ecb)
    }

    /// TerminateExtension(HSE_TERM_MUST_UNLOAD) (Microsoft's 2; its answer is
    /// ignored: it may not refuse), DllMain(DLL_PROCESS_DETACH), dlclose.
    /// Only the first call does anything. The caller guarantees that no thread
    /// is inside, or will enter, the extension.
    public func unload() {
        guard unloaded.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
        else { return }
        if let terminateExtension { _ = terminateExtension(DWORD(HSE_TERM_MUST_UNLOAD)) }
        if let dllMain { _ = dllMain(handle, DWORD(DLL_PROCESS_DETACH), nil) }
        dlclose(handle)
    }

    /// Whether `unload()` has been called.
    public var isUnloaded: Bool { unloaded.load(ordering: .acquiring) }
}

/// `dlerror()` as a String (it is per thread on glibc).
private func lastDlerror() -> String {
    guard let message = dlerror() else { return "unknown dlerror" }
    return String(cString: message)
}
