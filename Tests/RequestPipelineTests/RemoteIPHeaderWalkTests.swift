import Testing
import ServerConfig
@testable import RequestPipeline

/// mod_remoteip's header rule, case by case, against what Apache 2.4's
/// `remoteip_modify_request` does with the same peer, header and proxy list.
@Suite struct RemoteIPHeaderWalkTests {
    typealias Walk = RemoteIPHeaderWalk

    static func trusted(_ networks: String...) -> [RemoteIPProxy] {
        networks.map { RemoteIPProxy(network: IPRange($0)!, kind: .trusted) }
    }

    static func internalProxies(_ networks: String...) -> [RemoteIPProxy] {
        networks.map { RemoteIPProxy(network: IPRange($0)!, kind: .internal) }
    }

    @Test func withoutAListEveryPeerIsATrustedExternalProxy() {
        let one = Walk.walk(peer: "127.0.0.1", header: "203.0.113.5", proxies: nil)
        #expect(one == .init(client: "203.0.113.5", remainingHeader: nil, trustedProxies: ["127.0.0.1"], stop: .exhausted))
        let chain = Walk.walk(peer: "127.0.0.1", header: "203.0.113.5, 198.51.100.7", proxies: nil)
        #expect(chain == .init(client: "203.0.113.5", remainingHeader: nil, trustedProxies: ["127.0.0.1", "198.51.100.7"],
                               stop: .exhausted))
        // ...so a private address in the header is refused, whoever sends it.
        let privateOne = Walk.walk(peer: "127.0.0.1", header: "10.1.2.3", proxies: nil)
        #expect(privateOne == .init(client: nil, remainingHeader: "10.1.2.3", trustedProxies: [], stop: .privateAddress("10.1.2.3")))
    }

    @Test func aTrustedChainIsFollowedToTheClient() {
        let proxies = Self.trusted("192.0.2.1", "198.51.100.0/24")
        let outcome = Walk.walk(peer: "192.0.2.1", header: "203.0.113.5, 198.51.100.7", proxies: proxies)
        #expect(outcome == .init(client: "203.0.113.5", remainingHeader: nil, trustedProxies: ["192.0.2.1", "198.51.100.7"],
                                 stop: .exhausted))
    }

    @Test func anUntrustedHostInTheMiddleEndsTheWalk() {
        let proxies = Self.trusted("192.0.2.1", "198.51.100.7")
        // 198.51.100.99 is reported by a trusted proxy, so it is the client; what it
        // reports in turn is not believed, and stays in the header.
        let outcome = Walk.walk(peer: "192.0.2.1", header: "203.0.113.5, 198.51.100.99, 198.51.100.7", proxies: proxies)
        #expect(outcome == .init(client: "198.51.100.99", remainingHeader: "203.0.113.5",
                                 trustedProxies: ["192.0.2.1", "198.51.100.7"], stop: .untrustedProxy("198.51.100.99")))
    }

    @Test func anUntrustedPeersHeaderIsIgnoredEntirely() {
        let outcome = Walk.walk(peer: "203.0.113.9", header: "198.51.100.1", proxies: Self.trusted("192.0.2.1"))
        #expect(outcome == .init(client: nil, remainingHeader: "198.51.100.1", trustedProxies: [],
                                 stop: .untrustedProxy("203.0.113.9")))
    }

    @Test func internalProxiesMayReportPrivateAddressesAndAreNotListed() {
        let proxies = Self.internalProxies("10.0.0.0/8")
        let outcome = Walk.walk(peer: "10.0.0.1", header: "203.0.113.5, 10.0.0.2", proxies: proxies)
        #expect(outcome == .init(client: "203.0.113.5", remainingHeader: nil, trustedProxies: [], stop: .exhausted))
        let privateClient = Walk.walk(peer: "10.0.0.1", header: "192.168.1.20", proxies: proxies)
        #expect(privateClient.client == "192.168.1.20")
    }

    @Test func anExternalProxyCannotPresentAnInternalOne() {
        // 203.0.113.7 is listed as internal, but a trusted (external) proxy reported it:
        // it counts as external, and its private report is refused.
        let proxies = Self.trusted("192.0.2.1") + Self.internalProxies("203.0.113.0/24")
        let outcome = Walk.walk(peer: "192.0.2.1", header: "10.0.0.5, 203.0.113.7", proxies: proxies)
        #expect(outcome == .init(client: "203.0.113.7", remainingHeader: "10.0.0.5", trustedProxies: ["192.0.2.1"],
                                 stop: .privateAddress("10.0.0.5")))
        // An internal proxy may present an external one, which then may not report a private address.
        let mixed = Self.internalProxies("10.0.0.0/8") + Self.trusted("192.0.2.1")
        let inward = Walk.walk(peer: "10.0.0.1", header: "192.168.1.5, 192.0.2.1", proxies: mixed)
        #expect(inward == .init(client: "192.0.2.1", remainingHeader: "192.168.1.5", trustedProxies: [],
                                stop: .privateAddress("192.168.1.5")))
    }

    @Test(arguments: ["10.0.0.1", "127.0.0.2", "169.254.1.1", "172.16.0.1", "172.31.255.255", "192.168.0.1",
                      "::1", "fe80::1", "fc00::1", "::ffff:203.0.113.5"])
    func privateAddressesAreRefusedFromExternalProxies(_ address: String) {
        #expect(Walk.walk(peer: "192.0.2.1", header: address, proxies: nil).stop == .privateAddress(address))
    }

    @Test(arguments: ["172.32.0.1", "100.64.0.1", "8.8.8.8", "2001:db8::1", "2a00:1450::1"])
    func publicAddressesAreTaken(_ address: String) {
        #expect(Walk.walk(peer: "192.0.2.1", header: address, proxies: nil).client == address)
    }

    @Test func ipv6PeersAndAddressesAreCanonical() {
        let proxies = Self.trusted("2001:db8:1::/48")
        let outcome = Walk.walk(peer: "2001:db8:1::10", header: "2001:DB8:0:0::BEEF", proxies: proxies)
        #expect(outcome == .init(client: "2001:db8::beef", remainingHeader: nil, trustedProxies: ["2001:db8:1::10"], stop: .exhausted))
        // A v4 peer seen on a dual-stack socket matches a v4 network.
        #expect(Walk.walk(peer: "::ffff:192.0.2.1", header: "203.0.113.5", proxies: Self.trusted("192.0.2.0/24")).client
                == "203.0.113.5")
    }

    @Test(arguments: ["203.0.113.5:5678", "[2001:db8::1]", "[2001:db8::1]:80", "unknown", "client.example.com",
                      "999.1.1.1", "_hidden"])
    func valuesThatAreNotAddressesEndTheWalk(_ value: String) {
        let outcome = Walk.walk(peer: "192.0.2.1", header: value, proxies: nil)
        #expect(outcome == .init(client: nil, remainingHeader: value, trustedProxies: [], stop: .unparsable(value)))
    }

    @Test func theUntakenPartIsKeptAsApacheRestoresIt() {
        // After a comma: the element as written, without its trailing spaces.
        let garbage = Walk.walk(peer: "192.0.2.1", header: "203.0.113.5, garbage , 198.51.100.7", proxies: nil)
        #expect(garbage.client == "198.51.100.7")
        #expect(garbage.remainingHeader == "203.0.113.5, garbage")
        #expect(garbage.stop == .unparsable("garbage"))
        // Alone: trimmed on both sides.
        let alone = Walk.walk(peer: "192.0.2.1", header: "  garbage  , 198.51.100.7", proxies: nil)
        #expect(alone.remainingHeader == "garbage")
        // An empty element stops the walk and stays.
        let empty = Walk.walk(peer: "192.0.2.1", header: "203.0.113.5,,198.51.100.7", proxies: nil)
        #expect(empty == .init(client: "198.51.100.7", remainingHeader: "203.0.113.5,", trustedProxies: ["192.0.2.1"],
                               stop: .emptyElement))
        let spaces = Walk.walk(peer: "192.0.2.1", header: "  ,  198.51.100.7  ", proxies: nil)
        #expect(spaces == .init(client: "198.51.100.7", remainingHeader: "", trustedProxies: ["192.0.2.1"], stop: .emptyElement))
        // A stop at an untrusted host leaves the rest exactly as written.
        let untrusted = Walk.walk(peer: "192.0.2.1", header: " 203.0.113.5 ,  198.51.100.9", proxies: Self.trusted("192.0.2.1"))
        #expect(untrusted.remainingHeader == " 203.0.113.5 ")
        #expect(untrusted.client == "198.51.100.9")
    }

    @Test func theFirstMatchingEntryDecidesAPeersKind() {
        // Listed first as trusted, then as internal: trusted wins, so a private report is refused.
        let proxies = Self.trusted("192.0.2.0/24") + Self.internalProxies("192.0.2.1")
        #expect(Walk.walk(peer: "192.0.2.1", header: "10.0.0.1", proxies: proxies).stop == .privateAddress("10.0.0.1"))
        let reversed = Self.internalProxies("192.0.2.1") + Self.trusted("192.0.2.0/24")
        #expect(Walk.walk(peer: "192.0.2.1", header: "10.0.0.1", proxies: reversed).client == "10.0.0.1")
    }
}
