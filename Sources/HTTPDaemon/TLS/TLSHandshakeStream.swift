import NIOCore

/// One direction of a TLS connection's plaintext, reassembled from TLS records into
/// handshake messages (RFC 8446 §5.1, RFC 5246 §6.2.1): records may arrive split over
/// several reads, a record may carry several handshake messages, and a message may span
/// several records. Only the bodies of the message types it was asked to keep are copied
/// (the hellos, a few hundred bytes); any other message is reported by its type as soon as
/// its header is read, and its body is skipped without a copy.
///
/// It stops being useful once the records turn encrypted; its owner stops feeding it by then
/// (after the ServerHello, or the first message after it in TLS 1.2).
struct TLSHandshakeStream {
    /// What the stream found, in the order the peer sent it.
    enum Item: Equatable {
        /// A whole handshake message whose type is kept: its body, without the 4-byte header.
        case message(type: UInt8, body: [UInt8])
        /// The header of a handshake message whose type is not kept.
        case skippedMessage(type: UInt8)
        /// The header of a record that is not a handshake record: change_cipher_spec (20),
        /// alert (21), application_data (23).
        case otherRecord(contentType: UInt8)
    }

    /// The bytes are not TLS records as a TLS 1.2/1.3 peer sends them.
    struct Malformed: Error, Equatable {
        let reason: String
    }

    static let handshakeContentType: UInt8 = 22
    /// The largest record body allowed: 2^14 bytes of plaintext plus the 2048 a TLS 1.2
    /// ciphertext may add (RFC 5246 §6.2.3).
    static let maximumRecordLength = 16384 + 2048

    private enum RecordPhase {
        /// Reading the 5-byte record header (the bytes so far are in `recordHeader`).
        case header
        case body(contentType: UInt8, remaining: Int)
    }

    private enum MessagePhase {
        /// Reading the 4-byte handshake header (the bytes so far are in `messageHeader`).
        case header
        /// Copying a kept message's body into `messageBody`.
        case keeping(type: UInt8, length: Int)
        /// Passing over the body of a message not kept.
        case skipping(remaining: Int)
    }

    private let keptTypes: Set<UInt8>
    private let maximumKeptLength: Int
    private var recordPhase = RecordPhase.header
    private var recordHeader: [UInt8] = []
    private var messagePhase = MessagePhase.header
    private var messageHeader: [UInt8] = []
    private var messageBody: [UInt8] = []

    /// - Parameters:
    ///   - keptTypes: the handshake types whose bodies are wanted (1 ClientHello, 2 ServerHello).
    ///   - maximumKeptLength: a kept message longer than this is `Malformed` (a hello is
    ///     at most a few kilobytes; this bounds what a peer can make us buffer).
    init(keeping keptTypes: Set<UInt8>, maximumKeptLength: Int = 65536) {
        self.keptTypes = keptTypes
        self.maximumKeptLength = maximumKeptLength
        recordHeader.reserveCapacity(5)
        messageHeader.reserveCapacity(4)
    }

    /// Reads the next bytes of this direction and returns what they completed.
    mutating func read(_ buffer: ByteBuffer) throws(Malformed) -> [Item] {
        var all: [Item] = []
        try read(buffer) { item throws(Malformed) in
            all.append(item)
            return true
        }
        return all
    }

    /// Reads the next bytes of this direction, handing `deliver` what they complete, a
    /// record at a time, until it returns false: the bytes after are not parsed. A TLS
    /// 1.2 peer's records after its change_cipher_spec are encrypted, and a handshake
    /// record's ciphertext read as a message header is nonsense (a "ServerHello" of
    /// 7 MB); its reader stops at the change_cipher_spec item.
    mutating func read(_ buffer: ByteBuffer, _ deliver: (Item) throws(Malformed) -> Bool) throws(Malformed) {
        var items: [Item] = []
        let bytes = buffer.readableBytesView
        var index = bytes.startIndex
        while index < bytes.endIndex {
            for item in items {
                guard try deliver(item) else { return }
            }
            items.removeAll(keepingCapacity: true)
            switch recordPhase {
            case .header:
                let take = min(5 - recordHeader.count, bytes.endIndex - index)
                recordHeader.append(contentsOf: bytes[index..<(index + take)])
                index += take
                if recordHeader.count == 5 {
                    try startRecord(&items)
                }
            case .body(let contentType, let remaining):
                let take = min(remaining, bytes.endIndex - index)
                if contentType == Self.handshakeContentType {
                    try readHandshake(bytes[index..<(index + take)], into: &items)
                }
                index += take
                recordPhase = remaining == take ? .header : .body(contentType: contentType, remaining: remaining - take)
            }
        }
        for item in items {
            guard try deliver(item) else { return }
        }
    }

    private mutating func startRecord(_ items: inout [Item]) throws(Malformed) {
        let contentType = recordHeader[0]
        let length = Int(recordHeader[3]) << 8 | Int(recordHeader[4])
        recordHeader.removeAll(keepingCapacity: true)
        guard (20...23).contains(contentType) else {
            throw Malformed(reason: "record of content type \(contentType)")
        }
        // The record's version is 0x0301..0x0303 on the wire (0x0300 only from SSL 3 peers).
        guard length <= Self.maximumRecordLength else {
            throw Malformed(reason: "record of \(length) bytes")
        }
        if contentType != Self.handshakeContentType {
            // RFC 8446 §5.1: handshake messages are not interleaved with other record types.
            guard case .header = messagePhase, messageHeader.isEmpty else {
                throw Malformed(reason: "a handshake message interrupted by a record of content type \(contentType)")
            }
            items.append(.otherRecord(contentType: contentType))
        }
        recordPhase = length == 0 ? .header : .body(contentType: contentType, remaining: length)
    }

    private mutating func readHandshake(_ fragment: ByteBufferView.SubSequence, into items: inout [Item])
        throws(Malformed)
    {
        var index = fragment.startIndex
        while index < fragment.endIndex {
            switch messagePhase {
            case .header:
                let take = min(4 - messageHeader.count, fragment.endIndex - index)
                messageHeader.append(contentsOf: fragment[index..<(index + take)])
                index += take
                if messageHeader.count == 4 {
                    try startMessage(&items)
                }
            case .keeping(let type, let length):
                let take = min(length - messageBody.count, fragment.endIndex - index)
                messageBody.append(contentsOf: fragment[index..<(index + take)])
                index += take
                if messageBody.count == length {
                    items.append(.message(type: type, body: messageBody))
                    messageBody = []
                    messagePhase = .header
                }
            case .skipping(let remaining):
                let take = min(remaining, fragment.endIndex - index)
                index += take
                messagePhase = remaining == take ? .header : .skipping(remaining: remaining - take)
            }
        }
    }

    private mutating func startMessage(_ items: inout [Item]) throws(Malformed) {
        let type = messageHeader[0]
        let length = Int(messageHeader[1]) << 16 | Int(messageHeader[2]) << 8 | Int(messageHeader[3])
        messageHeader.removeAll(keepingCapacity: true)
        if keptTypes.contains(type) {
            guard length <= maximumKeptLength else {
                throw Malformed(reason: "handshake message \(type) of \(length) bytes")
            }
            if length == 0 {
                items.append(.message(type: type, body: []))
            } else {
                messageBody.reserveCapacity(length)
                messagePhase = .keeping(type: type, length: length)
            }
        } else {
            items.append(.skippedMessage(type: type))
            messagePhase = length == 0 ? .header : .skipping(remaining: length)
        }
    }
}
