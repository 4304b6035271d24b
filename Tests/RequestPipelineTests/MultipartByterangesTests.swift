import Testing
@testable import RequestPipeline

@Suite("MultipartByteranges")
struct MultipartByterangesTests {
    static let boundary = "THIS_STRING_SEPARATES"

    /// Writes the body the way the network shell would, from an in-memory "file".
    static func render(_ multipart: MultipartByteranges, file: [UInt8]) -> [UInt8] {
        var body: [UInt8] = []
        for segment in multipart.segments {
            switch segment {
            case .bytes(let bytes): body += bytes
            case .slice(let offset, let length): body += file[Int(offset)..<Int(offset + length)]
            }
        }
        return body
    }

    @Test func rfc9110Example() {
        // RFC 9110 §14.6: two parts of an 8000-byte PDF.
        let spans = [ByteSpan(first: 500, last: 999), ByteSpan(first: 7000, last: 7999)]
        let multipart = MultipartByteranges(spans: spans, contentType: "application/pdf", size: 8000,
                                            boundary: Self.boundary)
        #expect(multipart.boundary == Self.boundary)
        #expect(multipart.contentType == "multipart/byteranges; boundary=THIS_STRING_SEPARATES")
        #expect(multipart.parts.count == 2)
        #expect(String(decoding: multipart.parts[0].header, as: UTF8.self)
                    == "\r\n--THIS_STRING_SEPARATES\r\nContent-type: application/pdf\r\n"
                    + "Content-range: bytes 500-999/8000\r\n\r\n")
        #expect(String(decoding: multipart.parts[1].header, as: UTF8.self)
                    == "\r\n--THIS_STRING_SEPARATES\r\nContent-type: application/pdf\r\n"
                    + "Content-range: bytes 7000-7999/8000\r\n\r\n")
        #expect(multipart.parts.map(\.span) == spans)
        #expect(String(decoding: multipart.closingDelimiter, as: UTF8.self) == "\r\n--THIS_STRING_SEPARATES--\r\n")
        let headers = multipart.parts.reduce(0) { $0 + $1.header.count }
        #expect(multipart.contentLength == Int64(headers + 500 + 1000 + multipart.closingDelimiter.count))
    }

    @Test func segmentsInterleaveHeadersAndSlices() {
        let spans = [ByteSpan(first: 0, last: 1), ByteSpan(first: 5, last: 9)]
        let multipart = MultipartByteranges(spans: spans, contentType: "text/plain", size: 10, boundary: "b")
        #expect(multipart.segments == [
            .bytes(multipart.parts[0].header), .slice(offset: 0, length: 2),
            .bytes(multipart.parts[1].header), .slice(offset: 5, length: 5),
            .bytes(multipart.closingDelimiter),
        ])
        #expect(multipart.segments.reduce(0) { $0 + $1.length } == multipart.contentLength)
    }

    @Test func renderedBody() {
        let file = Array("0123456789abcdefghij".utf8)
        let multipart = MultipartByteranges(
            spans: [ByteSpan(first: 0, last: 3), ByteSpan(first: 15, last: 19)],
            contentType: "text/plain; charset=UTF-8", size: Int64(file.count), boundary: "XyZ")
        let body = Self.render(multipart, file: file)
        #expect(Int64(body.count) == multipart.contentLength)
        #expect(String(decoding: body, as: UTF8.self) == """
            \r\n--XyZ\r\nContent-type: text/plain; charset=UTF-8\r\nContent-range: bytes 0-3/20\r\n\r\n0123\
            \r\n--XyZ\r\nContent-type: text/plain; charset=UTF-8\r\nContent-range: bytes 15-19/20\r\n\r\nfghij\
            \r\n--XyZ--\r\n
            """)
    }

    @Test func noMediaTypeLeavesOutContentType() {
        let multipart = MultipartByteranges(spans: [ByteSpan(first: 0, last: 0), ByteSpan(first: 2, last: 2)],
                                            contentType: nil, size: 3, boundary: "q")
        #expect(String(decoding: multipart.parts[0].header, as: UTF8.self)
                    == "\r\n--q\r\nContent-range: bytes 0-0/3\r\n\r\n")
        let body = Self.render(multipart, file: Array("abc".utf8))
        #expect(String(decoding: body, as: UTF8.self)
                    == "\r\n--q\r\nContent-range: bytes 0-0/3\r\n\r\na\r\n--q\r\nContent-range: bytes 2-2/3\r\n\r\nc\r\n--q--\r\n")
        #expect(Int64(body.count) == multipart.contentLength)
    }

    @Test func largeOffsetsAreCountedNotLoaded() {
        let size: Int64 = 10_000_000_000
        let multipart = MultipartByteranges(
            spans: [ByteSpan(first: 0, last: 4_999_999_999), ByteSpan(first: 9_000_000_000, last: 9_999_999_999)],
            contentType: "video/mp4", size: size, boundary: "b")
        let framing = multipart.parts.reduce(0) { $0 + $1.header.count } + multipart.closingDelimiter.count
        #expect(multipart.contentLength == 6_000_000_000 + Int64(framing))
        #expect(String(decoding: multipart.parts[1].header, as: UTF8.self).contains("bytes 9000000000-9999999999/10000000000"))
    }

    @Test func randomBoundaryIsLongHex() {
        let first = MultipartByteranges.randomBoundary()
        let second = MultipartByteranges.randomBoundary()
        #expect(first.count == 32)
        #expect(first.allSatisfy { $0.isHexDigit && !$0.isUppercase })
        #expect(first != second)
        let multipart = MultipartByteranges(spans: [ByteSpan(first: 0, last: 0)], contentType: nil, size: 1)
        #expect(multipart.boundary.count == 32)
        #expect(multipart.contentType == "multipart/byteranges; boundary=" + multipart.boundary)
    }

    @Test func worksWithByteRangeOutcome() {
        guard case .multiple(let spans) = ByteRange.evaluate(
            rangeHeader: "bytes=0-0,-1", ifRange: nil, size: 10, etag: EntityTag(opaque: "\"e\""), lastModified: 0)
        else {
            Issue.record("expected several ranges")
            return
        }
        let multipart = MultipartByteranges(spans: spans, contentType: "text/plain", size: 10, boundary: "b")
        let body = Self.render(multipart, file: Array("0123456789".utf8))
        #expect(String(decoding: body, as: UTF8.self)
                    == "\r\n--b\r\nContent-type: text/plain\r\nContent-range: bytes 0-0/10\r\n\r\n0"
                    + "\r\n--b\r\nContent-type: text/plain\r\nContent-range: bytes 9-9/10\r\n\r\n9\r\n--b--\r\n")
    }
}
