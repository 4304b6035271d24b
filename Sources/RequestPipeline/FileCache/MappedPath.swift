import ServerConfig
import Synchronization

/// One path as `MappedPathCache` keeps it: the file phase 4 found for it, its merged
/// per-directory configuration, and what follows from that, the file's name and the
/// filesystem alone (mod_mime's handler and media type, phase 6's verdict on the file,
/// a static answer's fields), so that a request reads them here instead of looking the
/// file up in the file cache, working them out from the name's extensions, walking the
/// path for symbolic links, or looking them up by path again.
///
/// It describes a request only while the request still has this configuration and
/// file (`describes`): mod_rewrite's [T=] and [H=] give the request a configuration of
/// its own, and an ISAPI filter's SF_NOTIFY_URL_MAP may move it to another file.
final class MappedPath: Sendable {
    /// When the entry was made, or when the file-cache entries it rests on were checked
    /// if that was earlier (`MappedPathCache.lookup` holds it to that).
    let madeAt: FileCache.Moment
    /// What phase 4 found on the disk for the URL.
    let located: Located
    var filePath: String? { located.filePath }
    /// The bytes of file content the entry keeps alive.
    var contentSize: Int { located.cachedFile?.contentSize ?? 0 }
    let config: Shared<DirectoryConfig>
    /// The handler AddHandler maps the file's name to (SetHandler is `config`'s own).
    let handlerByName: String?
    /// The media type mod_mime gives the file under `config`.
    let mediaType: String?
    /// What phase 6 finds about the file itself (its name, the links on its way).
    let access: FileAccess
    /// A static 200 answer's fields (validators, Accept-Ranges, type), encoded once
    /// (`HeaderFields.encodingOnce`): the same for every request while the file
    /// (`status`: inode, size, time) stays.
    private let okFields = Mutex<(status: FileStatus, headers: HeaderFields)?>(nil)

    /// The file a URL maps to: its path (nil: none), the PATH_INFO after it, what `stat`
    /// said, and the file cache's entry for a file found at once.
    struct Located: Sendable {
        let filePath: String?
        let pathInfo: String
        let fileStatus: FileStatus?
        let cachedFile: CachedFile?

        init(_ context: RequestContext) {
            filePath = context.filePath
            pathInfo = context.pathInfo
            fileStatus = context.fileStatus
            cachedFile = context.cachedFile
        }
    }

    /// Gives `context` what phase 4 found, each field read in place (a copy of `located`
    /// as a whole costs its reference counts twice).
    func applyLocated(to context: inout RequestContext) {
        context.filePath = located.filePath
        context.pathInfo = located.pathInfo
        context.fileStatus = located.fileStatus
        context.cachedFile = located.cachedFile
    }

    init(madeAt: FileCache.Moment, located: Located, config: Shared<DirectoryConfig>, handlerByName: String?,
         mediaType: String?, access: FileAccess) {
        self.madeAt = madeAt
        self.located = located
        self.config = config
        self.handlerByName = handlerByName
        self.mediaType = mediaType
        self.access = access
    }

    /// Whether the entry is still about the request's configuration and file.
    @inline(__always)
    func describes(_ context: RequestContext) -> Bool {
        config === context.sharedDirectoryConfig && filePath == context.filePath
    }

    /// The 200 answer's fields stored for this version of the file.
    func okFields(for status: FileStatus) -> HeaderFields? {
        okFields.withLock { stored in stored.flatMap { $0.status == status ? $0.headers : nil } }
    }

    func storeOKFields(_ headers: HeaderFields, for status: FileStatus) {
        okFields.withLock { $0 = (status, headers) }
    }
}
