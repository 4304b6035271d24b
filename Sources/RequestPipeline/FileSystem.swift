import Foundation

/// The few filesystem questions the pipeline asks; tests may answer them from memory.
public protocol FileSystem: Sendable {
    /// `stat` (following symlinks); nil when the path does not exist or cannot be read.
    func status(_ path: String) -> FileStatus?
    /// Whether the path itself is a symbolic link (`lstat`).
    func isSymbolicLink(_ path: String) -> Bool
    /// Owner uid of the path itself (`lstat`) and of what it points to (`stat`).
    func owners(_ path: String) -> (link: UInt32, target: UInt32)?
}

/// The real filesystem.
public struct LocalFileSystem: FileSystem {
    public init() {}

    public func status(_ path: String) -> FileStatus? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        let kind = info.st_mode & S_IFMT
        return FileStatus(
            isDirectory: kind == S_IFDIR, isRegularFile: kind == S_IFREG, size: Int64(info.st_size),
            modificationSeconds: Int64(info.st_mtim.tv_sec),
            modificationMicroseconds: Int64(info.st_mtim.tv_sec) * 1_000_000 + Int64(info.st_mtim.tv_nsec) / 1000,
            inode: UInt64(info.st_ino))
    }

    public func isSymbolicLink(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFLNK
    }

    public func owners(_ path: String) -> (link: UInt32, target: UInt32)? {
        var link = stat()
        var target = stat()
        guard lstat(path, &link) == 0, stat(path, &target) == 0 else { return nil }
        return (link.st_uid, target.st_uid)
    }
}
