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
    }

    static let maxEntries = 10_000

    // Guarded by `lock`.
    private let lock = NSLock()
    private var byPath: [String: Memo] = [:]

    /// The type for `path` under `config`, remembered or from `compute`.
    func type(for path: String, _ config: DirectoryConfig, compute: () -> String?) -> String? {
        guard config.typesByExtension.isEmpty else { return compute() }
        if let memo = lock.withLock({ byPath[path] }), memo.forceType == config.forceType,
           memo.charset == config.addDefaultCharset {
            return memo.type
        }
        let type = compute()
        lock.withLock {
            if byPath.count >= Self.maxEntries { byPath.removeAll(keepingCapacity: true) }
            byPath[path] = Memo(forceType: config.forceType, charset: config.addDefaultCharset, type: type)
        }
        return type
    }
}
