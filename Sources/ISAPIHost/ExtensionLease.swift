import CISAPI
import Synchronization

/// A request's hold on a loaded extension, from `ExtensionRegistry.acquire`.
/// While any lease on a library is out, the registry does not unload it.
///
/// Call `release()` when the request has left the extension for good (after
/// HttpExtensionProc returned and, for HSE_STATUS_PENDING, after
/// HSE_REQ_DONE_WITH_SESSION). Releasing twice is harmless; a lease that is
/// dropped without `release()` releases itself in `deinit`.
public final class ExtensionLease: Sendable {
    /// The loaded library; valid until `release()`.
    public var library: ExtensionLibrary { loaded.library }
    private let loaded: ExtensionRegistry.Loaded
    private let registry: ExtensionRegistry
    private let released = Atomic<Bool>(false)

    init(registry: ExtensionRegistry, loaded: ExtensionRegistry.Loaded) {
        self.registry = registry
        self.loaded = loaded
    }

    deinit {
        release()
    }

    /// The extension's file (the registry's key).
    public var path: String { library.path }

    /// HttpExtensionProc through this lease; traps if the lease was released.
    public func callHttpExtensionProc(_ ecb: UnsafeMutablePointer<EXTENSION_CONTROL_BLOCK>) -> DWORD {
        precondition(!released.load(ordering: .acquiring), "ExtensionLease used after release() for \(path)")
        return library.callHttpExtensionProc(ecb)
    }

    /// Gives the library back; the last release of an uncached (or dropped)
    /// extension unloads it, on this thread. Only the first call counts.
    public func release() {
        guard released.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
        else { return }
        registry.release(loaded)
    }
}
