import Glibc

/// A blocking TCP socket to an upstream, with timeouts on connect, send and receive.
/// One thread uses it at a time (the pool hands it from one request to the next).
final class UpstreamSocket: @unchecked Sendable {
    private var fd: Int32
    /// `host:port` as log messages name the upstream.
    let upstream: String

    private init(fd: Int32, upstream: String) {
        self.fd = fd
        self.upstream = upstream
    }

    deinit { close() }

    /// Closes the socket (idempotent).
    func close() {
        if fd >= 0 {
            _ = Glibc.close(fd)
            fd = -1
        }
    }

    /// Resolves `host` and connects to the first address that answers, each within
    /// `connectTimeout` seconds; `ioTimeout` then bounds every send and receive.
    static func connect(host: String, port: Int, upstream: String, connectTimeout: Double,
                        ioTimeout: Double) throws(ProxyFailure) -> UpstreamSocket {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            let reason = rc == EAI_SYSTEM ? errorText(errno) : String(cString: gai_strerror(rc))
            throw ProxyFailure(kind: .badGateway, id: "IS03002", message: "DNS lookup failure for \(host): \(reason)")
        }
        defer { freeaddrinfo(list) }
        var failure = ProxyFailure(kind: .badGateway, id: "IS03003",
                                   message: "no address to connect to for \(upstream)")
        var next: UnsafeMutablePointer<addrinfo>? = first
        while let address = next {
            next = address.pointee.ai_next
            let fd = socket(address.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue),
                            address.pointee.ai_protocol)
            guard fd >= 0 else {
                failure.message = "cannot create a socket for \(upstream): \(errorText(errno))"
                continue
            }
            let socket = UpstreamSocket(fd: fd, upstream: upstream)
            let error = socket.connect(address.pointee.ai_addr, address.pointee.ai_addrlen, timeout: connectTimeout)
            if let error {
                failure = error
                continue
            }
            socket.configure(ioTimeout: ioTimeout)
            return socket
        }
        throw failure
    }

    /// A non-blocking connect waited for with poll, so that it can time out.
    private func connect(_ address: UnsafeMutablePointer<sockaddr>?, _ length: socklen_t,
                         timeout: Double) -> ProxyFailure? {
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        defer { _ = fcntl(fd, F_SETFL, flags) }
        if Glibc.connect(fd, address, length) == 0 { return nil }
        guard errno == EINPROGRESS || errno == EINTR else { return connectFailure(errno) }
        // No timeout (0) waits as long as the kernel's own connect timeout.
        let milliseconds = timeout > 0 ? Int32(clamping: Int((timeout * 1000).rounded(.up))) : -1
        let ready = Self.poll(fd, events: Int16(POLLOUT), milliseconds: milliseconds)
        if ready == 0 {
            return ProxyFailure(kind: .timeout, id: "IS03004", message: "connect to upstream \(upstream) timed out")
        }
        if ready < 0 { return connectFailure(errno) }
        var error: Int32 = 0
        var size = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) == 0 else { return connectFailure(errno) }
        return error == 0 ? nil : connectFailure(error)
    }

    private func connectFailure(_ code: Int32) -> ProxyFailure {
        ProxyFailure(kind: code == ETIMEDOUT ? .timeout : .badGateway, id: code == ETIMEDOUT ? "IS03004" : "IS03003",
                     message: "connect to upstream \(upstream) failed: \(Self.errorText(code))")
    }

    /// Blocking from here on, with SO_RCVTIMEO/SO_SNDTIMEO; TCP_NODELAY so that a head
    /// and a small body are not held back by Nagle's algorithm. Set again on a pooled
    /// socket for each request (ProxyTimeout may differ after a reload).
    func configure(ioTimeout: Double) {
        let seconds = max(0, ioTimeout)
        var time = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - seconds.rounded(.down)) * 1_000_000))
        if seconds > 0 && time.tv_sec == 0 && time.tv_usec == 0 { time.tv_usec = 1 }
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Sends every byte (MSG_NOSIGNAL: a closed upstream is an error, not a SIGPIPE).
    func send(_ bytes: UnsafeRawBufferPointer) throws(ProxyFailure) {
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            let sent = Glibc.send(fd, base + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            if sent > 0 {
                offset += sent
                continue
            }
            let code = sent < 0 ? errno : EPIPE
            if code == EINTR { continue }
            if code == EAGAIN || code == EWOULDBLOCK { throw .timedOut("sending to", upstream: upstream) }
            throw .closed("failed while sending the request: \(Self.errorText(code))", upstream: upstream)
        }
    }

    func send(_ bytes: [UInt8]) throws(ProxyFailure) {
        var failure: ProxyFailure?
        bytes.withUnsafeBytes { buffer in
            do throws(ProxyFailure) { try send(buffer) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Receives at least one byte into `buffer`; 0 when the upstream closed the connection.
    func receive(into buffer: UnsafeMutableRawBufferPointer) throws(ProxyFailure) -> Int {
        while true {
            let count = recv(fd, buffer.baseAddress, buffer.count, 0)
            if count >= 0 { return count }
            let code = errno
            if code == EINTR { continue }
            if code == EAGAIN || code == EWOULDBLOCK { throw .timedOut("reading from", upstream: upstream) }
            throw .closed("failed while reading the response: \(Self.errorText(code))", upstream: upstream)
        }
    }

    /// Whether an idle connection is unusable: the upstream closed it, or sent bytes
    /// nobody asked for.
    var isStale: Bool {
        guard fd >= 0 else { return true }
        return Self.poll(fd, events: Int16(POLLIN), milliseconds: 0) != 0
    }

    /// poll(2) on one descriptor, retried after EINTR: >0 ready, 0 timed out, <0 failed.
    private static func poll(_ fd: Int32, events: Int16, milliseconds: Int32) -> Int32 {
        var entry = pollfd(fd: fd, events: events, revents: 0)
        while true {
            let ready = Glibc.poll(&entry, 1, milliseconds)
            if ready < 0 && errno == EINTR { continue }
            return ready
        }
    }

    static func errorText(_ code: Int32) -> String { String(cString: strerror(code)) }
}
