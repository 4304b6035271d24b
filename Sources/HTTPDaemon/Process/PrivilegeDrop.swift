import Glibc
import Logging
import ServerConfig

/// mod_unixd's switch of the serving process to `User` and `Group`. Every system call of
/// the privilege drop is in this file.
///
/// Started as root, the supervising parent keeps root (it binds, reopens its log on
/// rotation, restarts the child); the serving child, or the `-X` process once it holds
/// its listening sockets and log files, becomes User/Group before it loads an extension
/// or accepts a connection. Started as anyone else, User and Group are ignored (IS00561).
///
/// The serving process reopens its log files itself, by path, on SIGHUP/SIGUSR1 (log
/// rotation); after the drop it can only do so if the files are the User's. So the files
/// are handed to User/Group (chowned, as Apache does for the files its children must
/// write: ScriptSock, the mutex and cache files) by whoever is root: the serving process
/// just before it drops, and the parent at every restart signal before it passes the
/// signal on (which also creates a file logrotate moved away).
enum PrivilegeDrop {
    /// Who the serving process becomes, resolved from the configuration.
    struct Identity: Equatable {
        let user: RunAsUser
        let gid: gid_t
        var description: String { "uid \(user.uid) (\(user.name)), gid \(gid)" }
    }

    /// What this start does about User/Group.
    enum Plan: Equatable {
        /// No `User`: the process keeps the identity it was started with.
        case keepIdentity
        /// Not started as root: nothing to switch from (User/Group ignored, with a notice).
        case notRoot
        case switchTo(Identity)
    }

    static func plan(for configuration: ServerConfiguration) throws(DaemonError) -> Plan {
        guard let user = configuration.user else { return .keepIdentity }
        guard geteuid() == 0 else { return .notRoot }
        guard let gid = configuration.group?.gid ?? user.primaryGroup else {
            throw DaemonError("User \(user.name) has no entry in the password database: name its group with Group")
        }
        return .switchTo(Identity(user: user, gid: gid))
    }

    /// The log files the serving process opens for a configuration (as `ServingState`: the
    /// main ErrorLog and every host's CustomLogs), which it must be able to reopen as User.
    static func logPaths(of configuration: ServerConfiguration) -> [String] {
        var paths = Set(configuration.allHosts.flatMap { $0.customLogs.map(\.path) })
        if let errorLog = configuration.errorLog { paths.insert(errorLog) }
        return paths.sorted()
    }

    /// Creates (if missing) and chowns the configuration's log files to `identity`, so the
    /// serving process can reopen them after the drop; failures are logged (IS00563), the
    /// file then keeps going to the descriptor already open.
    static func handOverLogFiles(of configuration: ServerConfiguration, to identity: Identity, logger: Logger) {
        for path in logPaths(of: configuration) {
            let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
            guard descriptor >= 0, fchown(descriptor, identity.user.uid, identity.gid) == 0 else {
                logger.error("could not hand log file \(path) to \(identity.description): \(String(cString: strerror(errno)))",
                             metadata: ["id": "IS00563"])
                if descriptor >= 0 { close(descriptor) }
                continue
            }
            close(descriptor)
        }
    }

    /// Apache's unixd_setup_child: the supplementary groups become just `gid`, then the
    /// group, then the user; and then it must be impossible to become root again.
    static func switchIdentity(to identity: Identity) throws(DaemonError) {
        var groups = [identity.gid]
        guard setgroups(1, &groups) == 0 else { throw failure("setgroups(\(identity.gid))") }
        guard setgid(identity.gid) == 0 else { throw failure("setgid(\(identity.gid))") }
        guard setuid(identity.user.uid) == 0 else { throw failure("setuid(\(identity.user.uid))") }
        guard getuid() == identity.user.uid, geteuid() == identity.user.uid,
              getgid() == identity.gid, getegid() == identity.gid
        else { throw DaemonError("after the switch to \(identity.description) the process runs as uid \(geteuid()), gid \(getegid())") }
        if identity.user.uid != 0, setuid(0) == 0 || seteuid(0) == 0 {
            throw DaemonError("after the switch to \(identity.description) the process could become root again")
        }
    }

    private static func failure(_ call: String) -> DaemonError {
        DaemonError("could not switch the serving process's identity: \(call): \(String(cString: strerror(errno)))")
    }
}
