import CISAPI
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One ISAPI extension loaded into the process: its `dlopen` handle and its
/// resolved entry points (spec/mod_isapi.md §1.4).
///
/// `load(path:)` opens it with the shared loader (`ISAPIModule`: dlopen, dlsym,
/// DllMain(DLL_PROCESS_ATTACH)) and calls GetExtensionVersion; `unload()` does
/// TerminateExtension(HSE_TERM_MUST_UNLOAD), then the loader's DETACH and dlclose, once.
/// Nothing here decides *when* to unload: `ExtensionRegistry` does, and never while a request is inside.
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
    public var dllMainPresence: DllMainPresence { module.dllMainPresence }

    /// Where the library's `DllMain` stands (`ISAPIModule.dllMainPresence`).
    public typealias DllMainPresence = ISAPIHost.DllMainPresence

    private let unloaded = Atomic<Bool>(false)

    private let module: ISAPIModule

    private init(module: ISAPIModule,
                 getExtensionVersion: PFN_GETEXTENSIONVERSION,
                 httpExtensionProc: PFN_HTTPEXTENSIONPROC,
                 terminateExtension: PFN_TERMINATEEXTENSION?,
                 extensionVersion: DWORD, extensionDescription: [UInt8]) {
        self.module = module
        self.path = module.path
        self.handle = module.handle
        self.getExtensionVersion = getExtensionVersion
        self.httpExtensionProc = httpExtensionProc
        self.terminateExtension = terminateExtension
        self.dllMain = module.dllMain
        self.extensionVersion = extensionVersion
        self.extensionDescription = String(decoding: extensionDescription, as: UTF8.self)
        self.extensionDescriptionBytes = extensionDescription
    }

    /// Loads the extension at `path` and runs its start-up. On failure nothing
    /// stays loaded (DllMain gets its DETACH if it got an ATTACH).
    public static func load(path: String) throws(ModuleLoadError) -> ExtensionLibrary {
        let (module, exports) = try ISAPIModule.open(
            .extension, path: path, required: ["GetExtensionVersion", "HttpExtensionProc"])
        let getVersion = unsafeBitCast(exports[0], to: PFN_GETEXTENSIONVERSION.self)
        let proc = unsafeBitCast(exports[1], to: PFN_HTTPEXTENSIONPROC.self)
        let terminate = module.symbol("TerminateExtension").map { unsafeBitCast($0, to: PFN_TERMINATEEXTENSION.self) }

        var info = HSE_VERSION_INFO()  // zeroed
        SetLastError(0)
        let accepted = withUnsafeMutablePointer(to: &info) { getVersion($0) }
        if accepted == 0 {
            let lastError = GetLastError()
            module.close()
            throw ModuleLoadError(.extension, path: path, kind: .versionRefused(lastError: lastError),
                                     reason: "GetExtensionVersion returned FALSE")
        }
        let description = withUnsafeBytes(of: &info.lpszExtensionDesc) { raw in
            // Not trusted to be NUL-terminated: stop at the first NUL or the end.
            Array(raw.prefix { $0 != 0 })
        }

        return ExtensionLibrary(module: module, getExtensionVersion: getVersion,
                                httpExtensionProc: proc, terminateExtension: terminate,
                                extensionVersion: info.dwExtensionVersion, extensionDescription: description)
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
        module.close()
    }

    /// Whether `unload()` has been called.
    public var isUnloaded: Bool { unloaded.load(ordering: .acquiring) }
}
