import Glibc

/// What a signal asks of isapid, with Apache's meanings: SIGHUP restart, SIGUSR1
/// graceful restart, SIGTERM (and SIGINT) stop, SIGWINCH graceful stop. The supervising
/// parent and the serving process (or `-X`) read signals the same way.
enum ControlSignal: Equatable {
    case restart(RestartKind)
    /// SIGTERM or SIGINT, named for the log.
    case stop(signalName: String)
    /// SIGWINCH sent by someone (`kill -WINCH`, `apachectl graceful-stop`).
    case gracefulStop
    /// The kernel's SIGWINCH, sent to every process of a terminal's foreground group
    /// when its window is resized: not a stop request (Apache run in a terminal stops
    /// gracefully when its window is resized; isapid does not).
    case terminalResize
    /// A signal isapid does not act on.
    case ignored

    /// `si_code` of a signal the kernel itself raised (SI_KERNEL): a terminal's SIGWINCH.
    static let fromKernel: Int32 = 0x80

    /// Logged (at info) for a terminal resize, so that an administrator sees why nothing stopped.
    static let terminalResizeMessage = "SIGWINCH from a terminal resize ignored (kill -WINCH stops gracefully)"

    init(number: Int32, info: siginfo_t) {
        switch number {
        case SIGHUP: self = .restart(.restart)
        case SIGUSR1: self = .restart(.gracefulRestart)
        case SIGTERM: self = .stop(signalName: "SIGTERM")
        case SIGINT: self = .stop(signalName: "SIGINT")
        case SIGWINCH: self = info.si_code == Self.fromKernel ? .terminalResize : .gracefulStop
        default: self = .ignored
        }
    }
}
