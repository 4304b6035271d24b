import Foundation

/// What tells a file apart from its earlier self: device, inode, size, and the
/// modification and change times to the nanosecond. The caches of parsed files
/// (httpd.ini, RewriteMap files, .htaccess) compare it on each use, so an edit — even
/// one that keeps the size and the modification time — is seen by the next request.
public struct FileSignature: Equatable, Sendable {
    public let device: UInt64
    public let inode: UInt64
    public let size: Int64
    public let modifiedSeconds: Int
    public let modifiedNanoseconds: Int
    public let changedSeconds: Int
    public let changedNanoseconds: Int

    public init(_ status: stat) {
        device = UInt64(status.st_dev)
        inode = UInt64(status.st_ino)
        size = Int64(status.st_size)
        modifiedSeconds = Int(status.st_mtim.tv_sec)
        modifiedNanoseconds = Int(status.st_mtim.tv_nsec)
        changedSeconds = Int(status.st_ctim.tv_sec)
        changedNanoseconds = Int(status.st_ctim.tv_nsec)
    }
}
