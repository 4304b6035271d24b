import Foundation
import Testing

/// No spelling of `..` reaches a file outside the document root.
@Suite struct TraversalTests {
    static let secret = "TOP-SECRET"

    /// Request targets, sent as written (raw bytes), all aiming at ServerRoot/secret.txt,
    /// one level above htdocs.
    static let targets: [String] = [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E/secret.txt",
        "/.%2e/secret.txt",
        "/%2e./secret.txt",
        "/.%2E/secret.txt",
        "/..%2fsecret.txt",
        "/%2e%2e%2fsecret.txt",
        "/..%5csecret.txt",
        "/%2e%2e%5csecret.txt",
        "/..\\secret.txt",
        "/%252e%252e/secret.txt",
        "/..%252fsecret.txt",
        "/%c0%ae%c0%ae/secret.txt",
        "/..%c0%afsecret.txt",
        "/..%ef%bc%8fsecret.txt",
        "/sub/../../secret.txt",
        "/sub/%2e%2e/%2e%2e/secret.txt",
        "/sub/..%2f..%2fsecret.txt",
        "/sub/./../../secret.txt",
        "/sub//../../secret.txt",
        "//../secret.txt",
        "/./../secret.txt",
        "/%00/../secret.txt",
        "/../../../../../../../../secret.txt",
        "/../secret.txt?x=..",
        "/%2e%2e/secret.txt?x=../..",
        "/sub/../../secret.txt?x=..#frag",
        "/..;/secret.txt",
        "/sub/..;/..;/secret.txt",
        "/..%00",
        "/secret.txt..%00",
        "/...",
        "/.../secret.txt",
        "/..../secret.txt",
        "/%2e%2e",
        "/..",
        "/sub/..%u2216secret.txt",
        "/alias/../../secret.txt",
        "/alias/%2e%2e/%2e%2e/secret.txt",
        "/alias/..%2f..%2fsecret.txt",
        "/alias/..\\..\\secret.txt",
        "http://localhost/../secret.txt",
        "http://localhost/%2e%2e/secret.txt",
        "http://localhost/sub/../../secret.txt",
        "http://localhost/..%2fsecret.txt",
        "http://localhost/../secret.txt?x=..",
    ]

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
        #expect(Self.targets.count >= 30)
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
