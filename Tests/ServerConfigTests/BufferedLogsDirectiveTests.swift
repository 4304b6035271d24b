import Testing
@testable import ServerConfig

/// mod_log_config's `BufferedLogs On|Off`: server config only, Off by default.
@Suite struct BufferedLogsDirectiveTests {
    @Test func offByDefaultOnWhenSaid() throws {
        let tree = TemporaryTree()
        #expect(try tree.load("Listen 127.0.0.1:8080\n").bufferedLogs == false)
        #expect(try tree.load("Listen 127.0.0.1:8080\nBufferedLogs On\n").bufferedLogs == true)
        #expect(try tree.load("Listen 127.0.0.1:8080\nBufferedLogs On\nBufferedLogs off\n").bufferedLogs == false)
    }

    @Test func refusesOtherValuesAndVirtualHosts() throws {
        let tree = TemporaryTree()
        let bad = tree.error("Listen 127.0.0.1:8080\nBufferedLogs sometimes\n")
        #expect(bad?.line == 2)
        let inHost = tree.error("""
            Listen 127.0.0.1:8080
            <VirtualHost *:8080>
                BufferedLogs On
            </VirtualHost>

            """)
        #expect(inHost?.line == 3)
    }
}
