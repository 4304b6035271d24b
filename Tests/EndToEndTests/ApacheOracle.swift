import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Debian's Apache, started by an oracle test on a loopback port of its own, from a
/// ServerRoot of its own (run as www-data when the tests run as root), with `modules`
/// loaded and `configuration(port)` after the common lines. Stopped by pid with `stop()`.
final class ApacheOracle {
    let root: ServerRoot
    let port: Int
    private let process = Process()

    init(modules: [String], configuration: (_ port: Int) -> String) throws {
        root = try ServerRoot()
        try root.write("htdocs/index.html", "index\n")
        try FileManager.default.createDirectory(atPath: root.path("run"), withIntermediateDirectories: true)
        for directory in ["", "htdocs", "conf", "run"] { chmod(root.path(directory), 0o755) }
        chmod(root.path("logs"), 0o777)
        port = try LoopbackPort.unused()
        let loads = modules
            .map { "LoadModule \($0)_module \(RemoteIPApacheOracleTests.apacheModules)/mod_\($0).so" }
            .joined(separator: "\n")
        try root.writeConfig(
            """
            ServerRoot "\(root.path)"
            DefaultRuntimeDir "\(root.path)/run"
            PidFile "\(root.path)/run/httpd.pid"
            \(loads)
            \(geteuid() == 0 ? "User www-data\nGroup www-data" : "")
            Listen 127.0.0.1:\(port)
            ServerName localhost
            DocumentRoot "\(root.path)/htdocs"
            ErrorLog "\(root.path)/logs/error_log"
            <Directory "\(root.path)/htdocs">
                Require all granted
            </Directory>
            \(configuration(port))
            """)
        // The test process blocks SIGTERM in the threads that spawn children, and a child
        // inherits the mask: Apache is started through python3 with an empty mask, or it
        // would never see the SIGTERM that stops it.
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", "-c",
            "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); os.execv(sys.argv[1], sys.argv[1:])",
            RemoteIPApacheOracleTests.apacheBinary, "-d", root.path, "-f", root.path("conf/httpd.conf"), "-DFOREGROUND",
        ]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    /// Whether Apache accepts connections within 15 s.
    func waitUntilListening() -> Bool {
        eventually(timeout: 15) { RawClient.canConnect(port: port) }
    }

    /// SIGTERM, then SIGKILL after 10 s.
    func stop() {
        kill(process.processIdentifier, SIGTERM)
        if !eventually(timeout: 10, { !self.process.isRunning }) { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}
