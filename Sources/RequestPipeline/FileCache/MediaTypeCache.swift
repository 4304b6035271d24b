import Foundation
import ServerConfig

/// The Content-Type of static files by path, for one loaded configuration (the
/// pipeline owns one): working it out from the file name's extensions costs more than
/// looking it up. A remembered type is used only where it cannot differ: no `AddType`
/// or `RemoveType` in force (else the merged extension table would have to be compared)
/// and the same `ForceType` and `AddDefaultCharset` as when it was worked out.
final class MediaTypeCache: @unchecked Sendable {
    private struct Memo {
        let forceType: String?
        let charset: String??
        let type: String?
        /// The full answer's fields for one version of the file (`storeFields`).
        var fields: FileFields?
    }

    /// A static file's 200 fields (validators, Accept-Ranges, type), encoded once: the
    /// same for every request while the file (`status`: inode, size, time) and its type stay.
    struct FileFields {
        let status: FileStatus
        let contentType: String?
        let headers: HeaderFields
    }

    static let maxEntries = 10_000

    // Guarded by `lock`.
    private let lock = NSLock()
    private var byPath: [String: Memo] = [:]

    /// The type for `path` under a directory configuration, remembered or from `compute`,
    /// and the full answer's fields stored for the path (one look-up for both). The
    /// configuration is read field by field in its `Shared` box: a copy of a whole
    /// `DirectoryConfig` cost ~550 instructions.
    func type(for path: String, _ config: Shared<DirectoryConfig>, compute: () -> String?) -> (type: String?, fields: FileFields?) {
        guard config.value.typesByExtension.isEmpty else { return (compute(), nil) }
        if let memo = lock.withLock({ byPath[path] }), memo.forceType == config.value.forceType,
           memo.charset == config.value.addDefaultCharset {
            return (memo.type, memo.fields)
        }
        let type = compute()
        lock.withLock {
            if byPath.count >= Self.maxEntries { byPath.removeAll(keepingCapacity: true) }
            byPath[path] = Memo(forceType: config.value.forceType, charset: config.value.addDefaultCharset, type: type)
        }
        return (type, nil)
    }

    /// Keeps a file's full-answer fields (`HeaderFields.encodingOnce`) beside its type.
    func storeFields(_ fields: FileFields, for path: String) {
        lock.withLock { byPath[path]?.fields = fields }
    }
}
