import Foundation
import ServerConfig

/// What each path maps to under one loaded configuration (the pipeline owns one): the
/// merged per-directory configuration (sections by depth, `.htaccess` files, `<Files>`,
/// `<Location>`) and what mod_mime makes of the file's name under it, worked out once
/// per path rather than per request, and found with one look-up (`MappedPath`). It
/// depends on the configuration, which this cache belongs to, and on the `.htaccess`
/// files, so an entry holds only while the file cache's generation (its count of
/// change events) has not moved.
final class MappedPathCache: @unchecked Sendable {
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
    private var entries: [Key: MappedPath] = [:]

    init(files: FileCache) {
        self.files = files
    }

    /// What the cache holds for a key.
    enum Lookup {
        case hit(MappedPath)
        /// Work it out, then `store` it made with this generation (read before the merge).
        case miss(generation: Int)
    }

    func lookup(_ key: Key) -> Lookup {
        let generation = files.generation
        guard let entry = lock.withLock({ entries[key] }), entry.generation == generation else {
            return .miss(generation: generation)
        }
        return .hit(entry)
    }

    /// Keeps an entry (one made before a change that has been heard since is stale at once).
    func store(_ entry: MappedPath, for key: Key) {
        lock.withLock {
            if entries.count >= Self.maxEntries { entries.removeAll(keepingCapacity: true) }
            entries[key] = entry
        }
    }
}
