import Foundation
import ServerConfig

/// The `.htaccess` files of one configuration, looked up through the file cache: where
/// `AllowOverride` lets a directory have one, whether it is there is known from the
/// cache (and changes when the watcher says so), and a file that is there is compiled
/// once per version. Reading and compiling stay with `HtaccessCache`.
final class CachedAccessFiles: AccessFileSource, @unchecked Sendable {
    private let files: FileCache
    private let compiled: HtaccessCache
    // Guarded by `lock`: each compiled file with the status it was compiled at.
    private let lock = NSLock()
    private var byPath: [String: (status: FileStatus, file: HtaccessFile)] = [:]

    init(files: FileCache, compiled: HtaccessCache) {
        self.files = files
        self.compiled = compiled
    }

    func accessFile(in directory: String, names: [String]) throws(HtaccessError) -> HtaccessFile? {
        for name in names {
            let path = directory + name
            switch files.lookup(path) {
            case .failed(let code) where code == ENOENT || code == ENOTDIR:
                continue
            case .failed(let code):
                throw .unreadable(path: path, reason: String(cString: strerror(code)))
            case .found(let file):
                guard file.status.isRegularFile else { throw .unreadable(path: path, reason: "not a regular file") }
                if let known = lock.withLock({ byPath[path] }), known.status == file.status { return known.file }
                guard let fresh = try compiled.accessFile(in: directory, names: [name]) else { continue }
                lock.withLock {
                    if byPath.count >= HtaccessCache.defaultMaxEntries { byPath.removeAll(keepingCapacity: true) }
                    byPath[path] = (file.status, fresh)
                }
                return fresh
            }
        }
        return nil
    }
}
