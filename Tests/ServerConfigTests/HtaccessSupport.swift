import Foundation
@testable import ServerConfig

/// A loaded configuration with an access-file cache, looking files up as the pipeline does.
struct HtaccessSite {
    let tree: TemporaryTree
    let config: ServerConfiguration
    let cache: HtaccessCache

    /// Loads `text` (with `ROOT` replaced by the tree's root) into `tree`.
    init(_ tree: TemporaryTree, _ text: String, table: DirectiveTable = .standard) throws {
        self.tree = tree
        config = try tree.load(text.replacingOccurrences(of: "ROOT", with: tree.root))
        cache = HtaccessCache(configuration: config, table: table)
    }

    /// The merged configuration for `relative` under the tree's root.
    func lookup(_ relative: String, isDirectory: Bool = false, urlPath: String = "/x",
                host: VirtualHost? = nil) throws(HtaccessError) -> DirectoryConfig {
        try (host ?? config.mainHost).directoryConfig(
            filePath: tree.root + "/" + relative, isDirectory: isDirectory, urlPath: urlPath, accessFiles: cache)
    }

    /// The message `lookup` fails with (`file:line: message`), or nil when it succeeds.
    func failure(_ relative: String, isDirectory: Bool = false) -> String? {
        do {
            _ = try lookup(relative, isDirectory: isDirectory)
            return nil
        } catch {
            switch error {
            case .invalid(let problem): return problem.description
            case .unreadable(let path, let reason): return "unreadable \(path): \(reason)"
            }
        }
    }
}

extension TemporaryTree {
    /// Rewrites a file so that its stat signature surely changes (size and times).
    func rewrite(_ relative: String, _ text: String) {
        let path = root + "/" + relative
        try? FileManager.default.removeItem(atPath: path)
        write(relative, text)
    }

    func remove(_ relative: String) {
        try? FileManager.default.removeItem(atPath: root + "/" + relative)
    }
}
