import Foundation

/// Debian's `openssl` command, run by the TLS tests to make certificates at test time and
/// to tell what OpenSSL itself prints for them.
enum OpenSSLTool {
    struct Failed: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs `openssl` with the arguments and stdin closed; its standard output and error
    /// together, and throws if it fails or outlives `timeout` seconds.
    @discardableResult
    static func run(_ arguments: [String], timeout: Double = 60) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        let output = FileManager.default.temporaryDirectory.appendingPathComponent(
            "isapid-openssl-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        let handle = try FileHandle(forWritingTo: output)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline {
            usleep(10_000)
        }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            throw Failed(description: "openssl \(arguments.joined(separator: " ")) took more than \(timeout) s")
        }
        try handle.close()
        let text = String(decoding: try Data(contentsOf: output), as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw Failed(
                description:
                    "openssl \(arguments.joined(separator: " ")) failed (\(process.terminationStatus)): \(text)")
        }
        return text
    }

    /// A new directory of its own for one test, which removes it when it ends (a `defer`).
    static func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("isapid-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    /// A self-signed certificate: `key` is "rsa:2048" or "ec" (P-256). Writes
    /// `<name>.key.pem`, `<name>.pem` and `<name>.der` in `directory`.
    static func makeCertificate(
        in directory: URL, name: String, key: String, subject: String, serial: String = "0x1234", days: Int = 30
    ) throws -> (keyPEM: String, certificatePEM: String, certificateDER: String) {
        let keyPath = directory.appendingPathComponent("\(name).key.pem").path
        let pemPath = directory.appendingPathComponent("\(name).pem").path
        let derPath = directory.appendingPathComponent("\(name).der").path
        var arguments = [
            "req", "-x509", "-nodes", "-utf8", "-days", "\(days)", "-subj", subject, "-set_serial", serial,
        ]
        if key == "ec" {
            arguments += ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
        } else {
            arguments += ["-newkey", key]
        }
        try run(arguments + ["-keyout", keyPath, "-out", pemPath])
        try run(["x509", "-in", pemPath, "-outform", "DER", "-out", derPath])
        return (keyPath, pemPath, derPath)
    }
}
