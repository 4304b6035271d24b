import Foundation

/// Certificates made at test time with Debian's `openssl`: a CA, server certificates for
/// a.test and b.test signed by it, and a client certificate. Made once per test process
/// (in a temporary directory) and shared by every TLS test; each file is a PEM.
final class TestCertificates: Sendable {
    let directory: String

    /// The shared set (generation takes a second or so).
    static let shared: Result<TestCertificates, E2EError> = Result { try TestCertificates() }
        .mapError { E2EError("\($0)") }

    static func get() throws -> TestCertificates { try shared.get() }

    private init() throws {
        directory = NSTemporaryDirectory() + "isapid-certs-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/O=isapid tests/CN=isapid test CA",
                     "-keyout", "ca.key", "-out", "ca.pem",
                     "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        for name in ["a.test", "b.test"] {
            try issue(name, subject: "/O=isapid tests/CN=\(name)",
                      extensions: "subjectAltName=DNS:\(name)\nextendedKeyUsage=serverAuth\n")
        }
        try issue("client", subject: "/O=isapid tests/CN=test client", extensions: "extendedKeyUsage=clientAuth\n")
    }

    /// `<name>.key` and `<name>.pem`, signed by the CA.
    private func issue(_ name: String, subject: String, extensions: String) throws {
        try extensions.write(toFile: path("\(name).ext"), atomically: true, encoding: .utf8)
        try openssl(["req", "-newkey", "rsa:2048", "-nodes", "-subj", subject, "-keyout", "\(name).key", "-out", "\(name).csr"])
        try openssl(["x509", "-req", "-in", "\(name).csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                     "-days", "2", "-extfile", "\(name).ext", "-out", "\(name).pem"])
    }

    func path(_ file: String) -> String { directory + "/" + file }

    var caCertificate: String { path("ca.pem") }
    func certificate(_ name: String) -> String { path("\(name).pem") }
    func key(_ name: String) -> String { path("\(name).key") }

    /// Runs `openssl` in the directory; its output is kept for the error.
    func openssl(_ arguments: [String]) throws {
        let result = try runCommand(URL(fileURLWithPath: "/usr/bin/openssl"), arguments, timeout: 30,
                                    currentDirectory: URL(fileURLWithPath: directory))
        guard result.exitedNormally && result.status == 0 else {
            throw E2EError("openssl \(arguments.joined(separator: " ")) failed: \(result.stderr)")
        }
    }
}

/// `curl` against the daemon: `--resolve` sends NAME to 127.0.0.1, so SNI and Host say NAME.
func curl(_ arguments: [String], timeout: Double = 20) throws -> CommandResult {
    try runCommand(URL(fileURLWithPath: "/usr/bin/curl"), ["--silent", "--show-error"] + arguments, timeout: timeout)
}
