import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Ports for servers a test configures with a fixed `Listen` (a reload that adds an
/// address, Apache, HAProxy fronts).
///
/// The port is taken below the kernel's ephemeral range (`ip_local_port_range`): there,
/// neither a `bind` to port 0 nor the source port of an outgoing connection made by a test
/// running in parallel can take it between this check and the server's own bind.
enum LoopbackPort {
    /// A port on 127.0.0.1 that nothing is bound to right now.
    static func unused() throws -> Int {
        let candidates = 10_000..<ephemeralRangeStart
        for _ in 0..<200 {
            let port = Int.random(in: candidates)
            if isFree(port) { return port }
        }
        throw E2EError("no free port in \(candidates)")
    }

    /// The first port of `/proc/sys/net/ipv4/ip_local_port_range` (32768 by default).
    private static let ephemeralRangeStart: Int = {
        let text = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)) ?? ""
        let first = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).first
        return first.flatMap { Int($0) }.map { max($0, 10_001) } ?? 32_768
    }()

    /// Whether a socket can be bound to 127.0.0.1:`port` (without SO_REUSEADDR, so a
    /// connection still in TIME_WAIT there counts as taken too).
    private static func isFree(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}
