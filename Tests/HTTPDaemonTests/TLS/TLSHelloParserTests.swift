@testable import HTTPDaemon
import NIOCore
import Testing

/// The record reassembly and the hello state machine, on records built by hand.
@Suite struct TLSHelloParserTests {
    typealias B = TLSBytes

    // MARK: records and handshake messages

    @Test func aRecordFedOneByteAtATimeYieldsItsMessageOnce() throws {
        let bytes = B.record(22, B.handshake(1, B.clientHello(sessionID: [7, 7])))
        var stream = TLSHandshakeStream(keeping: [1])
        var items: [TLSHandshakeStream.Item] = []
        for byte in bytes {
            items += try stream.read(B.buffer([byte]))
        }
        #expect(items == [.message(type: 1, body: B.clientHello(sessionID: [7, 7]))])
    }

    @Test func severalMessagesInOneRecordAndOneMessageOverTwoRecords() throws {
        let hello = B.serverHello(cipher: 0xC02F)
        let certificate = B.handshake(11, [UInt8](repeating: 0x55, count: 300))
        let flight = B.handshake(2, hello) + certificate + B.handshake(14, [])
        // The flight split into two records in the middle of the Certificate, then cut
        // into reads at arbitrary places.
        let records = B.record(22, Array(flight[0..<120])) + B.record(22, Array(flight[120...])) + B.record(20, [1])
        var stream = TLSHandshakeStream(keeping: [2])
        var items: [TLSHandshakeStream.Item] = []
        for range in [0..<3, 3..<50, 50..<124, 124..<130, 130..<records.count] {
            items += try stream.read(B.buffer(Array(records[range])))
        }
        #expect(
            items == [
                .message(type: 2, body: hello), .skippedMessage(type: 11), .skippedMessage(type: 14),
                .otherRecord(contentType: 20),
            ])
    }

    @Test func aMessageNotKeptIsReportedAsSoonAsItsHeaderArrives() throws {
        var stream = TLSHandshakeStream(keeping: [2])
        let header = B.record(22, B.handshake(11, [UInt8](repeating: 0, count: 1000)))
        #expect(try stream.read(B.buffer(Array(header[0..<9]))) == [.skippedMessage(type: 11)])
        #expect(try stream.read(B.buffer(Array(header[9...]))) == [])
    }

    @Test func plainHTTPIsNotARecord() {
        var stream = TLSHandshakeStream(keeping: [1])
        #expect(throws: TLSHandshakeStream.Malformed.self) {
            try stream.read(B.buffer(Array("GET / HTTP/1.1\r\n".utf8)))
        }
    }

    @Test func anOversizedRecordOrKeptMessageIsMalformed() {
        var records = TLSHandshakeStream(keeping: [1])
        #expect(throws: TLSHandshakeStream.Malformed.self) { try records.read(B.buffer([22, 3, 3, 0xFF, 0xFF])) }
        var messages = TLSHandshakeStream(keeping: [1], maximumKeptLength: 100)
        #expect(throws: TLSHandshakeStream.Malformed.self) {
            try messages.read(B.buffer(B.record(22, B.handshake(1, [UInt8](repeating: 0, count: 101)))))
        }
    }

    @Test func anAlertInsideAHandshakeMessageIsMalformed() {
        var stream = TLSHandshakeStream(keeping: [2])
        let half = Array(B.handshake(2, B.serverHello(cipher: 0x1301))[0..<10])
        #expect(throws: TLSHandshakeStream.Malformed.self) {
            try stream.read(B.buffer(B.record(22, half) + B.record(21, [2, 40])))
        }
    }

    // MARK: the hellos

    @Test func clientHelloFacts() throws {
        let plain = try ClientHelloFacts(body: B.clientHello())
        #expect(plain.sessionID.isEmpty && !plain.offersPreSharedKey)
        let resuming = try ClientHelloFacts(body: B.clientHello(sessionID: [1, 2, 3], offeringPSK: true))
        #expect(resuming.sessionID == [1, 2, 3] && resuming.offersPreSharedKey)
    }

    @Test func truncatedOrOverlongHellosAreMalformed() {
        let body = B.clientHello()
        #expect(throws: TLSHandshakeStream.Malformed.self) { try ClientHelloFacts(body: Array(body.dropLast())) }
        #expect(throws: TLSHandshakeStream.Malformed.self) { try ClientHelloFacts(body: body + [0]) }
        #expect(throws: TLSHandshakeStream.Malformed.self) {
            try ServerHelloFacts(body: B.serverHello(sessionID: [UInt8](repeating: 1, count: 33), cipher: 0x1301))
        }
    }

    // MARK: the observation

    private func observe(client: [UInt8], server: [[UInt8]]) -> HelloObservation {
        var observation = HelloObservation()
        observation.clientSent(B.buffer(B.record(22, B.handshake(1, client), version: 0x0301)))
        for write in server {
            observation.serverSent(B.buffer(write))
        }
        return observation
    }

    @Test func tls13FullHandshake() {
        let observation = observe(
            client: B.clientHello(sessionID: [UInt8](repeating: 9, count: 32)),
            server: [
                B.record(
                    22,
                    B.handshake(
                        2,
                        B.serverHello(
                            sessionID: [UInt8](repeating: 9, count: 32), cipher: 0x1302, extensions: [B.tls13])))
                    + B.record(20, [1]) + B.record(23, [UInt8](repeating: 0xEE, count: 40))
            ])
        #expect(
            observation.negotiated
                == NegotiatedHello(
                    protocolVersion: "TLSv1.3", cipherSuite: CipherSuite.withID(0x1302)!, sessionReuse: .initial))
        #expect(!observation.isWatching)
    }

    /// A TLS 1.2 abbreviated handshake in one write: ServerHello, change_cipher_spec, then
    /// the encrypted Finished in a handshake record. Its ciphertext is not read as a
    /// message: here it begins like a ServerHello of 7 MB, which once gave up on the
    /// handshake (1 time in 256, the chance of that first byte).
    @Test func tls12ResumptionStopsReadingAtTheChangeCipherSpec() {
        let ciphertext: [UInt8] = [0x02, 0x71, 0xAC, 0x87] + [UInt8](repeating: 0x5A, count: 36)
        let observation = observe(
            client: B.clientHello(),
            server: [
                B.record(22, B.handshake(2, B.serverHello(cipher: 0xC02F, extensions: nil)))
                    + B.record(20, [1]) + B.record(22, ciphertext)
            ])
        #expect(observation.abandonment == nil)
        #expect(observation.negotiated?.sessionReuse == .resumed)
        #expect(observation.negotiated?.protocolVersion == "TLSv1.2")
    }

    @Test func tls13ResumptionIsThePreSharedKeyInTheServerHello() {
        let observation = observe(
            client: B.clientHello(offeringPSK: true),
            server: [B.record(22, B.handshake(2, B.serverHello(cipher: 0x1301, extensions: [B.pskAccepted, B.tls13])))])
        #expect(observation.negotiated?.sessionReuse == .resumed)
        #expect(observation.negotiated?.cipherSuite.name == "TLS_AES_128_GCM_SHA256")
    }

    @Test func aPreSharedKeyTheClientDidNotOfferIsGivenUpOn() {
        let observation = observe(
            client: B.clientHello(),
            server: [B.record(22, B.handshake(2, B.serverHello(cipher: 0x1301, extensions: [B.pskAccepted, B.tls13])))])
        #expect(observation.negotiated == nil)
        #expect(observation.abandonment != nil)
    }

    @Test func aHelloRetryRequestIsNotTheServerHello() {
        let retry = B.serverHello(
            random: ServerHelloFacts.helloRetryRequestRandom, cipher: 0x1301, extensions: [B.tls13])
        var observation = observe(
            client: B.clientHello(), server: [B.record(22, B.handshake(2, retry)) + B.record(20, [1])])
        #expect(observation.isWatching)
        observation.serverSent(
            B.buffer(B.record(22, B.handshake(2, B.serverHello(cipher: 0x1303, extensions: [B.tls13])))))
        #expect(
            observation.negotiated
                == NegotiatedHello(
                    protocolVersion: "TLSv1.3", cipherSuite: CipherSuite.withID(0x1303)!, sessionReuse: .initial))
    }

    @Test func tls12FullHandshakeIsTheCertificateAfterTheServerHello() {
        let observation = observe(
            client: B.clientHello(sessionID: [1, 2, 3, 4]),
            server: [
                B.record(
                    22,
                    B.handshake(2, B.serverHello(sessionID: [5, 6, 7, 8], cipher: 0xC02F)) + B.handshake(11, [0, 0, 0]))
            ])
        #expect(
            observation.negotiated
                == NegotiatedHello(
                    protocolVersion: "TLSv1.2", cipherSuite: CipherSuite.withID(0xC02F)!, sessionReuse: .initial))
    }

    @Test func tls12WaitsForTheMessageAfterTheServerHello() {
        var observation = observe(
            client: B.clientHello(),
            server: [B.record(22, B.handshake(2, B.serverHello(cipher: 0xC030, extensions: nil)))])
        #expect(observation.isWatching && observation.negotiated == nil)
        observation.serverSent(B.buffer(B.record(22, B.handshake(12, [1, 2, 3]))))
        #expect(observation.negotiated?.sessionReuse == .initial)
        #expect(observation.negotiated?.cipherSuite.name == "ECDHE-RSA-AES256-GCM-SHA384")
    }

    @Test func tls12ResumptionBySessionIDEcho() {
        let id = [UInt8](repeating: 0x42, count: 32)
        let observation = observe(
            client: B.clientHello(sessionID: id),
            server: [B.record(22, B.handshake(2, B.serverHello(sessionID: id, cipher: 0xC02F)))])
        #expect(observation.negotiated?.sessionReuse == .resumed)
    }

    @Test func tls12ResumptionByTicketIsAnAbbreviatedHandshake() {
        let withoutNewTicket = observe(
            client: B.clientHello(),
            server: [B.record(22, B.handshake(2, B.serverHello(cipher: 0xC02B))) + B.record(20, [1])])
        #expect(withoutNewTicket.negotiated?.sessionReuse == .resumed)
        let withNewTicket = observe(
            client: B.clientHello(),
            server: [B.record(22, B.handshake(2, B.serverHello(cipher: 0xC02B)) + B.handshake(4, [0, 0, 0, 1, 0, 0]))])
        #expect(withNewTicket.negotiated?.sessionReuse == .resumed)
    }

    @Test func anUnknownCipherSuiteOrVersionIsGivenUpOn() {
        let cipher = observe(
            client: B.clientHello(), server: [B.record(22, B.handshake(2, B.serverHello(cipher: 0x0005)))])
        #expect(cipher.negotiated == nil && cipher.abandonment?.contains("cipher suite 0x5") == true)
        let version = observe(
            client: B.clientHello(),
            server: [
                B.record(
                    22, B.handshake(2, B.serverHello(cipher: 0x1301, extensions: [B.tlsExtension(43, [0x7F, 0x1C])])))
            ])
        #expect(version.negotiated == nil && version.abandonment != nil)
    }

    @Test func garbageFromTheClientIsGivenUpOnAndNotWatchedAnyMore() {
        var observation = HelloObservation()
        observation.clientSent(B.buffer(Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8)))
        #expect(!observation.isWatching && observation.negotiated == nil)
        #expect(observation.abandonment == "record of content type 71")
    }

    @Test func aFirstMessageThatIsNotAClientHelloIsGivenUpOn() {
        var observation = HelloObservation()
        observation.clientSent(B.buffer(B.record(22, B.handshake(11, [0, 0, 0]))))
        #expect(observation.negotiated == nil && !observation.isWatching)
    }

    @Test func serverBytesBeforeAClientHelloAreGivenUpOn() {
        var observation = HelloObservation()
        observation.serverSent(B.buffer(B.record(21, [2, 10])))
        #expect(observation.abandonment != nil)
    }
}

/// Mutated and cut-up hellos: whatever the bytes, the observation never traps, and what it
/// settles on names a real suite and version (a seeded generator keeps failures repeatable).
@Suite struct TLSHelloMutationTests {
    typealias B = TLSBytes

    struct SplitMix64: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    private func mutate(_ bytes: [UInt8], _ random: inout SplitMix64) -> [UInt8] {
        var bytes = bytes
        for _ in 0..<Int.random(in: 1...3, using: &random) {
            guard !bytes.isEmpty else { break }
            let index = Int.random(in: 0..<bytes.count, using: &random)
            switch Int.random(in: 0..<4, using: &random) {
            case 0: bytes[index] = UInt8.random(in: 0...255, using: &random)
            case 1: bytes.remove(at: index)
            case 2: bytes.insert(UInt8.random(in: 0...255, using: &random), at: index)
            default: bytes = Array(bytes[..<index])
            }
        }
        return bytes
    }

    /// Feeds the bytes in pieces cut at random places.
    private func feed(_ bytes: [UInt8], _ random: inout SplitMix64, _ sink: (ByteBuffer) -> Void) {
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + Int.random(in: 1...64, using: &random))
            sink(B.buffer(Array(bytes[start..<end])))
            start = end
        }
    }

    @Test func mutatedFlightsNeverTrapAndSettleOnlyOnRealSuites() {
        let client = B.record(22, B.handshake(1, B.clientHello(sessionID: [1, 2, 3], offeringPSK: true)))
        let flights = [
            B.record(22, B.handshake(2, B.serverHello(cipher: 0x1301, extensions: [B.pskAccepted, B.tls13])))
                + B.record(20, [1]),
            B.record(
                22, B.handshake(2, B.serverHello(sessionID: [1, 2, 3], cipher: 0xC02F)) + B.handshake(11, [0, 0, 0])),
            B.record(22, B.handshake(2, B.serverHello(cipher: 0xCCA8, extensions: nil)) + B.handshake(14, [])),
        ]
        var random = SplitMix64(state: 0x15A9_1D00)
        var settled = 0
        for round in 0..<3000 {
            var observation = HelloObservation()
            let flight = flights[round % flights.count]
            let mutateClient = round % 3 == 0
            feed(mutateClient ? mutate(client, &random) : client, &random) { observation.clientSent($0) }
            feed(mutateClient ? flight : mutate(flight, &random), &random) { observation.serverSent($0) }
            if let negotiated = observation.negotiated {
                settled += 1
                #expect(CipherSuite.withID(negotiated.cipherSuite.id) == negotiated.cipherSuite)
                #expect(["SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"].contains(negotiated.protocolVersion))
            }
        }
        // Some mutations leave the hellos intact (a cut after them, a byte in a Certificate).
        #expect(settled > 0)
    }
}
