import Foundation
import PCRE2Regex

/// A `<Directory>`, `<Files>` or `<Location>` section (or its `Match` / `~` form)
/// with the per-directory settings written inside it.
public struct ConfigSection: Sendable {
    public enum Kind: Sendable, Equatable {
        case directory
        case files
        case location
    }

    public enum Pattern: Sendable {
        /// A literal path or URL (segment-boundary prefix); for `<Files>`, a literal name.
        case literal(String)
        /// Shell wildcards: `*`, `?`, `[...]` never match `/`.
        case wildcard(String)
        case regex(RegexPattern)
    }

    public let kind: Kind
    public let pattern: Pattern
    public let config: DirectoryConfig
    /// `<Files>` sections written inside a `<Directory>`: they apply only under it.
    public let nestedFiles: [ConfigSection]
    public let location: SourceLocation
    /// Path components of a non-regex `<Directory>`; Apache applies shorter ones first.
    let componentCount: Int
    /// A literal `<Directory>` path with its trailing `/`, as directories are compared.
    private let directoryPrefix: String?

    public init(kind: Kind, pattern: Pattern, config: DirectoryConfig, nestedFiles: [ConfigSection],
                location: SourceLocation) {
        self.kind = kind
        self.pattern = pattern
        self.config = config
        self.nestedFiles = nestedFiles
        self.location = location
        switch pattern {
        case .literal(let path):
            componentCount = path.split(separator: "/").count
            directoryPrefix = path.hasSuffix("/") ? path : path + "/"
        case .wildcard(let path):
            componentCount = path.split(separator: "/").count
            directoryPrefix = nil
        case .regex:
            componentCount = Int.max
            directoryPrefix = nil
        }
    }

    public var isRegex: Bool {
        if case .regex = pattern { return true }
        return false
    }

    /// Whether a `<Directory>` section covers a directory (absolute, with a trailing `/`).
    func matchesDirectory(_ directory: String) -> Bool {
        switch pattern {
        case .literal:
            return directory.hasPrefix(directoryPrefix ?? "/")
        case .wildcard(let path):
            let wanted = path.split(separator: "/")
            let have = directory.split(separator: "/")
            guard have.count >= wanted.count else { return false }
            for (pattern, component) in zip(wanted, have) where fnmatch(String(pattern), String(component), 0) != 0 {
                return false
            }
            return true
        case .regex(let regex):
            return regex.matches(directory)
        }
    }

    /// Whether a `<Files>` section covers a file's base name.
    func matchesFileName(_ name: String) -> Bool {
        switch pattern {
        case .literal(let literal): return literal == name
        case .wildcard(let wildcard): return fnmatch(wildcard, name, FNM_PATHNAME) == 0
        case .regex(let regex): return regex.matches(name)
        }
    }

    /// Whether a `<Location>` section covers a URL path.
    func matchesURLPath(_ path: String) -> Bool {
        switch pattern {
        case .literal(let prefix): return matchPathPrefix(prefix, path) != nil
        case .wildcard(let wildcard):
            let depth = wildcard.split(separator: "/", omittingEmptySubsequences: false).count
            let head = path.split(separator: "/", omittingEmptySubsequences: false).prefix(depth).joined(separator: "/")
            return fnmatch(wildcard, head, FNM_PATHNAME) == 0
        case .regex(let regex): return regex.matches(path)
        }
    }
}
