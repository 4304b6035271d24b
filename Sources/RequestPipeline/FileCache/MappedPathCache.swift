import ServerConfig
import Synchronization

/// What each path maps to under one loaded configuration (the pipeline owns one): the
/// merged per-directory configuration (sections by depth, `.htaccess` files, `<Files>`,
/// `<Location>`) and what mod_mime makes of the file's name under it, worked out once
/// per path rather than per request, and found with one look-up (`MappedPath`). It
/// depends on the configuration, which this cache belongs to, and on the filesystem
/// (`.htaccess` files, symbolic links), so an entry holds only while the file cache has
/// heard of no change since it was made, and for no longer than the cache's own
/// entries (`FileCacheValid`, the bound where inotify is silent).
final class MappedPathCache: Sendable {
    /// A URL path of a host, and where phase 4 looks for its file (the DocumentRoot or
    /// an Alias joined with it): what it finds there is the entry's.
    struct Key: Hashable {
        let hostID: Int
        let urlPath: String
        let fullPath: String

        /// The URL path alone stands for the full path, which nearly always follows from
        /// it: hashing the longer full path too cost ~300 instructions a request. Keys
        /// that differ only there share a bucket and are told apart by `==`.
        func hash(into hasher: inout Hasher) {
            hasher.combine(hostID)
            hasher.combine(urlPath)
        }
    }

    static let maxEntries = 10_000

    private let files: FileCache
    /// A `Mutex`, not an `NSLock`: it is taken by every request (~100 instructions less).
    private let state = Mutex(State())

    private struct State {
        var entries: [Key: MappedPath] = [:]
        /// The file content the entries keep alive (their file-cache entries' bytes), held to
        /// the file cache's own budget: an entry keeps its file's bytes after the file cache
        /// has let them go.
        var contentBytes = 0
    }

    /// The file content the entries keep alive now.
    var keptContentBytes: Int { state.withLock { $0.contentBytes } }

    init(files: FileCache) {
        self.files = files
    }

    /// What the cache holds for a key.
    enum Lookup {
        case hit(MappedPath)
        /// Work it out, then `store` it made at this moment (read before the work).
        case miss(FileCache.Moment)
    }

    func lookup(_ key: Key) -> Lookup {
        let (now, validSeconds) = files.now
        guard let entry = state.withLock({ $0.entries[key] }), entry.madeAt.holds(at: now, validSeconds: validSeconds) else {
            return .miss(now)
        }
        return .hit(entry)
    }

    /// Keeps an entry (one made before a change that has been heard since is stale at once).
    /// Past `maxEntries`, or past the file cache's content budget, the entries start over.
    func store(_ entry: MappedPath, for key: Key) {
        let size = entry.contentSize
        state.withLock { state in
            if state.entries.count >= Self.maxEntries || state.contentBytes + size > files.contentBudget {
                state.entries.removeAll(keepingCapacity: true)
                state.contentBytes = 0
            }
            if let old = state.entries.updateValue(entry, forKey: key) { state.contentBytes -= old.contentSize }
            state.contentBytes += size
        }
    }
}
