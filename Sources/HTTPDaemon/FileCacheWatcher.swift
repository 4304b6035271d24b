import Foundation
import RequestPipeline

extension Daemon {
    /// The file cache's watcher: a thread of its own that blocks on inotify (a thread
    /// rather than the event loops, so that an httpd.ini it reloads is parsed off them).
    /// `fileCache.stop()` ends it.
    func startFileWatcher() {
        let fileCache = self.fileCache
        guard fileCache.hearsChanges else {
            logger.warning("file cache: inotify is not available; changed files are seen after FileCacheValid (\(context.currentState.configuration.fileCacheValid) s) at the latest",
                           metadata: ["id": "IS02350"])
            return
        }
        let thread = Thread { fileCache.watchForever() }
        thread.name = "isapid-file-watcher"
        thread.start()
    }
}
