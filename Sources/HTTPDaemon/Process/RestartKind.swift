import Glibc
import Logging

/// Apache's two restart signals. isapid restarts in place either way: the listeners
/// stay open, requests in flight finish on the configuration they began with, and new
/// connections get the new one (Apache's SIGHUP would abort the requests in flight; isapid
/// has no reason to). Both reopen the log files, which is what logrotate's USR1 is for.
public enum RestartKind: Sendable {
    /// SIGHUP: "restart now".
    case restart
    /// SIGUSR1: "graceful restart", what `apachectl graceful` and Debian's logrotate send.
    case gracefulRestart

    /// The signal the supervising parent passes on to its serving child.
    var signal: Int32 {
        switch self {
        case .restart: SIGHUP
        case .gracefulRestart: SIGUSR1
        }
    }

    /// Apache's wording (AH00494, AH00493).
    var logMessage: String {
        switch self {
        case .restart: "SIGHUP received.  Attempting to restart"
        case .gracefulRestart: "SIGUSR1 received.  Doing graceful restart"
        }
    }

    var logID: Logger.MetadataValue {
        switch self {
        case .restart: "IS00494"
        case .gracefulRestart: "IS00493"
        }
    }
}
