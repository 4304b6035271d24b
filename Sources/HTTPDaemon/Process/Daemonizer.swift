import Foundation

/// `isapid -k start`'s detaching, the one place isapid leaves its terminal: it starts
/// the same executable (with `arguments`, the options without `-k`) in a new session
/// (`setsid`), stdin and stdout on /dev/null, stderr on a pipe this process forwards to
/// its own until the daemon serves. The daemon says so with sd_notify's `READY=1` on a
/// private socket (the protocol it speaks to systemd); a daemon that exits first failed,
/// and its status is returned, so a configuration or bind error reaches the terminal and
/// the exit status, as with Apache's `httpd -k start`.
///
/// A new process rather than `fork` in this one: Swift's runtime and Foundation start
/// threads, and only exec makes a forked copy of a threaded process safe.
public struct Daemonizer {
    public let arguments: [String]
    /// How long to wait for `READY=1` (loading ISAPICacheFile extensions takes time).
    public let startTimeout: Duration

    public init(arguments: [String], startTimeout: Duration = .seconds(60)) {
        self.arguments = arguments
        self.startTimeout = startTimeout
    }

    /// Starts the daemon and waits until it serves (0) or fails (its exit status, never 0).
    public func start() -> Int32 {
        let name = "@isapid-start-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        guard let (storage, length) = SystemdNotifier.address(name) else { return fail("bad notify socket name") }
        let notify = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard notify >= 0 else { return fail("socket: \(String(cString: strerror(errno)))") }
        defer { close(notify) }
        var address = storage
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(notify, $0, length) }
        }
        guard bound == 0 else { return fail("bind \(name): \(String(cString: strerror(errno)))") }
        var errorPipe: [Int32] = [0, 0]
        guard pipe(&errorPipe) == 0 else { return fail("pipe: \(String(cString: strerror(errno)))") }
        // The read end stays here; the write end becomes the daemon's fd 2 (dup2 clears the flag).
        errorPipe.forEach { _ = fcntl($0, F_SETFD, FD_CLOEXEC) }
        defer { close(errorPipe[0]) }
        // Non-blocking: the serving child may hold the write end a little after its parent failed.
        _ = fcntl(errorPipe[0], F_SETFL, O_NONBLOCK)
        // Messages the daemon writes to stderr once this command has gone are lost, as on
        // /dev/null, rather than killing it: SIG_IGN is inherited across exec.
        signal(SIGPIPE, SIG_IGN)
        let pid = spawn(stderr: errorPipe[1], notifySocket: name)
        close(errorPipe[1])
        guard let pid else { return fail("could not start \(Self.executable): \(String(cString: strerror(errno)))") }
        return awaitServing(pid, notify: notify, stderr: errorPipe[0])
    }

    static var executable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// posix_spawn with POSIX_SPAWN_SETSID: the fork and setsid of a classic daemon.
    private func spawn(stderr: Int32, notifySocket: String) -> pid_t? {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)
        // Nothing else of the starter's: a descriptor its own parent watches for end of file
        // (as Foundation's Process does) must not stay open in the daemon.
        // (posix_spawn_file_actions_addclosefrom_np is not imported into Swift; glibc ignores
        // a close of a descriptor that is gone by then, such as the directory listing's.)
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for fd in open.compactMap({ Int32($0) }) where fd > 2 {
            posix_spawn_file_actions_addclose(&actions, fd)
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        let setsid: Int32 = 0x80  // POSIX_SPAWN_SETSID (glibc 2.26), not imported into Swift
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | setsid))

        var environment = ProcessInfo.processInfo.environment
        environment[SystemdNotifier.environmentName] = notifySocket
        let argv = [Self.executable] + arguments
        let envp = environment.map { "\($0.key)=\($0.value)" }
        var pid: pid_t = 0
        let status = withCStrings(argv) { argvPointers in
            withCStrings(envp) { envPointers in
                posix_spawn(&pid, Self.executable, &actions, &attributes, argvPointers, envPointers)
            }
        }
        guard status == 0 else {
            errno = status
            return nil
        }
        return pid
    }

    /// Forwards the daemon's stderr until `READY=1` arrives (0) or the daemon exits (its status).
    private func awaitServing(_ pid: pid_t, notify: Int32, stderr: Int32) -> Int32 {
        let deadline = ContinuousClock.now + startTimeout
        var stderrOpen = true
        var buffer = [UInt8](repeating: 0, count: 4096)
        while ContinuousClock.now < deadline {
            var fds = [pollfd(fd: notify, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: stderrOpen ? stderr : -1, events: Int16(POLLIN), revents: 0)]
            _ = poll(&fds, 2, 100)
            if fds[1].revents != 0 {
                let count = read(stderr, &buffer, buffer.count)
                if count > 0 { _ = write(2, buffer, count) } else { stderrOpen = false }
            }
            if fds[0].revents != 0 {
                let count = recv(notify, &buffer, buffer.count, Int32(MSG_DONTWAIT))
                if count > 0, String(decoding: buffer[0..<count], as: UTF8.self).split(separator: "\n").contains("READY=1") {
                    return 0
                }
            }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                while stderrOpen, case let count = read(stderr, &buffer, buffer.count), count > 0 {
                    _ = write(2, buffer, count)
                }
                let code = (status & 0x7f) != 0 ? 128 + (status & 0x7f) : (status >> 8) & 0xff
                return code == 0 ? 1 : code
            }
        }
        kill(pid, SIGTERM)
        return fail("isapid (pid \(pid)) did not report serving within \(startTimeout); sent it SIGTERM")
    }

    private func fail(_ message: String) -> Int32 {
        FileHandle.standardError.write(Data("isapid: \(message)\n".utf8))
        return 1
    }
}

/// Calls `body` with a NULL-terminated C array of `strings`.
private func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
    let pointers = strings.map { strdup($0) } + [nil]
    defer { pointers.forEach { free($0) } }
    return body(pointers)
}
