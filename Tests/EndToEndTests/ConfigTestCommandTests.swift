import Foundation
import Testing

/// The command line: `-t`, `-v`, `-C`, `-D`, and what a bad flag or config prints.
@Suite struct ConfigTestCommandTests {
    /// Every `*.conf` shipped under the repository's `conf/`, as paths relative to the repository.
    static func shippedConfigs() -> [String] {
        let conf = E2EPaths.packageRoot.appendingPathComponent("conf")
        guard let walker = FileManager.default.enumerator(atPath: conf.path) else { return [] }
        return walker.compactMap { $0 as? String }.filter { $0.hasSuffix(".conf") }.map { "conf/" + $0 }.sorted()
    }

    @Test func everyShippedConfigPassesSyntaxCheck() throws {
        let configs = Self.shippedConfigs()
        #expect(configs.contains("conf/httpd.conf"))
        for config in configs {
            let result = try runIsapid(["-t", "-f", config, "-d", E2EPaths.packageRoot.path])
            #expect(result.status == 0, "\(config): \(result.stderr)")
            #expect(result.stdout.contains("Syntax OK"), "\(config): stdout \(result.stdout.debugDescription)")
        }
    }

    @Test func unknownDirectiveIsReportedWithFileAndLine() throws {
        let root = try ServerRoot()
        try root.writeConfig("""
            # line 1: a comment
            Listen 127.0.0.1:0
            Bogus some argument
            ServerName localhost

            """)
        let result = try runIsapid(["-t", "-f", "conf/httpd.conf", "-d", root.path])
        #expect(result.exitedNormally)
        #expect(result.status == 1)
        #expect(result.stderr.contains("httpd.conf:3:"), "stderr: \(result.stderr)")
        #expect(result.stderr.contains("Invalid command 'Bogus'"), "stderr: \(result.stderr)")
        #expect(!result.stdout.contains("Syntax OK"))
    }

    @Test func minimalValidConfigPrintsSyntaxOK() throws {
        let root = try ServerRoot()
        try root.writeConfig(TestConfig.standard())
        let result = try runIsapid(["-t", "-f", "conf/httpd.conf", "-d", root.path])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "Syntax OK")
    }

    @Test func versionFlagPrintsVersion() throws {
        let result = try runIsapid(["-v"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("isapid/"), "stdout: \(result.stdout)")
        let version = try Regex(#"isapid/[0-9]+\.[0-9]+"#)
        #expect(result.stdout.contains(version), "stdout: \(result.stdout)")
    }

    @Test func unknownFlagPrintsUsageWithoutCrashing() throws {
        let result = try runIsapid(["-Z"])
        let output = result.stdout + result.stderr
        #expect(result.exitedNormally, "terminated by a signal: \(output)")
        #expect(result.status != 0)
        #expect(output.contains("Usage:"), "output: \(output)")
        for crashMarker in ["Fatal error", "Stack dump", "backtrace", "Current stack trace"] {
            #expect(!output.contains(crashMarker), "output: \(output)")
        }
    }

    @Test func preDirectiveSuppliesTheListener() throws {
        let root = try ServerRoot()
        try TestConfig.writeSite(root)
        try root.writeConfig(TestConfig.standard(listen: false))
        let daemon = try DaemonProcess(root: root, extraArguments: ["-C", "Listen 127.0.0.1:0"])
        defer { daemon.stop() }
        #expect(daemon.port > 0)
        let response = try daemon.get("/")
        #expect(response.status == 200)
        #expect(response.bodyText == TestConfig.indexBody)
    }

    @Test func defineSelectsIfDefineBlocks() throws {
        let root = try ServerRoot()
        try TestConfig.writeSite(root)
        try root.writeConfig(TestConfig.standard("""
            <IfDefine !E2E_FLAG>
                Bogus only read without the define
            </IfDefine>
            <IfDefine E2E_FLAG>
                ErrorDocument 404 "defined-marker"
            </IfDefine>
            """))
        let without = try runIsapid(["-t", "-f", "conf/httpd.conf", "-d", root.path])
        #expect(without.status == 1)
        #expect(without.stderr.contains("Invalid command 'Bogus'"), "stderr: \(without.stderr)")

        let with = try runIsapid(["-t", "-D", "E2E_FLAG", "-f", "conf/httpd.conf", "-d", root.path])
        #expect(with.status == 0, "stderr: \(with.stderr)")
        #expect(with.stdout.contains("Syntax OK"))

        let daemon = try DaemonProcess(root: root, extraArguments: ["-D", "E2E_FLAG"])
        defer { daemon.stop() }
        let response = try daemon.get("/no-such-file")
        #expect(response.status == 404)
        #expect(response.bodyText.contains("defined-marker"), "body: \(response.bodyText)")
    }
}
