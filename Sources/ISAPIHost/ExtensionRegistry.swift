import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The loaded ISAPI extensions, keyed by absolute file path (spec/mod_isapi.md
/// §2.2, without the bugs of §4):
///
/// - A path listed by ISAPICacheFile (`cachedPaths`) is loaded at start (or at
///   the reload that lists it) and stays loaded until `shutdown()` or a reload
///   that drops it.
/// - Any other path is loaded for its request and unloaded when its last lease
///   is released: concurrent requests share one load; nothing is unloaded while
///   a request is inside.
/// - A failed load is remembered for `retryInterval` seconds: acquires within
///   that time get the same error without trying again; the first one after it
///   retries. Waiters for a load that fails get the failure; nobody hangs.
///
/// One lock guards the table. It is never held while calling into an extension
/// (load, unload) nor while waiting for another thread's load or unload.
/// Callers pass paths already made absolute and normalised: the registry does
/// not resolve them, so two spellings of one file would be two entries.
public final class ExtensionRegistry: Sendable {
    /// How long a failed load is remembered before the next acquire retries (ISAPI_RETRY).
    public static let retryInterval: Double = 30

    /// A loaded library and the leases out on it. A lease holds it, so that its release
    /// finds the count without hashing the path again (two hash-table look-ups, ~900
    /// instructions an extension call). `leases` and `isCached` change only under the
    /// registry's lock.
    final class Loaded: @unchecked Sendable {
        let library: ExtensionLibrary
        fileprivate var leases: Int
        /// Listed by ISAPICacheFile: it stays loaded when its last lease goes.
        fileprivate var isCached: Bool

        fileprivate init(_ library: ExtensionLibrary, leases: Int, isCached: Bool) {
            self.library = library
            self.leases = leases
            self.isCached = isCached
        }
    }

    private enum Entry {
        /// A thread is loading it, outside the lock; others wait.
        case loading
        /// Loaded; `leases` requests hold it.
        case loaded(Loaded)
        /// A thread is unloading it, outside the lock; others wait, then load afresh.
        case unloading
        /// The last load failed at `at` (by `clock`).
        case failed(ModuleLoadError, at: Double)
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var cached: Set<String> = []
        var shuttingDown = false
        /// Paths whose symbol table was checked for a hidden DllMain (once per file: an
        /// extension loaded per request would otherwise read it at every load).
        var inspectedPaths: Set<String> = []
        /// The error log of the configuration in force (a reload may change its file or level).
        var logger: Logger
    }

    private let lock: LockedState<State>
    private var logger: Logger { lock.withLock { $0.logger } }
    private let clock: @Sendable () -> Double

    /// Loads every path of `cachedPaths`. A failure is logged and remembered
    /// (retried by the first request after `retryInterval`), not thrown.
    /// - Parameter clock: seconds on a monotonic scale; injectable for tests.
    public init(cachedPaths: [String], logger: Logger,
                clock: @escaping @Sendable () -> Double = ExtensionRegistry.monotonicSeconds) {
        self.lock = LockedState(State(logger: logger))
        self.clock = clock
        updateCachedPaths(cachedPaths)
    }

    /// CLOCK_MONOTONIC in seconds.
    @Sendable public static func monotonicSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1_000_000_000
    }

    /// A lease on the extension at `path`, loading it first if needed (or
    /// waiting for the load another thread is doing).
    /// - Throws: the load's error, or the remembered one within `retryInterval`
    ///   of a failure, or `.shutDown` once `shutdown()` has begun.
    public func acquire(_ path: String) throws(ModuleLoadError) -> ExtensionLease {
        enum Step { case use(Loaded), load, fail(ModuleLoadError) }
        let step = lock.wait { state -> Step? in
            if state.shuttingDown {
                return .fail(ModuleLoadError(.extension, path: path, kind: .shutDown, reason: "shutting down"))
            }
            // One hash of the path per call: the entry is found once and changed in place.
            guard let index = state.entries.index(forKey: path) else {
                state.entries[path] = .loading
                return .load
            }
            switch state.entries.values[index] {
            case .loading, .unloading:
                return nil
            case .loaded(let loaded):
                loaded.leases += 1
                return .use(loaded)
            case .failed(let error, let at):
                if clock() - at < Self.retryInterval { return .fail(error) }
                state.entries.values[index] = .loading
                return .load
            }
        }
        switch step {
        case .use(let loaded):
            return ExtensionLease(registry: self, loaded: loaded)
        case .fail(let error):
            throw error
        case .load:
            return ExtensionLease(registry: self, loaded: try loadMarked(path, leases: 1))
        }
    }

    /// Replaces the ISAPICacheFile list (a reload). Newly listed paths, and
    /// listed ones whose last load failed, are loaded now; dropped ones are
    /// unloaded now if no request is inside, else when the last one leaves.
    public func updateCachedPaths(_ paths: [String]) {
        updateCachedPaths(paths, logger: nil)
    }

    /// A reload: the new ISAPICacheFile list, and the error log loads and unloads are
    /// logged to from now on.
    public func update(cachedPaths paths: [String], logger: Logger) {
        updateCachedPaths(paths, logger: logger)
    }

    private func updateCachedPaths(_ paths: [String], logger newLogger: Logger?) {
        var seen = Set<String>()
        let ordered = paths.filter { seen.insert($0).inserted }
        let (toLoad, toUnload) = lock.withLock { state -> ([String], [ExtensionLibrary]) in
            if let newLogger { state.logger = newLogger }
            guard !state.shuttingDown else { return ([], []) }
            let dropped = state.cached.subtracting(seen)
            state.cached = seen
            var toUnload: [ExtensionLibrary] = []
            for path in dropped {
                guard case .loaded(let loaded) = state.entries[path] else { continue }
                loaded.isCached = false
                if loaded.leases == 0 {
                    state.entries[path] = .unloading
                    toUnload.append(loaded.library)
                }
            }
            var toLoad: [String] = []
            for path in ordered {
                switch state.entries[path] {
                case nil, .failed:
                    state.entries[path] = .loading
                    toLoad.append(path)
                case .loaded(let loaded):
                    loaded.isCached = true
                case .loading, .unloading:
                    break
                }
            }
            return (toLoad, toUnload)
        }
        for library in toUnload { unloadMarked(library) }
        for path in toLoad { _ = try? loadMarked(path, leases: 0) }  // a failure is logged and remembered
    }

    /// Stops lending: later acquires fail with `.shutDown`. Unloads every
    /// extension, each as soon as no lease on it is out; returns when all are
    /// unloaded (so it blocks while a request is inside an extension).
    public func shutdown() {
        let toUnload = lock.withLock { state -> [ExtensionLibrary] in
            state.shuttingDown = true
            var toUnload: [ExtensionLibrary] = []
            for (path, entry) in state.entries {
                if case .loaded(let loaded) = entry, loaded.leases == 0 {
                    state.entries[path] = .unloading
                    toUnload.append(loaded.library)
                }
            }
            return toUnload
        }
        for library in toUnload { unloadMarked(library) }
        lock.wait { state -> Void? in
            let busy = state.entries.values.contains {
                if case .failed = $0 { return false }
                return true
            }
            return busy ? nil : ()
        }
    }

    /// The paths loaded now, sorted.
    public var loadedPaths: [String] {
        lock.withLock { state in
            state.entries.compactMap { path, entry in
                if case .loaded = entry { return path }
                return nil
            }.sorted()
        }
    }

    // MARK: - Internals

    /// Called by `ExtensionLease.release()`, once per lease.
    func release(_ loaded: Loaded) {
        let toUnload = lock.withLock { state -> ExtensionLibrary? in
            precondition(loaded.leases > 0, "ExtensionLease released for \(loaded.library.path), which has no lease out")
            loaded.leases -= 1
            guard loaded.leases == 0 && (state.shuttingDown || !loaded.isCached) else { return nil }
            state.entries[loaded.library.path] = .unloading
            return loaded.library
        }
        if let toUnload { unloadMarked(toUnload) }
    }

    /// Loads `path`, whose entry this thread has set to `.loading`, without the
    /// lock; then publishes the outcome with `leases` leases and wakes waiters.
    private func loadMarked(_ path: String, leases: Int) throws(ModuleLoadError) -> Loaded {
        let library: ExtensionLibrary
        do {
            library = try ExtensionLibrary.load(path: path)
        } catch {
            lock.withLock { state in state.entries[path] = .failed(error, at: clock()) }
            lock.broadcast()
            // A request's failure is logged once, by the handler, with the client; a cache
            // load (ISAPICacheFile) has no request, so it is logged here.
            if leases == 0 { logger.error("\(error.description)", metadata: ["id": "IS02001"]) }
            throw error
        }
        logLoad(library)
        // A cache-only load (no lease) whose path was dropped, or shutdown began, meanwhile.
        let loaded = Loaded(library, leases: leases, isCached: false)
        let unloadNow = lock.withLock { state -> Bool in
            loaded.isCached = state.cached.contains(path)
            if leases == 0 && (state.shuttingDown || !loaded.isCached) {
                state.entries[path] = .unloading
                return true
            }
            state.entries[path] = .loaded(loaded)
            return false
        }
        lock.broadcast()
        if unloadNow { unloadMarked(library) }
        return loaded
    }

    /// The load line (what a porter checks first: the description, the version, the
    /// optional exports found) and, for a DllMain that is defined but not exported, how
    /// to fix the build: such a DllMain is never called, and the extension typically
    /// crashes on its first request with nothing else to say why.
    private func logLoad(_ library: ExtensionLibrary) {
        let exports = library.optionalExports.isEmpty
            ? "neither DllMain nor TerminateExtension" : library.optionalExports.joined(separator: ", ")
        let description = LogText.quoted(library.extensionDescriptionBytes)
        logger.info("loaded \(library.path): \(description) version \(library.versionText), exports \(exports)",
                    metadata: LogText.metadata(id: "IS02040"))
        let firstLoad = lock.withLock { $0.inspectedPaths.insert(library.path).inserted }
        if firstLoad && library.dllMainPresence == .hidden {
            logger.warning("\(Self.hiddenDllMainWarning(library.path))", metadata: ["id": "IS02041"])
        }
    }

    /// IS02041's text: what is wrong with the library at `path`, and the fix.
    static func hiddenDllMainWarning(_ path: String) -> String { ISAPIModule.hiddenDllMainWarning(path) }

    /// Unloads `library`, whose entry this thread has set to `.unloading`,
    /// without the lock; then forgets the entry and wakes waiters.
    private func unloadMarked(_ library: ExtensionLibrary) {
        library.unload()
        logger.debug("unloaded ISAPI extension", metadata: ["path": "\(library.path)"])
        lock.withLock { state in state.entries[library.path] = nil }
        lock.broadcast()
    }
}
