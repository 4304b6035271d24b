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
    private var entries: [Key: (generation: Int, config: Shared<DirectoryConfig>)] = [:]

    init(files: FileCache) {
        self.files = files
    }

    /// What the cache holds for a key.
    enum Lookup {
        case hit(Shared<DirectoryConfig>)
        /// Merge it, then `store` it with this generation (read before the merge).
        case miss(generation: Int)
    }

    func lookup(_ key: Key) -> Lookup {
        let generation = files.generation
        guard let entry = lock.withLock({ entries[key] }), entry.generation == generation else {
            return .miss(generation: generation)
        }
        return .hit(entry.config)
    }

    /// Keeps a merge made at `generation` (a change heard since makes it stale at once).
    func store(_ config: Shared<DirectoryConfig>, for key: Key, generation: Int) {
        lock.withLock {
            if entries.count >= Self.maxEntries { entries.removeAll(keepingCapacity: true) }
            entries[key] = (generation, config)
        }
    }
}
