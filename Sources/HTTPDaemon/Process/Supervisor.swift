import CrashBoard
import Foundation
import Logging
import RequestPipeline
import ServerConfig

/// The supervising parent, as Apache's parent process is: it holds the listening
/// sockets, runs the server in a child process, and when an extension kills that child
/// (SIGSEGV, abort, …) logs the signal, the extension and the request, and starts a new
/// child at once. Connections that arrive meanwhile wait in the listeners' backlog, so
/// only the requests inside the dead child are lost.
///
/// SIGHUP and SIGUSR1 (Apache's restart and graceful restart) reopen the parent's log
/// and are passed to the child, which reloads in place; when the reload changes the
/// Listen addresses, the parent opens the new ones, starts a child with them and stops
/// the old one gracefully. SIGTERM, SIGINT and SIGWINCH (Apache's graceful stop) stop the
/// child gracefully, then the parent. Should the parent die any other way (SIGKILL, a
/// crash), the child sees the parent-watch pipe close and stops gracefully on its own.
/// The parent writes the PidFile once the child is started and removes it on a clean exit.
/// `isapid -X` serves in one process, without a parent.
public final class Supervisor {
    private let options: ConfigLoadOptions
    /// The PidFile of the start-up configuration (as Apache, a restart does not move it).
    private let pidFile: PidFile
    private var configuration: ServerConfiguration
    private let logFiles = LogFiles()
    private var logger: Logger
    /// The main ErrorLog's writer, which fd 2 follows once the server has started.
    private var errorLog: LogFileWriter
    private let standardError = StandardErrorRedirect()
    private var listeners: [ListenAddress: Int32] = [:]
    private let crashBoard: Int32
    /// The child reads the other end; its end of file means the parent is gone.
    private let parentWatch: (read: Int32, write: Int32)
    private var child: pid_t?
    /// Children stopping after a restart that changed the Listen addresses.
    private var stoppingChildren: Set<pid_t> = []
    /// Serving processes in a row that died before they started serving.
    private var startupCrashes = 0
    private var restartAt: ContinuousClock.Instant?
    private var stopping = false
    /// systemd's notifications (nothing unless `$NOTIFY_SOCKET` is set); only the parent speaks.
    private let notifier = SystemdNotifier.fromEnvironment()
    private var readiness = PendingReadiness()

    /// Start-up crashes in a row before restarts slow down to one per second.
    static let startupCrashLimit = 3

    public init(options: ConfigLoadOptions, configuration: ServerConfiguration) throws {
        self.options = options
        self.configuration = configuration
        pidFile = PidFile(path: configuration.pidFile)
        errorLog = try logFiles.writer(for: configuration.errorLog)
        logger = Logger.errorLog("core", writer: errorLog, levels: configuration.logLevel)
        crashBoard = try CrashBoard.create()
        // The figures server-status shows from the parent's start (they sit in the board).
        SharedFigures.start()
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { throw DaemonError("pipe: \(String(cString: strerror(errno)))") }
        // No other thread can spawn yet: close-on-exec right after pipe() is safe.
        ends.forEach { _ = fcntl($0, F_SETFD, FD_CLOEXEC) }
        parentWatch = (ends[0], ends[1])
    }

    /// The signals the parent takes with `sigtimedwait`: the daemon's, and SIGCHLD.
    private static var signals: sigset_t {
        var set = Daemon.handledSignals
        sigaddset(&set, SIGCHLD)
        return set
    }

    /// Call first thing in `main`, before any thread exists.
    public static func blockSignals() {
        var set = signals
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Opens the listeners, starts the child and supervises it until SIGTERM, SIGINT or
    /// SIGWINCH; returns the exit status.
    public func run() throws -> Int32 {
        guard !configuration.listeners.isEmpty else {
            logger.critical("no listening sockets available, shutting down", metadata: ["id": "IS00015"])
            logFiles.flushAll()
            throw DaemonError("no listening sockets available (add a Listen directive)")
        }
        do {
            for address in configuration.listeners {
                listeners[address] = try ListenerSocket.open(address, configuration)
            }
        } catch {
            logger.critical("could not bind: \(error)", metadata: ["id": "IS00072"])
            logFiles.flushAll()  // written before the process exits
            listeners.values.forEach { _ = close($0) }
            throw DaemonError("could not bind to address: \(error)")
        }
        child = try spawnChild()
        do {
            try pidFile.write(logger: logger)
        } catch {
            if let child { kill(child, SIGTERM) }
            stopping = true
            _ = superviseUntilStopped()
            listeners.values.forEach { _ = close($0) }
            logFiles.flushAll()
            throw error
        }
        // Started: the parent's own stderr goes to the error log from now on. The first
        // child got the terminal and points its own fd 2 once its start-up is past failing.
        standardError.point(at: errorLog, logger: logger)
        let status = superviseUntilStopped()
        pidFile.remove()
        listeners.values.forEach { _ = close($0) }
        logFiles.flushAll()
        return status
    }

    private func superviseUntilStopped() -> Int32 {
        var set = Self.signals
        while true {
            var timeout = timespec(tv_sec: 0, tv_nsec: 200_000_000)
            if let restartAt {
                let wait = max(.zero, restartAt - .now)
                timeout = timespec(tv_sec: Int(wait.components.seconds),
                                   tv_nsec: Int(wait.components.attoseconds / 1_000_000_000))
            }
            var info = siginfo_t()
            let number = sigtimedwait(&set, &info, &timeout)
            if number == SIGCHLD {
                if let status = reapChildren() { return status }
            } else {
                switch ControlSignal(number: number, info: info) {
                case .restart(let kind): reload(kind)
                case .stop, .gracefulStop:
                    notifier.stopping()
                    stopping = true
                    for pid in [child].compactMap({ $0 }) + stoppingChildren { kill(pid, number) }
                    // Stop accepting now: the sockets close once the child has closed its copies.
                    listeners.values.forEach { _ = close($0) }
                    listeners = [:]
                case .terminalResize: logger.info("\(ControlSignal.terminalResizeMessage)", metadata: ["id": "IS00495"])
                case .ignored: break
                }
            }
            if stopping, child == nil, stoppingChildren.isEmpty { return 0 }
            if !stopping { readiness.check(notifier) }
            if let restartAt, ContinuousClock.now >= restartAt, !stopping {
                self.restartAt = nil
                startReplacement()
            }
        }
    }

    /// Collects every child that exited; returns the parent's exit status when the
    /// parent must stop (the child failed in a way restarting cannot mend).
    private func reapChildren() -> Int32? {
        while true {
            var status: Int32 = 0
            let pid = waitpid(-1, &status, WNOHANG)
            guard pid > 0 else { return nil }
            if stoppingChildren.remove(pid) != nil { continue }
            guard pid == child else { continue }
            child = nil
            if stopping { continue }
            let signalNumber = status & 0x7f
            if signalNumber != 0 {
                let report = reportCrash(pid: pid, signal: signalNumber)
                SharedFigures.noteRestart(
                    signal: signalNumber, cause: Self.restartCause(signal: signalNumber, report: report),
                    extensionPath: report.crashedCall?.extensionPath)
                scheduleRestart(afterStartupCrash: !report.wasServing)
            } else {
                let code = (status >> 8) & 0xff
                if code != 0 {
                    logger.critical("serving process pid \(pid) exited with status \(code); shutting down",
                                    metadata: ["id": "IS00056"])
                    return code
                }
                logger.notice("serving process pid \(pid) exited; starting a new one", metadata: ["id": "IS00057"])
                SharedFigures.noteRestart(signal: nil, cause: "serving process exited", extensionPath: nil)
                startReplacement()
            }
        }
    }

    /// Apache's AH00052 line, then what the crash board says about the extension.
    private func reportCrash(pid: pid_t, signal: Int32) -> CrashReport {
        let name = String(cString: strsignal(signal))
        logger.error("child pid \(pid) exit signal \(name) (\(signal))", metadata: ["id": "IS00052"])
        let report = CrashBoard.takeReport()
        if let call = report.crashedCall {
            logger.error("the crash was in \(call.extensionPath) while serving \"\(call.request)\"",
                         metadata: ["id": "IS00053"])
        } else if report.faultSignal != nil {
            logger.error("the crash was not in a request's extension call (an extension's own thread, or the server)",
                         metadata: ["id": "IS00053"])
        }
        for call in report.otherCalls {
            logger.warning("lost with the crashed process: \(call.extensionPath) serving \"\(call.request)\"",
                           metadata: ["id": "IS00054"])
        }
        if !report.wasServing {
            logger.error("the serving process crashed while starting up", metadata: ["id": "IS00053"])
        }
        return report
    }

    /// At once, as often as a serving process is crashed; but a process that keeps
    /// dying before it serves (a crash at start-up) is restarted once per second.
    private func scheduleRestart(afterStartupCrash: Bool) {
        startupCrashes = afterStartupCrash ? startupCrashes + 1 : 0
        if startupCrashes >= Self.startupCrashLimit {
            logger.error("\(startupCrashes) serving processes in a row crashed while starting up; restarting in 1 second",
                         metadata: ["id": "IS00058"])
            restartAt = .now + .seconds(1)
        } else {
            startReplacement()
        }
    }

    private func startReplacement() {
        do {
            let pid = try spawnChild()
            child = pid
            logger.notice("serving process pid \(pid) started", metadata: ["id": "IS00055"])
        } catch {
            logger.critical("could not start a serving process: \(error); retrying in 1 second",
                            metadata: ["id": "IS00059"])
            restartAt = .now + .seconds(1)
        }
    }

    /// SIGHUP or SIGUSR1: the parent reopens its error log and the child, sent the same
    /// signal, reloads in place, unless the new configuration listens elsewhere: then a
    /// new child with the new listeners replaces it gracefully.
    private func reload(_ kind: RestartKind) {
        notifier.reloading()
        // Apache's generation: up at every restart; SIGHUP also moves the restart time.
        SharedFigures.generationMoved(resettingTotals: kind == .restart)
        readiness.awaitNextReport()  // READY=1 when the child has reloaded, or a new one serves
        logFiles.reopenAll()
        // fd 2 follows the (re)opened main error log, whether or not the reload goes through.
        defer { standardError.point(at: errorLog, logger: logger) }
        guard let pid = child else { return }
        let fresh: ServerConfiguration
        do {
            fresh = try ConfigLoader.load(options)
        } catch {
            handOverLogFiles(of: configuration)
            kill(pid, kind.signal)  // the child keeps its configuration and logs why
            return
        }
        handOverLogFiles(of: fresh)
        if let writer = try? logFiles.writer(for: fresh.errorLog) {
            errorLog = writer
            logger = Logger.errorLog("core", writer: writer, levels: fresh.logLevel)
        }
        // A child that gave up root cannot read the (root-only) key files again: with
        // TLS, a new child, started as root, replaces it, as for a change of Listen.
        let childDroppedRoot: Bool
        if case .switchTo? = try? PrivilegeDrop.plan(for: configuration) { childDroppedRoot = true } else { childDroppedRoot = false }
        configuration = fresh
        let wanted = Set(fresh.listeners)
        guard wanted != Set(listeners.keys) || (childDroppedRoot && fresh.hasTLS) else {
            kill(pid, kind.signal)
            return
        }
        if childDroppedRoot && fresh.hasTLS {
            logger.notice("TLS keys are read as root: a new serving process replaces pid \(pid)",
                          metadata: ["id": "IS02107"])
        }
        var opened: [ListenAddress: Int32] = [:]
        do {
            for address in wanted.subtracting(listeners.keys) {
                opened[address] = try ListenerSocket.open(address, fresh)
            }
        } catch {
            opened.values.forEach { _ = close($0) }
            logger.error("configuration reload failed: could not bind a new Listen address: \(error)",
                         metadata: ["id": "IS00072"])
            readiness.report(notifier)  // the old child serves on
            return
        }
        let previous = listeners
        listeners = previous.filter { wanted.contains($0.key) }.merging(opened) { old, _ in old }
        do {
            child = try spawnChild()
        } catch {
            logger.error("could not start a serving process for the new Listen addresses: \(error)",
                         metadata: ["id": "IS00059"])
            opened.values.forEach { _ = close($0) }
            listeners = previous
            readiness.report(notifier)  // the old child serves on
            return
        }
        stoppingChildren.insert(pid)
        kill(pid, SIGTERM)
        for (address, descriptor) in previous where !wanted.contains(address) { close(descriptor) }
    }

    /// A serving child that dropped to User reopens its logs (rotation) as User: they must
    /// be the User's, and exist (see `PrivilegeDrop`).
    private func handOverLogFiles(of configuration: ServerConfiguration) {
        if case .switchTo(let identity)? = try? PrivilegeDrop.plan(for: configuration) {
            PrivilegeDrop.handOverLogFiles(of: configuration, to: identity, logger: logger)
        }
    }

    /// Starts this executable again as the serving child, with the same arguments and
    /// the supervision descriptors.
    private func spawnChild() throws -> pid_t {
        let supervision = Supervision(listeners: listeners, crashBoard: crashBoard, parentWatch: parentWatch.read)
        let inherited = Array(listeners.values) + [crashBoard, parentWatch.read]
        var environment = ProcessInfo.processInfo.environment
        environment[Supervision.environmentName] = supervision.environmentValue
        environment[SystemdNotifier.environmentName] = nil  // only the parent notifies systemd
        return try ChildProcess.spawn(
            executable: "/proc/self/exe", arguments: CommandLine.arguments, environment: environment,
            inheriting: inherited, blockedSignals: Daemon.handledSignals)
    }
}

extension Supervisor {
    /// A child restart's cause as server-status and /metrics show it: the signal, and
    /// the extension and request the crash board names.
    static func restartCause(signal: Int32, report: CrashReport) -> String {
        var cause = "exit signal \(String(cString: strsignal(signal))) (\(signal))"
        if let call = report.crashedCall {
            cause += " in \(call.extensionPath) serving \"\(call.request)\""
        } else if !report.wasServing {
            cause += " while starting up"
        }
        return cause
    }
}
