import Foundation
import Testing

@testable import HTTPDaemon

/// The proxy's settings as a configuration gives them: Apache's chain of defaults for the
/// connect timeout, and ProxySet's per-upstream values.
@Suite struct UpstreamSettingsTests {
    @Test func timeoutsFollowApachesDefaults() throws {
        let harness = try ProxyServerHarness(
            """
            Timeout 40
            ProxySet http://slow.example:8080 connectiontimeout=2
            ProxySet https://api.example timeout=7

            """)
        let settings = harness.daemon.currentState.upstreams.settings
        let slow = UpstreamEndpoint(scheme: .http, host: "slow.example", port: 8080)
        let api = UpstreamEndpoint(scheme: .https, host: "api.example", port: 443)
        let other = UpstreamEndpoint(scheme: .http, host: "api.example", port: 80)
        #expect(settings.readTimeout == 40)
        #expect(settings.connectTimeout(for: slow) == 2)
        #expect(settings.readTimeout(for: slow) == 40)
        #expect(settings.connectTimeout(for: api) == 7)
        #expect(settings.readTimeout(for: api) == 7)
        #expect(settings.connectTimeout(for: other) == 40)
        let withProxyTimeout = try ProxyServerHarness("Timeout 40\nProxyTimeout 9\n").daemon.currentState.upstreams
        #expect(withProxyTimeout.settings.connectTimeout(for: other) == 9)
        #expect(withProxyTimeout.settings.readTimeout(for: other) == 9)
    }
}
