import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// No spelling of `..` reaches a file outside the document root.
@Suite struct TraversalTests {
    static let secret = "TOP-SECRET"

    /// The corpus of traversal and encoding tricks (`Tests/Paths/traversal.txt`), sent as
    /// written, all aiming at ServerRoot/secret.txt, one level above htdocs.
    static let targets: [String] = {
        let file = E2EPaths.packageRoot.appendingPathComponent("Tests/Paths/traversal.txt")
        let text = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map(String.init).filter { !$0.isEmpty && !$0.hasPrefix("#") }
    }()

    enum AccessPolicy: String, CaseIterable { case denyOutsideDocumentRoot, grantEverything }

    private static func config(_ policy: AccessPolicy) -> String {
        let alias = #"Alias /alias "htdocs/sub""#
        switch policy {
        case .denyOutsideDocumentRoot:
            return TestConfig.standard(alias)
        case .grantEverything:
            // Only URL normalization stands between the client and the secret.
            return TestConfig.standard("""
                \(alias)
                <Directory />
                    Require all granted
                </Directory>
                """)
        }
    }

    @Test(arguments: AccessPolicy.allCases)
    func noTraversalReachesAFileOutsideTheDocumentRoot(policy: AccessPolicy) throws {
        #expect(Self.targets.count >= 80)
        let daemon = try DaemonProcess.start(Self.config(policy)) { root in
            try TestConfig.writeSite(root)
            try root.write("secret.txt", Self.secret + "\n")
            try root.write("htdocs/sub/secret.txt", "not the secret\n")
        }
        let servable = Set([TestConfig.indexBody, "file in sub\n", "not the secret\n"])

        // Sanity check: the file exists where a traversal would find it, and the site works.
        #expect(daemon.root.read("secret.txt").contains(Self.secret))
        #expect(try daemon.get("/").status == 200)

        for target in Self.targets {
            let client = try daemon.connect()
            try client.send("GET \(target) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            let responses = client.readResponses(1, timeout: 3)
            _ = client.waitForClose(timeout: 2)
            let everything = String(decoding: responses.flatMap(\.body) + client.buffer, as: UTF8.self)
            #expect(!everything.contains(Self.secret), "\(policy) \(target): the secret leaked")
            guard let response = responses.first else {
                Issue.record("\(policy) \(target): no response")
                continue
            }
            if response.status == 200 {
                #expect(servable.contains(response.bodyText), "\(policy) \(target): 200 with \(response.bodyText.debugDescription)")
            } else {
                #expect((400..<500).contains(response.status), "\(policy) \(target): status \(response.status)")
            }
        }
    }
}

/// The same corpus against what the ISAPI host hands extensions: PATH_INFO and
/// PATH_TRANSLATED (servervars.dll), HSE_REQ_MAP_URL_TO_PATH(_EX) (mapurl.dll); and links
/// out of the document root, for files and for extensions.
extension TraversalTests {
    /// Whether `path` stays at or below `root` when `/` and `\` are both separators and
    /// `.` and `..` are resolved (an extension ported from Windows may read it either way).
    static func staysInside(_ path: String, root: String) -> Bool {
        guard path == root || path.hasPrefix(root + "/"), !path.contains("\0") else { return false }
        var depth = 0
        for segment in path.dropFirst(root.count).split(whereSeparator: { $0 == "/" || $0 == "\\" }) {
            if segment == ".." {
                depth -= 1
                if depth < 0 { return false }
            } else if segment != "." {
                depth += 1
            }
        }
        return true
    }

    @Test func staysInsideReadsBothSeparators() {
        #expect(Self.staysInside("/r/htdocs/a/../b", root: "/r/htdocs"))
        #expect(!Self.staysInside("/r/htdocs/../secret.txt", root: "/r/htdocs"))
        #expect(!Self.staysInside("/r/htdocs/..\\secret.txt", root: "/r/htdocs"))
        #expect(!Self.staysInside("/r/htdocs-other/x", root: "/r/htdocs"))
    }

    /// servervars.dll and mapurl.dll under htdocs/scripts, with the Alias of the static
    /// test; and a control request whose answer must contain `expected(htdocs)`.
    static func startExtensions(control: String, expected: (String) -> String) throws -> (DaemonProcess, String) {
        let daemon = try ISAPITests.start(["servervars", "mapurl"], config: { root in
            ISAPITests.config(root, extra: #"Alias /alias "htdocs/sub""#)
        }) { root in
            try root.write("secret.txt", Self.secret + "\n")
        }
        let htdocs = daemon.root.path("htdocs")
        let answer = try #require(try Self.fetch(daemon, control))
        #expect(answer.bodyText.contains(expected(htdocs)), "\(control): \(answer.bodyText)")
        return (daemon, htdocs)
    }

    /// One GET of a raw target; the response, or nil when the server closed without one.
    static func fetch(_ daemon: DaemonProcess, _ target: String) throws -> HTTPResponse? {
        let client = try daemon.connect()
        try client.send("GET \(target) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        return ISAPITests.responses(client, count: 1, timeout: 5).first
    }

    /// GETs `prefix + target` for each corpus target that `include` keeps: each answer
    /// (a missing one is recorded as an issue), the secret never in it.
    static func answers(_ daemon: DaemonProcess, _ prefix: String, include: (String) -> Bool = { _ in true }) throws
        -> [(url: String, response: HTTPResponse)]
    {
        var answers: [(url: String, response: HTTPResponse)] = []
        for target in Self.targets where include(target) {
            let url = prefix + target
            guard let response = try Self.fetch(daemon, url) else {
                Issue.record("\(url): no response")
                continue
            }
            #expect(!response.bodyText.contains(Self.secret), "\(url): the secret leaked")
            answers.append((url, response))
        }
        return answers
    }

    @Test func pathTranslatedNeverLeavesTheDocumentRoot() throws {
        // Sanity check: a plain PATH_INFO is translated under htdocs.
        let (daemon, htdocs) = try Self.startExtensions(control: "/scripts/servervars.dll/sub/file.txt") {
            "PATH_TRANSLATED=\($0)/sub/file.txt\n"
        }

        var translated = 0
        for (url, response) in try Self.answers(daemon, "/scripts/servervars.dll", include: { $0.hasPrefix("/") }) {
            guard response.status == 200 else {
                #expect((400..<500).contains(response.status), "\(url): status \(response.status)")
                continue
            }
            #expect(response.bodyText.contains("REQUEST_METHOD=GET\n"), "\(url): 200 from something else")
            for line in response.bodyText.split(separator: "\n") {
                for name in ["PATH_TRANSLATED=", "SCRIPT_FILENAME="] where line.hasPrefix(name) {
                    let path = String(line.dropFirst(name.count))
                    if path.isEmpty { continue }
                    if name == "PATH_TRANSLATED=" { translated += 1 }
                    #expect(Self.staysInside(path, root: htdocs), "\(url): \(line)")
                }
            }
        }
        // The corpus reached the extension often enough to mean something.
        #expect(translated >= 20, "only \(translated) targets reached servervars.dll with a PATH_INFO")
    }

    @Test func mapURLToPathNeverLeavesTheRoots() throws {
        let (daemon, htdocs) = try Self.startExtensions(control: "/scripts/mapurl.dll?/sub/file.txt") {
            "  path: \($0)/sub/file.txt\n"
        }

        var mapped = 0
        for (url, response) in try Self.answers(daemon, "/scripts/mapurl.dll?") {
            // A fragment in the request-target is 400 (HttpProtocolOptions Strict, as Apache).
            if url.contains("#") {
                #expect(response.status == 400, "\(url): status \(response.status)")
                continue
            }
            #expect(response.status == 200, "\(url): status \(response.status)")
            for line in response.bodyText.split(separator: "\n") {
                // "  path: P" (MAP_URL_TO_PATH) and "  lpszPath:        P" (_EX).
                let text = line.trimmingCharacters(in: .whitespaces)
                guard let label = ["path:", "lpszPath:"].first(where: text.hasPrefix) else { continue }
                let path = text.dropFirst(label.count).trimmingCharacters(in: .whitespaces)
                mapped += 1
                #expect(Self.staysInside(path, root: htdocs), "\(url): \(line)")
            }
        }
        #expect(mapped >= 20, "only \(mapped) paths came back")
    }

    // MARK: Symbolic links out of the document root

    /// htdocs/link.txt -> ../secret.txt, htdocs/linkdir -> ../other (holding a secret too),
    /// htdocs/scripts/evil.dll -> ../../outside/evil.dll (hello.dll: its answer shows it ran),
    /// htdocs/scripts/outside -> ../../outside. With `owner`, the links belong to that uid.
    static func startWithLinks(htdocsOptions: String, scriptsOptions: String, linkOwner: uid_t? = nil) throws -> DaemonProcess {
        try ISAPITests.start(["hello"], config: { root in
            TestConfig.standard("""
                AddHandler isapi-handler .dll
                <Directory "\(root.path)/htdocs">
                    Options \(htdocsOptions)
                </Directory>
                <Directory "\(root.path)/htdocs/scripts">
                    Options \(scriptsOptions)
                </Directory>
                """)
        }) { root in
            try root.write("secret.txt", Self.secret + "\n")
            try root.write("other/secret.txt", Self.secret + " in other\n")
            let fm = FileManager.default
            try fm.createDirectory(atPath: root.path("outside"), withIntermediateDirectories: true)
            try fm.moveItem(atPath: root.path("htdocs/scripts/hello.dll"), toPath: root.path("outside/evil.dll"))
            let links = [("htdocs/link.txt", "secret.txt"), ("htdocs/linkdir", "other"),
                         ("htdocs/scripts/evil.dll", "outside/evil.dll"), ("htdocs/scripts/outside", "outside")]
            for (link, target) in links {
                try fm.createSymbolicLink(atPath: root.path(link), withDestinationPath: root.path(target))
                if let linkOwner { #expect(lchown(root.path(link), linkOwner, linkOwner) == 0) }
            }
        }
    }

    static let linkTargets = ["/link.txt", "/linkdir/secret.txt", "/sub/../link.txt", "/link.txt/extra",
                              "/scripts/evil.dll", "/scripts/outside/evil.dll", "/scripts/evil.dll/x"]

    /// Every link target gets 403: no secret read, no extension run, and the refusal logged.
    static func expectRefused(_ daemon: DaemonProcess, _ label: String) throws {
        for target in Self.linkTargets {
            let response = try #require(try Self.fetch(daemon, target), "\(label) \(target): no response")
            #expect(response.status == 403, "\(label) \(target): status \(response.status)")
            #expect(!response.bodyText.contains(Self.secret), "\(label) \(target): the secret leaked")
            #expect(!response.bodyText.contains("Hello from an ISAPI extension"), "\(label) \(target): the extension ran")
        }
        #expect(eventually(timeout: 2) { daemon.errorLog.contains("IS00037") }, "\(label): \(daemon.errorLog)")
        // The real files next to the links are served.
        #expect(try Self.fetch(daemon, "/sub/file.txt")?.status == 200)
    }

    @Test func linksOutOfTheRootWithoutFollowSymLinksAre403() throws {
        let daemon = try Self.startWithLinks(htdocsOptions: "-FollowSymLinks", scriptsOptions: "ExecCGI")
        try Self.expectRefused(daemon, "FollowSymLinks off")
    }

    @Test func linksNotOwnedLikeTheirTargetsUnderSymLinksIfOwnerMatchAre403() throws {
        guard geteuid() == 0 else { return }  // giving a link another owner needs root
        let daemon = try Self.startWithLinks(htdocsOptions: "-FollowSymLinks +SymLinksIfOwnerMatch",
                                             scriptsOptions: "ExecCGI SymLinksIfOwnerMatch", linkOwner: 65534)
        try Self.expectRefused(daemon, "SymLinksIfOwnerMatch, other owner")
    }

    /// The control for the two tests above: the same links are followed when the
    /// configuration allows it, so their 403 comes from the options, not from the links.
    @Test func theSameLinksAreFollowedWhenAllowed() throws {
        let daemon = try Self.startWithLinks(htdocsOptions: "FollowSymLinks", scriptsOptions: "ExecCGI FollowSymLinks")
        #expect(try Self.fetch(daemon, "/link.txt")?.bodyText == Self.secret + "\n")
        #expect(try Self.fetch(daemon, "/scripts/evil.dll")?.bodyText == "Hello from an ISAPI extension on isapid\n")
    }
}
