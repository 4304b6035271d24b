import Foundation

/// `isapid -k ACTION`, as `httpd -k`: acts on the isapid the PidFile names.
public enum ControlAction: String, Sendable, CaseIterable {
    /// Daemonize and serve, unless one already runs.
    case start
    /// SIGTERM, then wait until the process is gone.
    case stop
    /// SIGHUP, or start when not running.
    case restart
    /// SIGUSR1, or start when not running.
    case graceful
    /// SIGWINCH, then wait until the process is gone.
    case gracefulStop = "graceful-stop"
}

/// Carries out a `ControlAction` through the PidFile, printing apachectl's messages
/// (`isapid (pid N) already running`, `isapid (no pid file) not running`, …).
public struct Control {
    public let pidFile: PidFile
    /// How long `stop` and `graceful-stop` wait for the process to go.
    public let stopTimeout: Duration
    /// Starts the daemon (see `Daemonizer`); returns the exit status of `isapid -k start`.
    public let start: () -> Int32

    public init(pidFile: PidFile, stopTimeout: Duration, start: @escaping () -> Int32) {
        self.pidFile = pidFile
        self.stopTimeout = stopTimeout
        self.start = start
    }

    /// Runs `action`; returns the exit status (0 as apachectl where it says "not running").
    public func run(_ action: ControlAction) -> Int32 {
        let holder = pidFile.holder
        switch (action, holder) {
        case (.start, .running(let pid)):
            print("isapid (pid \(pid)) already running")
            return 0
        case (.start, _):
            return start()
        case (.restart, .running(let pid)):
            return send(SIGHUP, to: pid)
        case (.graceful, .running(let pid)):
            return send(SIGUSR1, to: pid)
        case (.restart, _), (.graceful, _):
            print("isapid not running, trying to start")
            return start()
        case (.stop, .running(let pid)):
            return stop(pid, with: SIGTERM)
        case (.gracefulStop, .running(let pid)):
            return stop(pid, with: SIGWINCH)
        case (.stop, _), (.gracefulStop, _):
            print(Self.notRunning(holder))
            return 0
        }
    }

    static func notRunning(_ holder: PidFile.Holder) -> String {
        if case .stale(let pid) = holder { return "isapid (pid \(pid)?) not running" }
        return "isapid (no pid file) not running"
    }

    private func send(_ signal: Int32, to pid: pid_t) -> Int32 {
        guard kill(pid, signal) == 0 else {
            FileHandle.standardError.write(Data("isapid: could not send signal \(signal) to pid \(pid): \(String(cString: strerror(errno)))\n".utf8))
            return 1
        }
        return 0
    }

    /// Sends `signal` and waits, at most `stopTimeout`, until `pid` is no running isapid.
    private func stop(_ pid: pid_t, with signal: Int32) -> Int32 {
        let status = send(signal, to: pid)
        guard status == 0 else { return status }
        let deadline = ContinuousClock.now + stopTimeout
        while PidFile.isRunningIsapid(pid) {
            guard ContinuousClock.now < deadline else {
                FileHandle.standardError.write(Data("isapid (pid \(pid)) still running after \(stopTimeout)\n".utf8))
                return 1
            }
            usleep(50_000)
        }
        return 0
    }
}

extension PidFile {
    /// Whether the file names a running isapid (other than this process).
    public var isRunning: Bool {
        if case .running = holder { return true }
        return false
    }
}
