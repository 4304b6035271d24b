import CISAPI
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One ISAPI filter loaded into the process: its `dlopen` handle, entry points and what
/// `GetFilterVersion` asked for (notifications, ports, priority, description).
///
/// `load(path:)` opens it with the loader extensions use too (`ISAPIModule`: dlopen, dlsym,
/// DllMain(DLL_PROCESS_ATTACH)) and calls GetFilterVersion; `unload()` does
/// TerminateFilter(0), then the loader's DETACH and dlclose, once. `FilterSet` decides
/// when (a reload, the end of serving), never
/// while a notification is inside the filter.
///
/// `@unchecked Sendable` for the raw handle: every stored property is a `let` set before
/// `load` returns and the one mutable flag is atomic; IIS calls HttpFilterProc from many
/// threads at once, so filters are written for it.
public final class FilterLibrary: @unchecked Sendable {
    public let path: String
    let module: ISAPIModule
    let httpFilterProc: PFN_HTTPFILTERPROC
    let terminateFilter: PFN_TERMINATEFILTER?
    /// `HTTP_FILTER_VERSION.dwFlags` as the filter set it.
    public let flags: UInt32
    /// `dwFilterVersion` (MAKELONG(minor, major)).
    public let filterVersion: DWORD
    /// `lpszFilterDesc`, up to its NUL, as bytes for the log (`LogText`).
    public let descriptionBytes: [UInt8]
    private let unloaded = Atomic<Bool>(false)
    /// Notifications inside the filter now, and whether it is being unloaded: `unload`
    /// waits for the first to reach zero, and no call enters once it has begun.
    private let calls = LockedState(Calls())

    private struct Calls {
        var inside = 0
        var retiring = false
    }

    private init(
        module: ISAPIModule, proc: PFN_HTTPFILTERPROC, terminate: PFN_TERMINATEFILTER?,
        version: HTTP_FILTER_VERSION
    ) {
        var version = version
        self.path = module.path
        self.module = module
        self.httpFilterProc = proc
        self.terminateFilter = terminate
        self.filterVersion = version.dwFilterVersion
        self.descriptionBytes = withUnsafeBytes(of: &version.lpszFilterDesc) { raw in Array(raw.prefix { $0 != 0 }) }
        // IIS: a filter that names neither port kind is notified on both.
        let ports = UInt32(SF_NOTIFY_SECURE_PORT | SF_NOTIFY_NONSECURE_PORT)
        self.flags = version.dwFlags & ports == 0 ? version.dwFlags | ports : version.dwFlags
    }

    /// The notifications the filter asked for.
    public var notifications: UInt32 { flags & FilterNotification.allFlags }
    public var priority: FilterPriority { FilterPriority(flags: flags) }
    /// Whether it wants notifications for requests on a TLS (`secure`) or plain port.
    public func servesPort(secure: Bool) -> Bool {
        flags & UInt32(secure ? SF_NOTIFY_SECURE_PORT : SF_NOTIFY_NONSECURE_PORT) != 0
    }

    /// The notification names it asked for, for the load line.
    public var notificationNames: [String] {
        FilterNotification.allCases.filter { flags & $0.flag != 0 }.map(\.name)
    }

    /// Loads the filter at `path` and runs its start-up. On failure nothing stays loaded.
    public static func load(path: String) throws(ModuleLoadError) -> FilterLibrary {
        let (module, exports) = try ISAPIModule.open(
            .filter, path: path, required: ["GetFilterVersion", "HttpFilterProc"])
        let getVersion = unsafeBitCast(exports[0], to: PFN_GETFILTERVERSION.self)
        let proc = unsafeBitCast(exports[1], to: PFN_HTTPFILTERPROC.self)
        let terminate = module.symbol("TerminateFilter").map { unsafeBitCast($0, to: PFN_TERMINATEFILTER.self) }
        var version = HTTP_FILTER_VERSION()
        version.dwServerFilterVersion = DWORD((HTTP_FILTER_MAJOR << 16) | HTTP_FILTER_MINOR)
        SetLastError(0)
        if getVersion(&version) == 0 {
            let lastError = GetLastError()
            module.close()
            throw ModuleLoadError(
                .filter, path: path, kind: .versionRefused(lastError: lastError),
                reason: "GetFilterVersion returned FALSE")
        }
        return FilterLibrary(module: module, proc: proc, terminate: terminate, version: version)
    }

    /// Calls HttpFilterProc; nil when the filter is being unloaded (a reload dropped it):
    /// the notification then goes on without it.
    func call(
        _ context: UnsafeMutablePointer<HTTP_FILTER_CONTEXT>, _ notification: FilterNotification,
        _ data: UnsafeMutableRawPointer?
    ) -> DWORD? {
        let entered = calls.withLock { state -> Bool in
            guard !state.retiring else { return false }
            state.inside += 1
            return true
        }
        guard entered else { return nil }
        defer {
            calls.withLock { $0.inside -= 1 }
            calls.broadcast()
        }
        return httpFilterProc(context, DWORD(notification.flag), data)
    }

    /// Once no notification is inside (it waits for those that are): TerminateFilter(0),
    /// DllMain(DLL_PROCESS_DETACH), dlclose. Only the first call acts.
    public func unload() {
        guard unloaded.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
        else { return }
        calls.withLock { $0.retiring = true }
        calls.wait { $0.inside == 0 ? () : nil }
        if let terminateFilter { _ = terminateFilter(0) }
        module.close()
    }

    /// Whether DllMain is exported (and called), hidden (never called: IS02041), or absent.
    public var dllMainPresence: DllMainPresence { module.dllMainPresence }

    public var isUnloaded: Bool { unloaded.load(ordering: .acquiring) }

    /// `version 1.0` from MAKELONG(minor, major).
    public var versionText: String { "\(filterVersion >> 16).\(filterVersion & 0xFFFF)" }
}
