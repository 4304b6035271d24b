import Foundation

/// One `stat` result as the file cache keeps it, with what a static answer needs of it
/// that depends on the file alone: its validators, formatted once, and the bytes of a
/// small regular file, read once (a file that cannot be read keeps none, and its
/// answer then fails when it is opened, as it did without the cache).
///
/// A class: it rides along from the cache to the mapping, the request and the static
/// answer, and a copy is then one reference count, not five.
public final class CachedFile: Sendable {
    public let path: String
    public let status: FileStatus
    /// Last-Modified's value.
    public let lastModified: String
    /// The strong ETag (Apache's default components); `etag(at:)` weakens it for a file
    /// modified within the last second, as Apache does.
    let strongETag: EntityTag
    /// The whole file, when it is a regular file of at most `FileCache.contentLimit` bytes.
    public let content: [UInt8]?
    /// Bytes of file content kept (what the file cache's budget counts).
    var contentSize: Int { content?.count ?? 0 }

    /// - Parameter keepingContent: whether a small regular file's bytes are read.
    init(path: String, _ info: stat, keepingContent: Bool) {
        let kind = info.st_mode & S_IFMT
        let status = FileStatus(
            isDirectory: kind == S_IFDIR, isRegularFile: kind == S_IFREG, size: Int64(info.st_size),
            modificationSeconds: Int64(info.st_mtim.tv_sec),
            modificationMicroseconds: Int64(info.st_mtim.tv_sec) * 1_000_000 + Int64(info.st_mtim.tv_nsec) / 1000,
            inode: UInt64(info.st_ino))
        self.path = path
        self.status = status
        lastModified = HTTPDate.format(status.modificationSeconds)
        strongETag = EntityTag.forFile(inode: status.inode, size: status.size,
                                       mtimeMicroseconds: status.modificationMicroseconds)
        content = keepingContent && status.isRegularFile && status.size <= FileCache.contentLimit
            ? Self.read(path, size: Int(status.size)) : nil
    }

    /// The ETag for a request at `requestTimeMicroseconds`, as `EntityTag.forFile` makes it.
    public func etag(at requestTimeMicroseconds: Int64) -> EntityTag {
        let (age, overflow) = requestTimeMicroseconds.subtractingReportingOverflow(status.modificationMicroseconds)
        guard overflow || age <= 1_000_000 else { return strongETag }
        return EntityTag(weak: true, opaque: strongETag.opaque)
    }

    /// Exactly `size` bytes of the file, or nil (unreadable, or not that size any more).
    private static func read(_ path: String, size: Int) -> [UInt8]? {
        guard size > 0 else { return [] }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes = [UInt8](repeating: 0, count: size + 1)
        var done = 0
        while done <= size {
            let count = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress! + done, size + 1 - done, off_t(done)) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            done += count
        }
        guard done == size else { return nil }
        bytes.removeLast()
        return bytes
    }
}
