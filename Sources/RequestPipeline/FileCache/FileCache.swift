import Foundation
import Synchronization

/// The open-file and stat cache of a serving process (nginx's `open_file_cache`): what
/// `stat` said about a path (including that it is not there), and for a small regular
/// file its bytes and the constant part of its response head, so that a static request
/// makes no system call of its own; and whether a path is a symbolic link (`lstat`),
/// which `Options` without FollowSymLinks asks of every component of every request's
/// path, as Apache does.
///
/// Entries are invalidated by events, not probed per request: every entry's directory
/// is watched with inotify (`DirectoryWatcher`), and a change there drops the entries
/// it concerns; a thread the daemon starts runs `watchForever`. Where inotify is silent
/// (NFS, a refused watch) the time bound holds: an entry older than `validSeconds`
/// (`FileCacheValid`) is looked at again. At most `maxEntries` are kept (a clock:
/// entries unused since the last sweep go first). The cache outlives reloads; what
/// depends on the configuration is cached by the pipeline of that configuration.
public final class FileCache: FileSystem, @unchecked Sendable {
    /// nginx's `open_file_cache … valid=` default.
    public static let defaultValidSeconds = 60
    public static let defaultMaxEntries = 10_000
    /// Files up to this size are kept in memory (the size FileBody reads rather than sendfiles).
    public static let contentLimit: Int64 = 32 * 1024
    /// At most this many bytes of file content are kept by default; beyond it entries keep none.
    public static let defaultContentBudget = 64 * 1024 * 1024

    /// What a lookup found.
    enum Lookup {
        case found(CachedFile)
        /// `stat` failed with this errno (ENOENT and ENOTDIR: not there).
        case failed(CInt)
    }

    // A class, so that a hit only sets its bit instead of writing the dictionary back.
    private final class Entry<Value> {
        let value: Value
        let checkedAt: Int64
        var referenced = true

        init(_ value: Value, checkedAt: Int64) {
            self.value = value
            self.checkedAt = checkedAt
        }
    }

    private let watcher = DirectoryWatcher()
    private let maxEntries: Int
    /// At most this many bytes of file content are kept; beyond it entries keep none. The
    /// mappings that keep entries (`MappedPathCache`) hold themselves to it too.
    let contentBudget: Int
    private let local = LocalFileSystem()
    /// How many changes have been heard (the entries' generation), and `FileCacheValid`:
    /// atomics, because every request reads them (`now`) without the lock. A change is
    /// counted under the lock, with the entries it drops, so that a reader holding the
    /// lock sees both or neither.
    private let changes = Atomic<Int>(0)
    private let validSeconds: Atomic<Int64>
    // Everything below is guarded by `lock`.
    private let lock = NSLock()
    private var entries: [String: Entry<Lookup>] = [:]
    /// What `lstat` said: whether the path is a symbolic link (false also when it is not there).
    private var links: [String: Entry<Bool>] = [:]
    private var contentBytes = 0
    private var listeners: [Int: (paths: [String], onChange: @Sendable (String) -> Void)] = [:]
    private var nextListener = 0

    public init(validSeconds: Int = FileCache.defaultValidSeconds, maxEntries: Int = FileCache.defaultMaxEntries,
                contentBudget: Int = FileCache.defaultContentBudget) {
        self.validSeconds = Atomic(Int64(validSeconds))
        self.maxEntries = maxEntries
        self.contentBudget = contentBudget
    }

    /// `FileCacheValid` of the configuration now loaded.
    public func setValidSeconds(_ seconds: Int) { validSeconds.store(Int64(seconds), ordering: .releasing) }

    /// When something computed from entries (a merged per-directory configuration) was
    /// made, as the cache sees time: it is stale once the watcher has invalidated
    /// anything since (`generation`, its count of invalidations), or once it is as old as
    /// an entry may be (`FileCacheValid`: the bound where inotify is silent).
    struct Moment {
        let generation: Int
        let seconds: Int64

        /// Whether what was made at `self` still holds at `now`.
        func holds(at now: Moment, validSeconds: Int64) -> Bool {
            generation == now.generation && now.seconds - seconds < validSeconds
        }

        /// This moment, or an earlier time (an entry checked before it) when what was
        /// made then rests on that.
        func notAfter(_ checkedAt: Int64?) -> Moment {
            guard let checkedAt, checkedAt < seconds else { return self }
            return Moment(generation: generation, seconds: checkedAt)
        }
    }

    /// Now, with the bound things made from entries are held to.
    var now: (moment: Moment, validSeconds: Int64) {
        let seconds = Self.monotonicSeconds()
        return (Moment(generation: changes.load(ordering: .acquiring), seconds: seconds),
                validSeconds.load(ordering: .acquiring))
    }

    /// Whether change events can be heard (inotify could be set up); when not, only
    /// the time bound (`FileCacheValid`) brings changes in.
    public var hearsChanges: Bool { watcher.isAvailable }

    /// How many paths are cached now.
    var count: Int { lock.withLock { entries.count } }

    // MARK: FileSystem

    public func status(_ path: String) -> FileStatus? {
        if case .found(let file) = lookup(path) { return file.status }
        return nil
    }

    /// Whether `path` is a symbolic link, from the cache when the entry is fresh: a link
    /// made, removed or renamed over is an event in the directory it is in, which is
    /// watched before the `lstat`, as for `lookup`.
    public func isSymbolicLink(_ path: String) -> Bool {
        let now = Self.monotonicSeconds()
        let (cached, generation): (Bool?, Int) = lock.withLock {
            let generation = changes.load(ordering: .relaxed)
            guard let entry = links[path], now - entry.checkedAt < validSeconds.load(ordering: .relaxed) else {
                return (nil, generation)
            }
            entry.referenced = true
            return (entry.value, generation)
        }
        if let cached { return cached }
        if case .notADirectory = watchDirectory(of: path, walkingUp: false) { return local.isSymbolicLink(path) }
        let isLink = local.isSymbolicLink(path)
        lock.withLock {
            guard changes.load(ordering: .relaxed) == generation else { return }
            if links.count >= maxEntries { links = Self.swept(links, limit: maxEntries) }
            links[path] = Entry(isLink, checkedAt: now)
        }
        return isLink
    }

    public func owners(_ path: String) -> (link: UInt32, target: UInt32)? { local.owners(path) }

    // MARK: Lookups

    /// The file at `path` as the cache knows it, when it is still the one `status` describes.
    public func file(_ path: String, matching status: FileStatus) -> CachedFile? {
        guard case .found(let file) = lookup(path), file.status == status else { return nil }
        return file
    }

    /// What `stat` says about `path`, from the cache when the entry is fresh.
    func lookup(_ path: String) -> Lookup { datedLookup(path).lookup }

    /// `lookup`, with when what it says was checked (on the cache's clock): what is made
    /// from it holds no longer than the entry does.
    func datedLookup(_ path: String) -> (lookup: Lookup, checkedAt: Int64) {
        let now = Self.monotonicSeconds()
        let (cached, generation, keepsContent): ((Lookup, Int64)?, Int, Bool) = lock.withLock {
            let generation = changes.load(ordering: .relaxed)
            guard let entry = entries[path], now - entry.checkedAt < validSeconds.load(ordering: .relaxed) else {
                return (nil, generation, contentBytes < contentBudget)
            }
            entry.referenced = true
            return ((entry.value, entry.checkedAt), generation, false)
        }
        if let cached { return cached }
        // Watched before the stat: a change after the stat is then always heard. A path
        // whose directory does not exist is not kept (its parent's entry is, and that
        // directory appearing is heard there); walking up from it instead would cost a
        // failed inotify_add_watch per missing level, per level, on a deep made-up path.
        // Where no watch can be set at all, the time bound alone holds, as on NFS.
        if case .notADirectory = watchDirectory(of: path, walkingUp: false) {
            return (Self.lookUp(path, keepingContent: false), now)
        }
        let lookup = Self.lookUp(path, keepingContent: keepsContent)
        lock.withLock {
            // A change heard while this stat ran may postdate it: keep nothing then.
            guard changes.load(ordering: .relaxed) == generation else { return }
            if entries.count >= maxEntries { sweep() }
            if let old = entries.updateValue(Entry(lookup, checkedAt: now), forKey: path) {
                contentBytes -= old.value.contentSize
            }
            contentBytes += lookup.contentSize
        }
        return (lookup, now)
    }

    private static func lookUp(_ path: String, keepingContent: Bool) -> Lookup {
        var info = stat()
        guard stat(path, &info) == 0 else { return .failed(errno) }
        return .found(CachedFile(path: path, info, keepingContent: keepingContent))
    }

    /// The clock sweep: entries not used since the last sweep go; if all were, all go.
    private func sweep() {
        entries = Self.swept(entries, limit: maxEntries)
        countContent()
    }

    private static func swept<Value>(_ table: [String: Entry<Value>], limit: Int) -> [String: Entry<Value>] {
        var kept = table.filter { $0.value.referenced }
        if kept.count >= limit / 2 { kept.removeAll(keepingCapacity: true) }
        for entry in kept.values { entry.referenced = false }
        return kept
    }

    private func countContent() {
        contentBytes = entries.values.reduce(0) { $0 + $1.value.contentSize }
    }

    /// Watches the directory `path` is in, or (`walkingUp`) the nearest existing one above it.
    private func watchDirectory(of path: String, walkingUp: Bool) -> DirectoryWatcher.WatchResult {
        var directory = Substring(path)
        while directory.count > 1 {
            if directory.hasSuffix("/") { directory = directory.dropLast() }
            guard let slash = directory.lastIndex(of: "/") else { return .notADirectory }
            directory = slash == directory.startIndex ? "/" : directory[..<slash]
            let result = watcher.watch(String(directory))
            guard case .notADirectory = result, walkingUp else { return result }
        }
        return .notADirectory
    }

    // MARK: Listeners

    /// Calls `onChange` (on the watcher thread) with one of `paths` when something about
    /// it may have changed, and each `validSeconds` for all of them (the bound where
    /// events are silent). Returns the id for `removeListener`.
    public func addListener(paths: [String], onChange: @escaping @Sendable (String) -> Void) -> Int {
        for path in paths { _ = watchDirectory(of: path, walkingUp: true) }
        return lock.withLock {
            nextListener += 1
            listeners[nextListener] = (paths, onChange)
            return nextListener
        }
    }

    public func removeListener(_ id: Int) { _ = lock.withLock { listeners.removeValue(forKey: id) } }

    // MARK: The watcher thread

    /// Reads change events and drops the entries they concern until `stop`; the daemon
    /// runs it on a thread of its own. Returns at once where inotify is unavailable.
    public func watchForever() {
        guard watcher.isAvailable else { return }
        while true {
            let timeout = CInt(clamping: max(validSeconds.load(ordering: .relaxed), 1) * 1000)
            guard let changes = watcher.waitForChanges(timeout: timeout) else { return }
            let targets: [String?] = changes.map { change in
                switch change {
                case .overflow: return nil
                case .entry(let directory, let name):
                    return name.isEmpty ? directory : (directory == "/" ? "/" : directory + "/") + name
                }
            }
            // Nothing heard for a while: the listeners look at their files all the same.
            let called = targets.isEmpty ? allListenerPaths() : invalidate(targets)
            for (onChange, path) in called { onChange(path) }
        }
    }

    private func allListenerPaths() -> [(@Sendable (String) -> Void, String)] {
        lock.withLock { listeners.values.flatMap { listener in listener.paths.map { (listener.onChange, $0) } } }
    }

    /// Wakes `watchForever` for good.
    public func stop() { watcher.stop() }

    /// Drops the entries at or under each target (nil: everything) and returns the
    /// listeners to call.
    private func invalidate(_ targets: [String?]) -> [(@Sendable (String) -> Void, String)] {
        lock.withLock {
            changes.add(1, ordering: .releasing)
            let everything = targets.contains(nil)
            let prefixes = targets.compactMap { $0.map { $0.hasSuffix("/") ? $0 : $0 + "/" } }
            func concerns(_ path: String) -> Bool {
                everything || prefixes.contains { path.hasPrefix($0) || path == $0.dropLast() }
            }
            entries = entries.filter { !concerns($0.key) }
            links = links.filter { !concerns($0.key) }
            countContent()
            return listeners.values.flatMap { listener in
                listener.paths.filter(concerns).map { (listener.onChange, $0) }
            }
        }
    }

    static func monotonicSeconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC_COARSE, &now)
        return Int64(now.tv_sec)
    }
}

extension FileCache.Lookup {
    /// Bytes of file content the entry holds.
    var contentSize: Int {
        if case .found(let file) = self { return file.contentSize }
        return 0
    }
}
