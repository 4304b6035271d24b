import Foundation
import RewriteEngine

/// Why an access file stops a request, as Apache answers it.
public enum HtaccessError: Error, Sendable, Equatable {
    /// A syntax error, an unknown directive, a directive `AllowOverride` does not allow,
    /// or bad arguments: 500 for every request under the file's directory.
    case invalid(ConfigError)
    /// The file (or its directory) exists but cannot be read: 403, "denying access to be safe".
    case unreadable(path: String, reason: String)

    /// The status Apache answers with.
    public var status: Int {
        switch self {
        case .invalid: return 500
        case .unreadable: return 403
        }
    }
}

/// Where the per-directory lookup gets the access file of a directory.
public protocol AccessFileSource: Sendable {
    /// The access file in `directory` (absolute, ending in `/`): the first of `names`
    /// that exists, compiled; nil when none does.
    func accessFile(in directory: String, names: [String]) throws(HtaccessError) -> HtaccessFile?
}

/// The access files of one loaded configuration, each compiled once and kept with the
/// `stat` signature it was read with.
///
/// Every lookup `stat`s the file, so an edit applies to the next request and a deleted
/// file stops applying; a missing file costs one failed `stat` and nothing else. Only
/// the dictionary is under the lock: files are read and compiled outside it, so a slow
/// file holds up no other request (two requests may then compile the same edit twice,
/// which is harmless). The file is `stat`ed before it is read, so what is cached is never
/// older than its signature. The pipeline owns one and drops it on reload.
public final class HtaccessCache: AccessFileSource, @unchecked Sendable {
    private struct Entry {
        var signature: FileSignature
        var file: HtaccessFile
    }

    /// Above this many cached files the cache starts over (deleted files leave entries).
    public static let defaultMaxEntries = 10_000

    private let compiler: HtaccessCompiler
    private let maxEntries: Int
    // `entries` and `compiles` are guarded by `lock`.
    private let lock = NSLock()
    private var entries: [String: Entry] = [:]
    private var compiles = 0

    /// - Parameters:
    ///   - configuration: the loaded configuration: ServerRoot and `Define`s for the files.
    ///   - table: the directives the files may use (tests add their own).
    public init(configuration: ServerConfiguration, table: DirectiveTable = .standard,
                maxEntries: Int = HtaccessCache.defaultMaxEntries) {
        self.compiler = HtaccessCompiler(configuration: configuration, table: table)
        self.maxEntries = maxEntries
    }

    /// How many times a file was read and compiled: a cache hit adds nothing.
    public var compileCount: Int { lock.withLock { compiles } }

    public func accessFile(in directory: String, names: [String]) throws(HtaccessError) -> HtaccessFile? {
        for name in names {
            let path = directory + name
            var status = stat()
            guard stat(path, &status) == 0 else {
                let code = errno
                if code == ENOENT || code == ENOTDIR { continue }
                throw .unreadable(path: path, reason: String(cString: strerror(code)))
            }
            guard status.st_mode & S_IFMT == S_IFREG else {
                throw .unreadable(path: path, reason: "not a regular file")
            }
            let signature = FileSignature(status)
            let cached: HtaccessFile? = lock.withLock {
                guard let entry = entries[path], entry.signature == signature else { return nil }
                return entry.file
            }
            if let cached { return cached }

            let text: String
            do {
                text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
            } catch {
                throw .unreadable(path: path, reason: ConfigTreeBuilder.reason(error))
            }
            let file = compiler.compile(text, path: path, directory: directory)
            lock.withLock {
                if entries.count >= maxEntries { entries.removeAll(keepingCapacity: true) }
                entries[path] = Entry(signature: signature, file: file)
                compiles += 1
            }
            return file
        }
        return nil
    }
}
