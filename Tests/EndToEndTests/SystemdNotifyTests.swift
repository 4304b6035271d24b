import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// isapid under a fake systemd: `NOTIFY_SOCKET` names a datagram socket the test listens
/// on, and the notifications arrive in systemd's order: READY=1 (with the main pid) once
/// the server serves, RELOADING=1 then READY=1 around SIGHUP (applied or refused), and
/// STOPPING=1 at SIGTERM. Under the supervising parent only the parent speaks.
@Suite struct SystemdNotifyTests {
    @Test(arguments: [[], ["-X"]])
    func notificationsFollowStartReloadAndStop(extraArguments: [String]) throws {
        let systemd = try FakeNotifySocket()
        let daemon = try DaemonProcess.start(TestConfig.standard(#"ErrorDocument 404 "first-marker""#),
                                             extraArguments: extraArguments,
                                             environment: ["NOTIFY_SOCKET": systemd.path])
        let ready = try #require(systemd.receive(timeout: 10), "no READY=1; error log: \(daemon.errorLog)")
        #expect(ready.fields["READY"] == "1", "\(ready.text)")
        #expect(ready.fields["MAINPID"] == String(daemon.pid), "\(ready.text)")
        #expect(ready.fields["STATUS"]?.isEmpty == false, "\(ready.text)")
        #expect(try daemon.get("/").status == 200, "READY=1 before the server serves")

        // A reload that applies: READY=1 comes when the new configuration serves.
        try daemon.root.writeConfig(TestConfig.standard(#"ErrorDocument 404 "second-marker""#))
        daemon.sendSignal(SIGHUP)
        let reloading = try #require(systemd.receive(timeout: 10), "no RELOADING=1; error log: \(daemon.errorLog)")
        #expect(reloading.fields["RELOADING"] == "1", "\(reloading.text)")
        #expect(UInt64(reloading.fields["MONOTONIC_USEC"] ?? "") != nil, "\(reloading.text)")
        let reloaded = try #require(systemd.receive(timeout: 10), "no READY=1 after SIGHUP; error log: \(daemon.errorLog)")
        #expect(reloaded.fields["READY"] == "1", "\(reloaded.text)")
        #expect(reloaded.fields["MAINPID"] == String(daemon.pid), "\(reloaded.text)")
        #expect(try daemon.get("/missing.html").bodyText.contains("second-marker"), "READY=1 before the reload took effect")

        // A reload that is refused: the old configuration keeps serving, and says so.
        try daemon.root.writeConfig(TestConfig.standard("Bogus directive here"))
        daemon.sendSignal(SIGHUP)
        #expect(systemd.receive(timeout: 10)?.fields["RELOADING"] == "1")
        #expect(systemd.receive(timeout: 10)?.fields["READY"] == "1", "error log: \(daemon.errorLog)")
        #expect(try daemon.get("/missing.html").bodyText.contains("second-marker"))

        daemon.sendSignal(SIGTERM)
        let stopping = try #require(systemd.receive(timeout: 10), "no STOPPING=1; error log: \(daemon.errorLog)")
        #expect(stopping.fields["STOPPING"] == "1", "\(stopping.text)")
        #expect(daemon.waitForExit(timeout: 10) == 0, "error log: \(daemon.errorLog)")
        // Nothing more: in particular, the serving child never spoke (its READY=1 would carry its pid).
        #expect(systemd.receive(timeout: 0.2) == nil)
    }

    /// A reload that adds a Listen address starts a new serving child: READY=1 comes when
    /// that child reports serving (the parent holds the new socket already, so a client
    /// could connect earlier: this checks that the new child's report arrives, not timing).
    @Test func aReloadThatChangesListenIsReadyWhenTheNewChildServes() throws {
        let systemd = try FakeNotifySocket()
        let daemon = try DaemonProcess.start(TestConfig.standard(), environment: ["NOTIFY_SOCKET": systemd.path])
        #expect(systemd.receive(timeout: 10)?.fields["READY"] == "1")
        let extra = try LoopbackPort.unused()
        try daemon.root.writeConfig(TestConfig.standard("Listen 127.0.0.1:\(extra)"))
        daemon.sendSignal(SIGHUP)
        #expect(systemd.receive(timeout: 10)?.fields["RELOADING"] == "1")
        let ready = systemd.receive(timeout: 10)
        #expect(ready?.fields["READY"] == "1", "error log: \(daemon.errorLog)")
        #expect(ready?.fields["MAINPID"] == String(daemon.pid))
        let client = try RawClient(port: extra)
        try client.send("GET /a.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        #expect(client.readResponses(1).first?.status == 200, "the new address does not serve")
    }

    /// Extensions run in the serving child: neither they nor the programs they start
    /// see NOTIFY_SOCKET (the environment the child was started with, in /proc).
    @Test func theServingChildDoesNotInheritNotifySocket() throws {
        let systemd = try FakeNotifySocket()
        let daemon = try DaemonProcess.start(TestConfig.standard(), environment: ["NOTIFY_SOCKET": systemd.path])
        #expect(systemd.receive(timeout: 10)?.fields["READY"] == "1")
        let children = try String(contentsOfFile: "/proc/\(daemon.pid)/task/\(daemon.pid)/children", encoding: .utf8)
        let child = try #require(children.split(separator: " ").first.flatMap { Int32($0) }, "no serving child")
        let environment = { (pid: Int32) in
            (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/environ")))
                .map { $0.split(separator: 0).map { String(decoding: $0, as: UTF8.self) } } ?? []
        }
        #expect(environment(daemon.pid).contains("NOTIFY_SOCKET=\(systemd.path)"), "the parent has it")
        // The environment it was started with: the supervision hand-off is there, NOTIFY_SOCKET is not.
        #expect(environment(child).contains { $0.hasPrefix("ISAPID_SUPERVISION=") }, "not the serving child")
        #expect(!environment(child).contains { $0.hasPrefix("NOTIFY_SOCKET=") })
    }
}

/// One notification: its text and its `NAME=value` lines.
struct Notification {
    let text: String
    var fields: [String: String] {
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            fields[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        return fields
    }
}

/// The datagram socket a fake systemd listens on, in a temporary directory.
final class FakeNotifySocket {
    let path: String
    private let descriptor: Int32
    private let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("isapid-sd-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        path = directory.appendingPathComponent("notify").path
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8) + [0]) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard descriptor >= 0, bound == 0 else { throw E2EError("bind \(path): \(String(cString: strerror(errno)))") }
    }

    deinit {
        close(descriptor)
        try? FileManager.default.removeItem(at: directory)
    }

    /// The next notification, or nil after `timeout` seconds.
    func receive(timeout: Double) -> Notification? {
        var waiting = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&waiting, 1, Int32(timeout * 1000)) > 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(descriptor, &buffer, buffer.count, 0)
        return count < 0 ? nil : Notification(text: String(decoding: buffer[0..<count], as: UTF8.self))
    }
}
