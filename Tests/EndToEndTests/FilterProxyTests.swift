import Foundation
import Testing

/// ISAPI filters on proxied answers: the request's phases run on the pool (the filter
/// wants a request-phase notification), the proxy then runs on the event loop, and the
/// upstream's head passes SEND_RESPONSE there.
@Suite struct FilterProxyTests {
    @Test("addheader: a proxied answer carries the filter's header, with the upstream's status and body")
    func sendResponseOnAProxiedAnswer() throws {
        let upstream = try GatedUpstream { connection in
            guard connection.readHead() != nil else { return }
            connection.write("HTTP/1.1 201 Created\r\nContent-Length: 2\r\nX-Upstream: yes\r\n\r\nup")
        }
        defer { upstream.stop() }
        let root = try ServerRoot()
        try TestConfig.writeSite(root)
        _ = try FilterServingTests.installSample("addheader", into: root)
        try root.writeConfig(
            TestConfig.standard(
                """
                ISAPIFilter filters/addheader.dll
                RewriteEngine On
                RewriteRule ^/up/(.*)$ http://127.0.0.1:\(upstream.port)/$1 [P]
                """))
        let daemon = try DaemonProcess(root: root)
        defer { daemon.stop() }
        let response = try daemon.get("/up/x")
        #expect(response.status == 201)
        #expect(response.bodyText == "up")
        #expect(response.header("X-Upstream") == "yes")
        #expect(response.header("X-Filtered-By") == "isapid addheader", "\(response.headers)")
        #expect(eventually(timeout: 5) { root.read("logs/access_log").contains("\"GET /up/x HTTP/1.1\" 201 2") })
    }
}
