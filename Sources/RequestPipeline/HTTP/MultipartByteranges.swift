/// The framing of a multipart/byteranges body (RFC 9110 §14.6) for a 206 answer to a
/// request for several ranges, computed up front so that the file slices can be streamed
/// (sendfile) between the literal delimiter bytes and the Content-Length is known before
/// the body is sent.
///
/// The bytes are Apache 2.4's: each part is introduced by
/// `CRLF "--" boundary CRLF "Content-type: " type CRLF "Content-range: bytes a-b/size" CRLF CRLF`
/// (the Content-type line left out when the file has no media type) and the body ends with
/// `CRLF "--" boundary "--" CRLF`.
public struct MultipartByteranges: Sendable, Equatable {
    /// One body part: the header bytes to write, then `span` of the file.
    public struct Part: Sendable, Equatable {
        /// Delimiter line and part headers, ending with the empty line.
        public var header: [UInt8]
        /// The file bytes that follow `header`.
        public var span: ByteSpan
    }

    /// The boundary parameter (without the leading `--`).
    public let boundary: String
    /// The parts in order.
    public let parts: [Part]
    /// The close-delimiter that ends the body, after the last part's slice.
    public let closingDelimiter: [UInt8]
    /// Exact body length in bytes: every header, every slice and the close-delimiter.
    public let contentLength: Int64

    /// The response's Content-Type: `multipart/byteranges; boundary=...`.
    public var contentType: String { "multipart/byteranges; boundary=" + boundary }

    /// The whole body as literal bytes and file slices, in the order to send them.
    public var segments: [FileSegment] {
        var segments: [FileSegment] = []
        segments.reserveCapacity(parts.count * 2 + 1)
        for part in parts {
            segments.append(.bytes(part.header))
            segments.append(.slice(offset: part.span.offset, length: part.span.length))
        }
        segments.append(.bytes(closingDelimiter))
        return segments
    }

    /// Frames `spans` of a file of `size` bytes whose own media type is `contentType`
    /// (nil when it has none).
    ///
    /// - Parameter boundary: the boundary to use; by default 32 random hexadecimal digits,
    ///   which in practice never occur in the file. Tests pass a fixed one.
    public init(spans: [ByteSpan], contentType: String?, size: Int64,
                boundary: String = MultipartByteranges.randomBoundary()) {
        self.boundary = boundary
        var parts: [Part] = []
        parts.reserveCapacity(spans.count)
        var length: Int64 = 0
        for span in spans {
            var text = "\r\n--" + boundary + "\r\n"
            if let contentType { text += "Content-type: " + contentType + "\r\n" }
            text += "Content-range: " + ByteRange.contentRange(span, size: size) + "\r\n\r\n"
            let header = Array(text.utf8)
            parts.append(Part(header: header, span: span))
            length += Int64(header.count) + span.length
        }
        let closing = Array(("\r\n--" + boundary + "--\r\n").utf8)
        self.parts = parts
        self.closingDelimiter = closing
        self.contentLength = length + Int64(closing.count)
    }

    /// A fresh boundary: 32 lowercase hexadecimal digits from the system's secure random
    /// generator, so that it cannot be predicted or planted in a served file.
    public static func randomBoundary() -> String {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64
        let low = generator.next() as UInt64
        return hex16(high) + hex16(low)
    }

    private static func hex16(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
