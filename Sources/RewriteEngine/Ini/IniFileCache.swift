import Foundation
import Synchronization

/// The httpd.ini files in use, each parsed once and re-read when it changes on disk.
///
/// Every lookup `stat`s the file, so an edit takes effect on the next request and a
/// deleted file drops its rules. Each (re)load writes httpd.parse.errors beside the
/// file. Entries not used for `idleSeconds` (CacheClockRate) are dropped.
public final class IniFileCache: @unchecked Sendable {
    /// Called after each (re)load of a file with the rules it produced, e.g. to log it.
    public typealias LoadObserver = @Sendable (_ path: String, _ rules: IniRuleSet) -> Void
    /// Called when a file exists but cannot be read, or its errors file cannot be written.
    public typealias ProblemObserver = @Sendable (_ path: String, _ problem: String) -> Void

    /// ISAPI_Rewrite 2's CacheClockRate default: an hour.
    public static let defaultIdleSeconds = 3600
    /// ISAPI_Rewrite 2 refused configuration files above 2 MB; so do we.
    public static let maxFileSize = 2 * 1024 * 1024

    // A class, so that a hit only stamps the entry instead of writing the dictionary back.
    private final class Entry {
        let signature: FileSignature
        let rules: IniRuleSet
        var lastUsed: Int

        init(signature: FileSignature, rules: IniRuleSet, lastUsed: Int) {
            self.signature = signature
            self.rules = rules
            self.lastUsed = lastUsed
        }
    }

    // `entries` (and each entry's `lastUsed`), `idleSeconds` and `lastSweep` are guarded by `lock`.
    private let lock = NSLock()
    private var entries: [String: Entry] = [:]
    private var idleSeconds = IniFileCache.defaultIdleSeconds
    private var lastSweep = 0
    /// Whether any loaded file has a rule: kept with `entries` so that a request can skip
    /// the rewrite phase without a lock or a look-up while no httpd.ini has rules.
    private let anyRules = Atomic<Bool>(false)
    private let globalFile: String?
    private let onLoad: LoadObserver?
    private let onProblem: ProblemObserver?

    /// - Parameter globalFile: the global httpd.ini, whose CacheClockRate sets how long
    ///   unused files stay cached.
    public init(globalFile: String? = nil, onLoad: LoadObserver? = nil, onProblem: ProblemObserver? = nil) {
        self.globalFile = globalFile
        self.onLoad = onLoad
        self.onProblem = onProblem
    }

    /// The rules of the httpd.ini at `path` as it is now; nil when there is no such file.
    /// `sweeping: false` keeps idle entries (for `loadedRules(at:now:)`, whose caller
    /// reloads on change and has nothing to fall back on).
    public func rules(at path: String, now: Int = Int(time(nil)), sweeping: Bool = true) -> IniRuleSet? {
        var status = stat()
        guard stat(path, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
            lock.withLock {
                _ = entries.removeValue(forKey: path)
                entriesChanged()
            }
            return nil
        }
        let signature = FileSignature(status)
        let cached: IniRuleSet? = lock.withLock {
            if sweeping { sweepIfDue(now: now) }
            guard let entry = entries[path], entry.signature == signature else { return nil }
            entry.lastUsed = now
            return entry.rules
        }
        if let cached { return cached }
        // Parsed outside the lock: a big file must not hold up requests for other files.
        let rules = load(path, size: Int64(status.st_size))
        lock.withLock {
            entries[path] = Entry(signature: signature, rules: rules, lastUsed: now)
            entriesChanged()
            if path == globalFile { idleSeconds = rules.cacheClockRate ?? Self.defaultIdleSeconds }
        }
        onLoad?(path, rules)
        return rules
    }

    /// The rules last loaded from `path`, without looking at the file: for a caller that
    /// hears of changes otherwise (a watcher calling `rules(at:)`) and must not touch the
    /// filesystem per request. Nil when the file was not there at the last look.
    public func loadedRules(at path: String, now: Int) -> IniRuleSet? {
        lock.withLock {
            guard let entry = entries[path] else { return nil }
            entry.lastUsed = now
            return entry.rules
        }
    }

    private func load(_ path: String, size: Int64) -> IniRuleSet {
        let rules: IniRuleSet
        if size > Self.maxFileSize {
            onProblem?(path, "larger than \(Self.maxFileSize) bytes; no rules loaded")
            rules = IniRuleSet.failed(IniParseError(line: 1, message: "file larger than \(Self.maxFileSize) bytes; no rules loaded"))
        } else if let data = FileManager.default.contents(atPath: path) {
            rules = IniParser.parse(String(decoding: data, as: UTF8.self))
        } else {
            onProblem?(path, "cannot be read; no rules loaded")
            return .empty
        }
        writeErrors(rules, besides: path)
        return rules
    }

    /// httpd.parse.errors beside the file: rewritten on each load that found errors,
    /// emptied when a clean load follows a faulty one, never created for a clean file.
    private func writeErrors(_ rules: IniRuleSet, besides path: String) {
        let errorsPath = (path as NSString).deletingLastPathComponent + "/httpd.parse.errors"
        let text = rules.parseErrorsText
        if text.isEmpty && !FileManager.default.fileExists(atPath: errorsPath) { return }
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: errorsPath))
        } catch {
            onProblem?(path, "cannot write \(errorsPath): \(error.localizedDescription)")
        }
    }

    private func sweepIfDue(now: Int) {
        guard now - lastSweep >= 60 else { return }
        lastSweep = now
        let limit = idleSeconds
        entries = entries.filter { now - $0.value.lastUsed < limit }
        entriesChanged()
    }

    /// Whether any httpd.ini loaded now has a rule (false also while none is loaded).
    public var hasRules: Bool { anyRules.load(ordering: .acquiring) }

    /// After each change of `entries` (under `lock`).
    private func entriesChanged() {
        anyRules.store(entries.values.contains { !$0.rules.rules.isEmpty }, ordering: .releasing)
    }
}

extension IniRuleSet {
    /// A rule set with no rules and one error.
    static func failed(_ error: IniParseError) -> IniRuleSet {
        IniRuleSet(rules: [], repeatLimit: defaultRepeatLimit, cacheClockRate: nil, errors: [error])
    }
}
