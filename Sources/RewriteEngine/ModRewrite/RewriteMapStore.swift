import Foundation

/// The RewriteMaps' data: txt and rnd files parsed once and re-read when they change,
/// and the int: functions. Shared by all requests.
public final class RewriteMapStore: @unchecked Sendable {
    private struct LoadedFile {
        var signature: FileSignature
        var entries: [String: String]
    }

    // Guarded by `lock`.
    private let lock = NSLock()
    private var files: [String: LoadedFile] = [:]

    public init() {}

    /// `${name:key}` among `maps`: the value, or nil when the map or the key is unknown.
    func lookup(_ name: String, key: String, in maps: [String: RewriteMapDefinition]) -> String? {
        guard let map = maps[name] else { return nil }
        switch map.source {
        case .internalFunction(let function):
            // Apache's tolower/toupper change ASCII letters only (C locale).
            switch function {
            case "tolower": return String(decoding: key.utf8.map { (65...90).contains($0) ? $0 + 32 : $0 }, as: UTF8.self)
            case "toupper": return String(decoding: key.utf8.map { (97...122).contains($0) ? $0 - 32 : $0 }, as: UTF8.self)
            case "escape": return URIEscaping.escapePath(key)
            case "unescape": return URIEscaping.percentDecode(key)
            default: return nil
            }
        case .text(let path, let random):
            guard let value = entries(path)?[key] else { return nil }
            guard random else { return value }
            let choices = value.split(separator: "|", omittingEmptySubsequences: false)
            return choices.randomElement().map(String.init)
        }
    }

    /// The key/value lines of a txt/rnd map, re-read when the file changed.
    private func entries(_ path: String) -> [String: String]? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        let signature = FileSignature(status)
        if let loaded = lock.withLock({ files[path] }), loaded.signature == signature { return loaded.entries }
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let parsed = Self.parse(String(decoding: data, as: UTF8.self))
        lock.withLock { files[path] = LoadedFile(signature: signature, entries: parsed) }
        return parsed
    }

    /// `key value` per line; `#` comments; the first definition of a key wins, as
    /// Apache's linear search finds it first.
    static func parse(_ text: String) -> [String: String] {
        var entries: [String: String] = [:]
        for line in text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            let trimmed = line.trimmingWhitespace()
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let words = trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard words.count >= 2 else { continue }
            let key = String(words[0])
            if entries[key] == nil { entries[key] = String(words[1]) }
        }
        return entries
    }
}
