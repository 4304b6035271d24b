import Foundation
import Testing

/// Script maps end to end: the sample template engine (extensions/template, built by
/// SwiftPM) runs `.tpl` files through `ISAPIScriptMap` (IIS's semantics) and through
/// mod_actions' `Action` + `AddHandler` (Apache's). The engine opens the file named by
/// its ECB's `lpszPathTranslated` and expands `${VARIABLE}` from GetServerVariable, so
/// each answer shows both what the engine was given and what it read.
@Suite struct ScriptMapTests {
    /// The page every test serves: the variables a script-mapped engine depends on.
    static let page = """
        SCRIPT_NAME=${SCRIPT_NAME}
        URL=${URL}
        PATH_INFO=${PATH_INFO}
        PATH_TRANSLATED=${PATH_TRANSLATED}
        SCRIPT_FILENAME=${SCRIPT_FILENAME}
        QUERY_STRING=${QUERY_STRING}
        REQUEST_METHOD=${REQUEST_METHOD}
        REDIRECT_URL=${REDIRECT_URL}
        REDIRECT_STATUS=${REDIRECT_STATUS}
        cost: $$5
        """

    /// A ServerRoot with the engine at `engines/template.dll` (outside the DocumentRoot),
    /// `htdocs/app/page.tpl`, and `extra` after the standard configuration.
    static func start(_ extra: (ServerRoot) -> String, prepare: (ServerRoot) throws -> Void = { _ in }) throws -> DaemonProcess {
        let root = try ServerRoot()
        try TestConfig.writeSite(root)
        let library = ISAPITests.buildDirectory.appendingPathComponent("libtemplate.so")
        try FileManager.default.createDirectory(atPath: root.path("engines"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: library.path, toPath: root.path("engines/template.dll"))
        try root.write("htdocs/app/page.tpl", page)
        try prepare(root)
        try root.writeConfig(TestConfig.standard(extra(root)))
        return try DaemonProcess(root: root)
    }

    /// The `NAME=value` lines of a rendered page.
    static func variables(_ response: HTTPResponse) -> [String: String] {
        var result: [String: String] = [:]
        for line in response.bodyText.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            result[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        return result
    }

    static func scriptMapped(_ root: ServerRoot) -> String {
        """
        ISAPIScriptMap .tpl engines/template.dll verify
        <Directory "\(root.path("htdocs/app"))">
            Options ExecCGI
        </Directory>
        """
    }

    @Test func scriptMapRunsTheEngineOnTheScriptWithIISVariables() throws {
        let daemon = try Self.start(Self.scriptMapped(_:))
        let root = daemon.root
        let response = try daemon.get("/app/page.tpl?x=1")
        #expect(response.status == 200, "\(response.bodyText)\n\(daemon.errorLog)")
        #expect(response.header("Content-Type") == "text/html; charset=utf-8")
        let variables = Self.variables(response)
        #expect(variables["SCRIPT_NAME"] == "/app/page.tpl")
        #expect(variables["URL"] == "/app/page.tpl")
        #expect(variables["PATH_INFO"] == "/app/page.tpl")
        #expect(variables["PATH_TRANSLATED"] == root.path("htdocs/app/page.tpl"))
        #expect(variables["SCRIPT_FILENAME"] == root.path("htdocs/app/page.tpl"))
        #expect(variables["QUERY_STRING"] == "x=1")
        #expect(variables["REQUEST_METHOD"] == "GET")
        #expect(response.bodyText.hasSuffix("cost: $5"))
    }

    @Test func scriptMapWithExtraPathKeepsTheScriptAsPathTranslated() throws {
        let daemon = try Self.start(Self.scriptMapped(_:))
        let response = try daemon.get("/app/page.tpl/more/path")
        #expect(response.status == 200, "\(response.bodyText)\n\(daemon.errorLog)")
        let variables = Self.variables(response)
        #expect(variables["SCRIPT_NAME"] == "/app/page.tpl")
        #expect(variables["URL"] == "/app/page.tpl")
        // IIS (AllowPathInfoForScriptMappings false): PATH_INFO is the whole URL path.
        #expect(variables["PATH_INFO"] == "/app/page.tpl/more/path")
        #expect(variables["PATH_TRANSLATED"] == daemon.root.path("htdocs/app/page.tpl"))
    }

    /// `DirectoryIndex index.tpl`: a directory request is served by its mapped index script.
    @Test func aDirectoryIndexScriptRunsThroughTheMap() throws {
        let daemon = try Self.start({ root in
            Self.scriptMapped(root) + "\n<Directory \"\(root.path("htdocs/app"))\">\nDirectoryIndex index.tpl\n</Directory>"
        }, prepare: { root in
            try root.write("htdocs/app/index.tpl", Self.page)
        })
        let response = try daemon.get("/app/")
        #expect(response.status == 200, "\(response.bodyText)\n\(daemon.errorLog)")
        let variables = Self.variables(response)
        #expect(variables["SCRIPT_NAME"] == "/app/index.tpl")
        #expect(variables["PATH_TRANSLATED"] == daemon.root.path("htdocs/app/index.tpl"))
    }

    @Test func verifyAnswers404BeforeTheEngineRuns() throws {
        let daemon = try Self.start(Self.scriptMapped(_:))
        let response = try daemon.get("/app/missing.tpl")
        #expect(response.status == 404)
        // The server's own page, not the engine's text/plain answer.
        #expect(response.header("Content-Type")?.hasPrefix("text/html") == true)
        #expect(eventually(timeout: 5) { daemon.errorLog.contains("IS02044") }, "\(daemon.errorLog)")
    }

    @Test func withoutVerifyTheEngineAnswersForAMissingScript() throws {
        let daemon = try Self.start { root in
            """
            ISAPIScriptMap .tpl engines/template.dll
            <Directory "\(root.path("htdocs/app"))">
                Options ExecCGI
            </Directory>
            """
        }
        let response = try daemon.get("/app/missing.tpl")
        #expect(response.status == 404)
        #expect(response.header("Content-Type") == "text/plain")
        #expect(response.bodyText == "404 Not Found")
    }

    @Test func theScriptsDirectoryNeedsExecCGI() throws {
        let daemon = try Self.start { _ in "ISAPIScriptMap .tpl engines/template.dll verify" }
        let response = try daemon.get("/app/page.tpl")
        #expect(response.status == 403)
        #expect(eventually(timeout: 5) {
            daemon.errorLog.contains("IS02043") && daemon.errorLog.contains("Scripts permission")
        }, "\(daemon.errorLog)")
        // Files the map does not cover are still served as before.
        #expect(try daemon.get("/a.txt").status == 200)
    }

    @Test func aScriptMapInHtaccessUnderFileInfo() throws {
        let daemon = try Self.start({ root in
            """
            <Directory "\(root.path("htdocs/app"))">
                Options ExecCGI
                AllowOverride FileInfo
            </Directory>
            """
        }, prepare: { root in
            try root.write("htdocs/app/.htaccess", "ISAPIScriptMap .tpl \(root.path("engines/template.dll")) verify\n")
        })
        let response = try daemon.get("/app/page.tpl")
        #expect(response.status == 200, "\(response.bodyText)\n\(daemon.errorLog)")
        #expect(Self.variables(response)["PATH_TRANSLATED"] == daemon.root.path("htdocs/app/page.tpl"))
        // Elsewhere the map does not apply: .tpl is a plain file there.
        try daemon.root.write("htdocs/other/page.tpl", "plain ${URL}")
        #expect(try daemon.get("/other/page.tpl").bodyText == "plain ${URL}")
    }

    @Test func aScriptMapEngineIsCachedByISAPICacheFile() throws {
        let daemon = try Self.start { root in
            Self.scriptMapped(root) + "\nISAPICacheFile engines/template.dll"
        }
        for _ in 0..<3 { #expect(try daemon.get("/app/page.tpl").status == 200) }
        // Loaded once at start (the load line, IS02040, names the engine), never per request.
        let loads = daemon.errorLog.split(separator: "\n").filter { $0.contains("IS02040") && $0.contains("template.dll") }
        #expect(loads.count == 1, "\(daemon.errorLog)")
        #expect(loads.first?.contains("isapid sample: template engine") == true)
    }

    // MARK: - mod_actions

    static func action(_ root: ServerRoot) -> String {
        """
        Alias /engines/ "\(root.path("engines"))/"
        <Directory "\(root.path("engines"))">
            Options ExecCGI
            Require all granted
            AddHandler isapi-handler .dll
        </Directory>
        Action template-page /engines/template.dll
        AddHandler template-page .tpl
        """
    }

    @Test func actionRunsTheEngineWithTheOriginalURLAsPathInfo() throws {
        let daemon = try Self.start(Self.action(_:))
        let response = try daemon.get("/app/page.tpl?y=2")
        #expect(response.status == 200, "\(response.bodyText)\n\(daemon.errorLog)")
        let variables = Self.variables(response)
        #expect(variables["SCRIPT_NAME"] == "/engines/template.dll")
        #expect(variables["PATH_INFO"] == "/app/page.tpl")
        #expect(variables["PATH_TRANSLATED"] == daemon.root.path("htdocs/app/page.tpl"))
        #expect(variables["SCRIPT_FILENAME"] == daemon.root.path("engines/template.dll"))
        #expect(variables["QUERY_STRING"] == "y=2")
        #expect(variables["REDIRECT_URL"] == "/app/page.tpl")
        #expect(variables["REDIRECT_STATUS"] == "200")
    }

    @Test func actionAnswers404ForAMissingFileUnlessVirtual() throws {
        let daemon = try Self.start(Self.action(_:))
        let missing = try daemon.get("/app/missing.tpl")
        #expect(missing.status == 404)
        #expect(missing.header("Content-Type")?.hasPrefix("text/html") == true)
        #expect(eventually(timeout: 5) { daemon.errorLog.contains("IS00652") }, "\(daemon.errorLog)")

        let virtual = try Self.start { root in
            Self.action(root).replacingOccurrences(of: "/engines/template.dll\n", with: "/engines/template.dll virtual\n")
        }
        let answered = try virtual.get("/app/missing.tpl")
        // The engine ran and answered for the missing file itself.
        #expect(answered.status == 404)
        #expect(answered.bodyText == "404 Not Found")
    }

    @Test func actionForAMediaType() throws {
        let daemon = try Self.start { root in
            Self.action(root).replacingOccurrences(of: "AddHandler template-page .tpl", with: "AddType text/x-template .tpl")
                .replacingOccurrences(of: "Action template-page", with: "Action text/x-template")
        }
        let response = try daemon.get("/app/page.tpl")
        #expect(response.status == 200, "\(response.bodyText)\n\(daemon.errorLog)")
        #expect(Self.variables(response)["PATH_INFO"] == "/app/page.tpl")
    }
}
