import Foundation
import Logging

/// Apache's `PidFile`: the file that names the process an administrator signals (the
/// supervising parent, or the `-X` process). Checked before start-up (a running isapid
/// named there refuses the start), written once the server serves, removed on a clean
/// exit. `isapid -t` never touches it. A missing directory is created first (mode 0755,
/// owned by the user isapid starts as: root in production), as Debian's apache2ctl
/// creates /var/run/apache2 before it starts httpd: /run is emptied at boot, and without
/// systemd's RuntimeDirectory nobody else makes /run/isapid.
public struct PidFile: Sendable {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    /// What the file says about its process.
    enum Holder: Equatable {
        /// No file, or one without a pid.
        case none
        /// The pid of a process that is gone (an unclean shutdown left the file).
        case stale(pid_t)
        /// A running isapid other than this process.
        case running(pid_t)
    }

    /// The pid the file names, if any.
    private var recordedPid: pid_t? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
              let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0
        else { return nil }
        return pid
    }

    var holder: Holder {
        guard let pid = recordedPid, pid != getpid() else { return .none }
        return Self.isRunningIsapid(pid) ? .running(pid) : .stale(pid)
    }

    /// Refuses the start when the file names a running isapid, as apachectl's
    /// "httpd (pid N) already running".
    public func refuseIfRunning() throws(DaemonError) {
        if case .running(let pid) = holder {
            throw DaemonError("isapid (pid \(pid)) already running (PidFile \(path)); not starting")
        }
    }

    /// Writes this process's pid and a newline; a stale file is overwritten with a notice.
    func write(logger: Logger) throws(DaemonError) {
        // `-X` with User writes it before the privilege drop, and cannot write it again after.
        if recordedPid == getpid() { return }
        switch holder {
        case .stale(let pid):
            logger.notice("pid file \(path) overwritten (pid \(pid) is gone) -- Unclean shutdown of previous isapid run?",
                          metadata: ["id": "IS00098"])
        case .running(let pid):
            throw DaemonError("isapid (pid \(pid)) already running (PidFile \(path)); not starting")
        case .none: break
        }
        try createDirectory(logger: logger)
        do {
            try "\(getpid())\n".write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            logger.critical("could not create \(path): \(error.localizedDescription)", metadata: ["id": "IS00099"])
            throw DaemonError("could not create PidFile \(path): \(error.localizedDescription)")
        }
    }

    /// Creates the file's missing directories, each mode 0755 whatever the umask, as
    /// apache2ctl's `mkdir -p` of the run directory. An existing path is left alone (a
    /// file where a directory should be fails at the write, with its reason).
    func createDirectory(logger: Logger) throws(DaemonError) {
        let directory = (path as NSString).deletingLastPathComponent
        var missing: [String] = []
        var probe = directory
        while !probe.isEmpty && probe != "/" && access(probe, F_OK) != 0 && errno == ENOENT {
            missing.append(probe)
            probe = (probe as NSString).deletingLastPathComponent
        }
        for created in missing.reversed() {
            guard mkdir(created, 0o755) == 0 else {
                if errno == EEXIST { continue }  // made meanwhile by someone else: theirs
                let reason = String(cString: strerror(errno))
                logger.critical("could not create the PidFile's directory \(created): \(reason)", metadata: ["id": "IS02141"])
                throw DaemonError("could not create PidFile \(path): could not create its directory \(created): \(reason)")
            }
            chmod(created, 0o755)  // mkdir's mode went through the umask
            logger.notice("created the PidFile's directory \(created) (mode 0755)", metadata: ["id": "IS02140"])
        }
    }

    /// Removes the file on a clean exit, if it still names this process.
    func remove() {
        guard recordedPid == getpid() else { return }
        unlink(path)
    }

    /// Whether `pid` is a live (not zombie) process running an isapid executable. A pid
    /// reused by another program after a reboot is not an isapid, and does not block a start.
    static func isRunningIsapid(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0 || errno == EPERM else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")"),
              stat.index(close, offsetBy: 2) < stat.endIndex
        else { return false }
        let state = stat[stat.index(close, offsetBy: 2)]
        let name = stat[stat.index(after: open)..<close]
        return state != "Z" && name.hasPrefix("isapid")
    }
}
