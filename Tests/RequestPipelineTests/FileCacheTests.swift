import Foundation
import Testing
@testable import RequestPipeline

/// The open-file and stat cache: a lookup is answered from memory until the watcher
/// hears of a change (or the time bound passes), and what it keeps is bounded.
@Suite struct FileCacheTests {
    /// A cache with its watcher thread running until `stop`.
    final class Watched {
        let cache: FileCache

        init(_ cache: FileCache = FileCache()) {
            self.cache = cache
            let cache = cache
            Thread { cache.watchForever() }.start()
        }

        deinit { cache.stop() }
    }

    @Test func aLookupIsAnsweredFromMemoryUntilTheWatcherHearsOfAChange() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        let path = tree.write("htdocs/a.txt", "alpha\n")
        let cache = FileCache()
        #expect(cache.status(path)?.size == 6)
        #expect(cache.file(path, matching: try #require(cache.status(path)))?.content == Array("alpha\n".utf8))
        try FileManager.default.removeItem(atPath: path)
        // No watcher thread yet: the cache still answers what it saw.
        #expect(cache.status(path)?.size == 6)
        let watched = Watched(cache)
        #expect(eventually { watched.cache.status(path) == nil })
    }

    @Test func aMissingFileCreatedLaterIsSeen() {
        let tree = PipelineTree()
        defer { tree.remove() }
        let watched = Watched()
        let path = tree.root + "/htdocs/later/new.txt"
        #expect(watched.cache.status(path) == nil)
        tree.write("htdocs/later/new.txt", "new\n")
        #expect(eventually { watched.cache.status(path)?.size == 4 })
    }

    @Test func editedRenamedOverAndChmodedFilesAreSeen() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        let watched = Watched()
        let path = tree.write("htdocs/a.txt", "one\n")
        let first = try #require(watched.cache.status(path))
        tree.write("htdocs/a.txt", "two, longer\n")
        #expect(eventually { watched.cache.file(path, matching: watched.cache.status(path) ?? first)?.content == Array("two, longer\n".utf8) })
        let replacement = tree.write("htdocs/.a.txt.new", "three\n")
        #expect(rename(replacement, path) == 0)
        #expect(eventually { watched.cache.file(path, matching: watched.cache.status(path) ?? first)?.content == Array("three\n".utf8) })
        #expect(eventually { watched.cache.count == 1 })
        // A permission change keeps inode, size and mtime: the entry must go all the same
        // (the bytes it holds may not be readable any more).
        #expect(chmod(path, 0o000) == 0)
        #expect(eventually { watched.cache.count == 0 })
        #expect(chmod(path, 0o644) == 0)
    }

    @Test func aDirectoryReplacedByALinkIsSeen() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        tree.write("htdocs/real/a.txt", "a\n")
        tree.write("elsewhere/a.txt", "b\n")
        let path = tree.root + "/htdocs/real"
        let cache = FileCache()
        #expect(!cache.isSymbolicLink(path))
        try FileManager.default.removeItem(atPath: path)
        #expect(symlink(tree.root + "/elsewhere", path) == 0)
        // No watcher thread yet: the cache still answers what it saw.
        #expect(!cache.isSymbolicLink(path))
        let watched = Watched(cache)
        #expect(eventually { watched.cache.isSymbolicLink(path) })
        #expect(unlink(path) == 0)
        #expect(mkdir(path, 0o755) == 0)
        #expect(eventually { !watched.cache.isSymbolicLink(path) })
    }

    @Test func theTimeBoundHoldsWhereNoEventComes() {
        let tree = PipelineTree()
        defer { tree.remove() }
        let path = tree.write("htdocs/a.txt", "one\n")
        // No watcher thread: only FileCacheValid can bring the change in.
        let cache = FileCache(validSeconds: 1)
        #expect(cache.status(path)?.size == 4)
        tree.write("htdocs/a.txt", "two, longer\n")
        #expect(eventually(timeout: 5) { cache.status(path)?.size == 12 })
    }

    @Test func theEntryCountIsBounded() {
        let tree = PipelineTree()
        defer { tree.remove() }
        let cache = FileCache(maxEntries: 8)
        for index in 0..<50 { _ = cache.status(tree.write("htdocs/f\(index).txt", "x")) }
        #expect(cache.count <= 8)
        #expect(cache.status(tree.root + "/htdocs/f49.txt")?.size == 1)
    }

    /// A made-up deep path costs a stat and a failed watch per level, as before the cache:
    /// a path whose directory is missing is not kept, its nearest parent's entry is.
    @Test func aPathInAMissingDirectoryIsNotKept() {
        let tree = PipelineTree()
        defer { tree.remove() }
        let cache = FileCache()
        #expect(cache.status(tree.htdocs + String(repeating: "/x", count: 200) + "/f.txt") == nil)
        #expect(cache.count == 0)
        #expect(cache.status(tree.htdocs + "/x") == nil)
        #expect(cache.count == 1)
    }

    @Test func onlySmallFilesKeepTheirBytes() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        let small = tree.write("htdocs/small.txt", String(repeating: "s", count: 100))
        let large = tree.write("htdocs/large.txt", String(repeating: "l", count: Int(FileCache.contentLimit) + 1))
        let cache = FileCache()
        #expect(cache.file(small, matching: try #require(cache.status(small)))?.content?.count == 100)
        let cachedLarge = cache.file(large, matching: try #require(cache.status(large)))
        #expect(cachedLarge != nil && cachedLarge?.content == nil)
        #expect(cachedLarge?.lastModified == PipelineTree.mtimeHTTPDate)
    }

    @Test func listenersHearOfTheirPathsAppearing() {
        let tree = PipelineTree()
        defer { tree.remove() }
        let watched = Watched()
        let heard = HeardPaths()
        let path = tree.root + "/htdocs/httpd.ini"
        _ = watched.cache.addListener(paths: [path]) { heard.add($0) }
        tree.write("htdocs/other.txt", "x")
        tree.write("htdocs/httpd.ini", "[ISAPI_Rewrite]\n")
        #expect(eventually { heard.paths.contains(path) })
        #expect(!heard.paths.contains(tree.root + "/htdocs/other.txt"))
    }

    final class HeardPaths: @unchecked Sendable {
        private let lock = NSLock()
        private var list: [String] = []
        var paths: [String] { lock.withLock { list } }
        func add(_ path: String) { lock.withLock { list.append(path) } }
    }
}

/// Polls `condition` until it holds or `timeout` seconds pass.
func eventually(timeout: Double = 3, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if condition() { return true }
        usleep(10_000)
    }
    return condition()
}
