import CrashBoard
import Glibc
import RequestPipeline

/// systemd's readiness protocol (sd_notify(3)), spoken without libsystemd: each
/// notification is one datagram of `NAME=value` lines sent to the AF_UNIX socket named
/// by `$NOTIFY_SOCKET` (a path, or an abstract name when it starts with `@`). With
/// `Type=notify`, systemd considers the service started at `READY=1`, reloading between
/// `RELOADING=1` and the next `READY=1`, and stopping from `STOPPING=1`.
///
/// When `$NOTIFY_SOCKET` is not set (not started by systemd), every call does nothing.
/// Under the supervising parent only the parent speaks: it removes the variable from the
/// serving child's environment (`environmentName`).
struct SystemdNotifier: Sendable {
    static let environmentName = "NOTIFY_SOCKET"

    /// The socket name as `$NOTIFY_SOCKET` gave it; nil: notifications are off.
    let socketName: String?

    init(socketName: String?) {
        self.socketName = socketName.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Reads `$NOTIFY_SOCKET` (leaves the environment as it is: other threads may run).
    static func fromEnvironment() -> SystemdNotifier {
        SystemdNotifier(socketName: getenv(environmentName).map { String(cString: $0) })
    }

    /// The server serves (at start-up, or after a reload): `READY=1`, the main pid (the
    /// process systemd should signal and watch), and a status line for `systemctl status`.
    func ready(status: String = "isapid/\(ServerSoftware.version) serving") {
        send("READY=1\nMAINPID=\(getpid())\nSTATUS=\(status)\n")
    }

    /// A reload begins; `MONOTONIC_USEC` lets systemd match it to the `systemctl reload`
    /// that asked (`Type=notify-reload` requires it; `Type=notify` accepts it).
    func reloading() {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let microseconds = UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000
        send("RELOADING=1\nMONOTONIC_USEC=\(microseconds)\nSTATUS=reloading the configuration\n")
    }

    /// A stop begins (requests in flight still finish).
    func stopping() {
        send("STOPPING=1\nSTATUS=stopping\n")
    }

    /// Sends one datagram; failures are ignored, as sd_notify's callers do: systemd
    /// gone or the socket unreachable must not stop the server.
    /// Returns whether the datagram went out (for tests).
    @discardableResult
    func send(_ message: String) -> Bool {
        guard let socketName, var address = Self.address(socketName) else { return false }
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        let bytes = Array(message.utf8)
        let sent = withUnsafePointer(to: &address.storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(descriptor, bytes, bytes.count, Int32(MSG_NOSIGNAL), $0, address.length)
            }
        }
        return sent == bytes.count
    }

    /// `sockaddr_un` for a path, or for an abstract name (`@name`: a leading NUL byte and
    /// a length that counts exactly the name, no terminator). Nil when too long.
    static func address(_ name: String) -> (storage: sockaddr_un, length: socklen_t)? {
        var storage = sockaddr_un()
        storage.sun_family = sa_family_t(AF_UNIX)
        let abstract = name.hasPrefix("@")
        var bytes = Array(name.utf8)
        if abstract { bytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: storage.sun_path)
        guard bytes.count < capacity || (abstract && bytes.count == capacity) else { return nil }
        withUnsafeMutableBytes(of: &storage.sun_path) { path in
            path.copyBytes(from: bytes)
        }
        let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path) ?? 2
        let length = pathOffset + bytes.count + (abstract ? 0 : 1)
        return (storage, socklen_t(length))
    }
}

/// The supervising parent's `READY=1`: sent once the serving child reports that a
/// configuration serves. The child's report is the crash board's serving count, which
/// it raises when it starts serving and when a reload ends (applied or refused); the
/// parent notes the count when it starts waiting and polls it as it supervises.
struct PendingReadiness {
    private enum State {
        /// Nothing awaited: systemd has been told the current state.
        case reported
        /// `READY=1` once the serving count differs from this one.
        case awaiting(count: UInt32)
    }

    private var state: State = .awaiting(count: 0)

    /// Wait for the serving child's next report (a reload was passed to it, or a new
    /// child started).
    mutating func awaitNextReport() {
        state = .awaiting(count: CrashBoard.servingCount)
    }

    /// Sends `READY=1` if the child has reported since `awaitNextReport`.
    mutating func check(_ notifier: SystemdNotifier) {
        guard case .awaiting(let count) = state, CrashBoard.servingCount != count else { return }
        report(notifier)
    }

    /// Sends `READY=1` now: the parent itself knows the serving child goes on unchanged
    /// (a reload it refused).
    mutating func report(_ notifier: SystemdNotifier) {
        state = .reported
        notifier.ready()
    }
}
