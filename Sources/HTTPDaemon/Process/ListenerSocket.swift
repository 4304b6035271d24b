import Glibc
import ServerConfig

/// A listening TCP socket opened with the system calls, for the supervising parent,
/// which holds its listeners across child restarts (NIO's bootstrap owns the sockets it
/// opens, so the parent does not use it).
enum ListenerSocket {
    /// Apache's TCP_DEFER_ACCEPT for `AcceptFilter … data`: a connection that has sent
    /// nothing after this many seconds is handed over all the same.
    static let deferAcceptSeconds: Int32 = 30

    /// Opens `address` (SO_REUSEADDR, ListenBacklog, its protocol's AcceptFilter,
    /// close-on-exec) as NIO would; throws a message like NIO's bind errors.
    static func open(_ address: ListenAddress, _ configuration: ServerConfiguration) throws(DaemonError) -> Int32 {
        let backlog = configuration.listenBacklog
        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>?
        let resolved = getaddrinfo(address.host ?? "0.0.0.0", String(address.port), &hints, &found)
        guard resolved == 0, let first = found else {
            throw DaemonError("\(address): \(String(cString: gai_strerror(resolved)))")
        }
        defer { freeaddrinfo(found) }
        let descriptor = socket(first.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw DaemonError("\(address): socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if configuration.defersAccept(address) {
            var seconds = deferAcceptSeconds
            setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_DEFER_ACCEPT, &seconds, socklen_t(MemoryLayout<Int32>.size))
        }
        guard bind(descriptor, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0,
              listen(descriptor, Int32(clamping: backlog)) == 0
        else {
            let message = String(cString: strerror(errno))
            close(descriptor)
            throw DaemonError("\(address): \(message)")
        }
        return descriptor
    }
}
