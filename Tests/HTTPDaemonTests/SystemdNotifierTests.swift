import Foundation
@testable import HTTPDaemon
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// sd_notify's datagrams, received on a real AF_UNIX socket made by the test (a path in
/// a temporary directory, or an abstract name), as systemd would receive them.
@Suite struct SystemdNotifierTests {
    @Test func readyGoesToAPathSocketWithTheMainPidAndAStatus() throws {
        let socket = try NotifySocket(kind: .path)
        SystemdNotifier(socketName: socket.name).ready(status: "serving on 127.0.0.1:8080")
        let message = try #require(socket.receive(timeout: 5))
        #expect(message == "READY=1\nMAINPID=\(getpid())\nSTATUS=serving on 127.0.0.1:8080\n")
    }

    @Test func anAtSignNamesAnAbstractSocket() throws {
        let socket = try NotifySocket(kind: .abstract)
        #expect(socket.name.hasPrefix("@"))
        SystemdNotifier(socketName: socket.name).stopping()
        #expect(socket.receive(timeout: 5) == "STOPPING=1\nSTATUS=stopping\n")
    }

    @Test func reloadingCarriesTheMonotonicClockInMicroseconds() throws {
        let socket = try NotifySocket(kind: .path)
        var before = timespec()
        clock_gettime(CLOCK_MONOTONIC, &before)
        SystemdNotifier(socketName: socket.name).reloading()
        var after = timespec()
        clock_gettime(CLOCK_MONOTONIC, &after)
        let message = try #require(socket.receive(timeout: 5))
        let lines = message.split(separator: "\n").map(String.init)
        #expect(lines.first == "RELOADING=1")
        let stamp = try #require(lines.first { $0.hasPrefix("MONOTONIC_USEC=") }.flatMap { UInt64($0.dropFirst(15)) })
        let low = UInt64(before.tv_sec) * 1_000_000 + UInt64(before.tv_nsec) / 1000
        let high = UInt64(after.tv_sec) * 1_000_000 + UInt64(after.tv_nsec) / 1000
        #expect((low...high).contains(stamp), "\(stamp) not within \(low)...\(high)")
    }

    @Test func withoutNotifySocketNothingIsSent() {
        #expect(SystemdNotifier(socketName: nil).send("READY=1\n") == false)
        #expect(SystemdNotifier(socketName: "").send("READY=1\n") == false)
    }

    @Test func aSocketNobodyListensOnIsNotAnError() throws {
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("isapid-no-\(UUID().uuidString)")
        #expect(SystemdNotifier(socketName: missing.path).send("READY=1\n") == false)
        SystemdNotifier(socketName: missing.path).ready()  // returns quietly
    }

    @Test func aNameLongerThanSunPathIsRefused() {
        #expect(SystemdNotifier.address("/" + String(repeating: "x", count: 200)) == nil)
        #expect(SystemdNotifier.address("/run/systemd/notify")?.length == socklen_t(2 + 19 + 1))
        #expect(SystemdNotifier.address("@abstract")?.length == socklen_t(2 + 9))
    }
}

/// A datagram socket the test listens on, bound independently of the notifier's own
/// address code; closed (and its path removed) when released.
private final class NotifySocket {
    enum Kind { case path, abstract }
    let name: String
    private let descriptor: Int32
    private let directory: URL?

    init(kind: Kind) throws {
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes: [UInt8]
        switch kind {
        case .path:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("isapid-notify-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            self.directory = directory
            name = directory.appendingPathComponent("notify").path
            bytes = Array(name.utf8) + [0]
        case .abstract:
            directory = nil
            name = "@isapid-test-\(getpid())-\(UUID().uuidString.prefix(8))"
            bytes = [0] + Array(name.utf8.dropFirst())
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let length = socklen_t(2 + bytes.count)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        guard descriptor >= 0, bound == 0 else {
            throw NotifySocketError(description: "bind \(name): \(String(cString: strerror(errno)))")
        }
    }

    deinit {
        close(descriptor)
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }

    /// The next datagram, or nil after `timeout` seconds.
    func receive(timeout: Double) -> String? {
        var waiting = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&waiting, 1, Int32(timeout * 1000)) > 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(descriptor, &buffer, buffer.count, 0)
        return count < 0 ? nil : String(decoding: buffer[0..<count], as: UTF8.self)
    }
}

private struct NotifySocketError: Error, CustomStringConvertible {
    let description: String
}
