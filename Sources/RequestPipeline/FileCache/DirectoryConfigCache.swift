import Foundation
import ServerConfig

/// The merged per-directory configurations of one loaded configuration, by virtual
/// host, file path and URL path: the merge (sections by depth, `.htaccess` files,
/// `<Files>`, `<Location>`) is worked out once per path rather than per request. It
/// depends on the configuration, which this cache belongs to (the pipeline owns one),
/// and on the `.htaccess` files, so an entry holds only while the file cache's
/// generation (its count of change events) has not moved.
final class DirectoryConfigCache: @unchecked Sendable {
    struct Key: Hashable {
        let hostID: Int
        let filePath: String?
        let isDirectory: Bool
        let urlPath: String
    }

    static let maxEntries = 10_000

    private let files: FileCache
    // Guarded by `lock`.
    private let lock = NSLock()
    private var entries: [Key: (generation: Int, config: DirectoryConfig)] = [:]

    init(files: FileCache) {
        self.files = files
    }

    /// The configuration merged for `key`, from the cache or from `merge` (whose result
    /// is kept unless it throws).
    func config(for key: Key, merge: () throws(HtaccessError) -> DirectoryConfig) throws(HtaccessError) -> DirectoryConfig {
        let generation = files.generation
        if let hit = lock.withLock({ entries[key] }), hit.generation == generation { return hit.config }
        let config = try merge()
        lock.withLock {
            if entries.count >= Self.maxEntries { entries.removeAll(keepingCapacity: true) }
            entries[key] = (generation, config)
        }
        return config
    }
}
