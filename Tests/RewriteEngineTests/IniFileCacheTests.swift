import Foundation
import Testing
@testable import RewriteEngine

/// `hasRules` lets a request skip the httpd.ini phase: it must follow the files loaded.
@Suite struct IniFileCacheTests {
    @Test func hasRulesFollowsTheFilesLoaded() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ini-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let site = directory.appendingPathComponent("httpd.ini").path
        let empty = directory.appendingPathComponent("empty.ini").path
        let cache = IniFileCache()
        #expect(!cache.hasRules)

        try "[ISAPI_Rewrite]\n".write(toFile: empty, atomically: true, encoding: .utf8)
        #expect(cache.rules(at: empty) != nil)
        #expect(!cache.hasRules, "a file without a rule")

        try "[ISAPI_Rewrite]\nRewriteRule /old /new\n".write(toFile: site, atomically: true, encoding: .utf8)
        #expect(cache.rules(at: site)?.rules.count == 1)
        #expect(cache.hasRules)

        try FileManager.default.removeItem(atPath: site)
        #expect(cache.rules(at: site) == nil)
        #expect(!cache.hasRules, "the file with the rule is gone")
    }
}
