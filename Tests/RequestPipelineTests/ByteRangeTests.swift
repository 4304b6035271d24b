import Testing
@testable import RequestPipeline

@Suite("ByteRange")
struct ByteRangeTests {
    static let etag = EntityTag(opaque: "\"64-5f3c\"")
    /// Sun, 06 Nov 1994 08:49:37 GMT
    static let lastModified: Int64 = 784_111_777

    static func evaluate(_ range: String?, ifRange: String? = nil, size: Int64 = 100,
                         etag: EntityTag = etag, limits: RangeLimits = .apacheDefault) -> RangeOutcome {
        ByteRange.evaluate(rangeHeader: range, ifRange: ifRange, size: size, etag: etag,
                           lastModified: lastModified, limits: limits)
    }

    static func spans(_ pairs: [(Int64, Int64)]) -> RangeOutcome {
        .multiple(pairs.map { ByteSpan(first: $0.0, last: $0.1) })
    }

    // MARK: One file of 100 bytes

    @Test(arguments: [
        // Single ranges.
        ("bytes=0-0", RangeOutcome.partial(offset: 0, length: 1)),
        ("bytes=0-99", .partial(offset: 0, length: 100)),
        ("bytes=10-19", .partial(offset: 10, length: 10)),
        ("bytes=99-99", .partial(offset: 99, length: 1)),
        ("bytes=90-200", .partial(offset: 90, length: 10)),
        ("bytes=95-", .partial(offset: 95, length: 5)),
        ("bytes=0-", .partial(offset: 0, length: 100)),
        ("bytes=-1", .partial(offset: 99, length: 1)),
        ("bytes=-10", .partial(offset: 90, length: 10)),
        ("bytes=-100", .partial(offset: 0, length: 100)),
        ("bytes=-500", .partial(offset: 0, length: 100)),     // suffix larger than the file
        ("BYTES=0-1", .partial(offset: 0, length: 2)),        // the unit is case-insensitive
        ("Bytes = 0-1", .partial(offset: 0, length: 2)),
        ("bytes=\t5-6\t", .partial(offset: 5, length: 2)),

        // Unsatisfiable (416).
        ("bytes=100-", .unsatisfiable),
        ("bytes=500-", .unsatisfiable),
        ("bytes=100-100", .unsatisfiable),
        ("bytes=100-199,500-", .unsatisfiable),
        ("bytes=100-,0-1", .partial(offset: 0, length: 2)),   // an unsatisfiable spec is dropped

        // Several ranges.
        ("bytes=0-1,3-4", spans([(0, 1), (3, 4)])),
        ("bytes= 0-1 , 3-4", spans([(0, 1), (3, 4)])),
        ("bytes=0-1,,3-4,", spans([(0, 1), (3, 4)])),
        ("bytes=0-9,20-29,-10", spans([(0, 9), (20, 29), (90, 99)])),
        ("bytes=50-59,0-9", spans([(50, 59), (0, 9)])),      // request order, not sorted

        // Merging overlapping and adjacent ranges (Apache's sequential merge).
        ("bytes=0-1,2-3", .partial(offset: 0, length: 4)),
        ("bytes=0-10,5-20", .partial(offset: 0, length: 21)),
        ("bytes=0-50,10-20", .partial(offset: 0, length: 51)),
        ("bytes=10-20,0-9", .partial(offset: 0, length: 21)),
        ("bytes=10-20,0-15", .partial(offset: 0, length: 21)),
        ("bytes=10-20,5-30", .partial(offset: 5, length: 26)),
        ("bytes=0-1,1-2,2-3,10-12,11-15", spans([(0, 3), (10, 15)])),
        ("bytes=90-,-5", .partial(offset: 90, length: 10)),
        ("bytes=0-0,0-0", .partial(offset: 0, length: 1)),

        // Apache's "0-" shortcut: the whole file, every other spec dropped.
        ("bytes=0-,50-60", .partial(offset: 0, length: 100)),
        ("bytes=50-60,0-", .partial(offset: 0, length: 100)),
        ("bytes=0-,garbage", .partial(offset: 0, length: 100)),

        // Apache ignores a set whose merged ranges add up to more than the file.
        ("bytes=0-60,70-80,30-99", .full),

        // Ignored: no header, another unit, syntax errors.
        ("items=0-1", .full),
        ("bytes", .full),
        ("bytes=", .full),
        ("bytes=,", .full),
        ("=0-1", .full),
        ("bytes=5-1", .full),
        ("bytes=abc", .full),
        ("bytes=1", .full),
        ("bytes=-", .full),
        ("bytes=--1", .full),
        ("bytes=-0", .full),                                 // Apache treats a zero suffix as invalid
        ("bytes=1-2-3", .full),
        ("bytes=+1-2", .full),
        ("bytes=0x1-2", .full),
        ("bytes=1 -2", .full),
        ("bytes=0-1,x", .full),
        ("bytes=0-1,5-1", .full),
        ("bytes=0-1;3-4", .full),
        ("bytes=99999999999999999999-", .full),            // does not fit in 64 bits
        ("bytes=0-99999999999999999999", .full),
    ])
    func hundredByteFile(range: String, expected: RangeOutcome) {
        #expect(Self.evaluate(range) == expected)
    }

    @Test func noHeaderMeansFull() {
        #expect(Self.evaluate(nil) == .full)
        #expect(Self.evaluate(nil, ifRange: "\"64-5f3c\"") == .full)
    }

    @Test func largeFileOffsets() {
        let size: Int64 = 5_000_000_000_000
        #expect(Self.evaluate("bytes=4999999999999-", size: size) == .partial(offset: 4_999_999_999_999, length: 1))
        #expect(Self.evaluate("bytes=-9223372036854775807", size: size) == .partial(offset: 0, length: size))
    }

    // MARK: Zero-length file

    @Test(arguments: [
        ("bytes=0-", RangeOutcome.unsatisfiable),
        ("bytes=0-0", .unsatisfiable),
        ("bytes=5-10", .unsatisfiable),
        ("bytes=0-0,5-", .unsatisfiable),
        ("bytes=-5", .full),          // satisfiable in RFC terms, but selects nothing
        ("bytes=0-0,-1", .full),
        ("bytes=5-1", .full),         // invalid is still ignored
        ("items=0-", .full),
    ])
    func zeroLengthFile(range: String, expected: RangeOutcome) {
        #expect(Self.evaluate(range, size: 0) == expected)
    }

    // MARK: If-Range

    @Test(arguments: [
        ("\"64-5f3c\"", true),                              // strong match
        ("  \"64-5f3c\" ", true),
        ("W/\"64-5f3c\"", false),                           // weak never matches
        ("\"other\"", false),
        ("\"64-5f3c\", \"x\"", false),                      // a list is not an entity-tag
        ("Sun, 06 Nov 1994 08:49:37 GMT", true),            // exactly Last-Modified
        ("Sunday, 06-Nov-94 08:49:37 GMT", true),
        ("Sun Nov  6 08:49:37 1994", true),
        ("Sun, 06 Nov 1994 08:49:36 GMT", false),           // earlier
        ("Sun, 06 Nov 1994 08:49:38 GMT", false),           // later
        ("garbage", false),
        ("", false),
    ])
    func ifRange(value: String, honoured: Bool) {
        let outcome = Self.evaluate("bytes=0-9", ifRange: value)
        #expect(outcome == (honoured ? .partial(offset: 0, length: 10) : .full))
    }

    @Test func ifRangeAgainstAWeakCurrentTag() {
        let weak = EntityTag(weak: true, opaque: "\"64-5f3c\"")
        #expect(Self.evaluate("bytes=0-9", ifRange: "\"64-5f3c\"", etag: weak) == .full)
        #expect(Self.evaluate("bytes=0-9", ifRange: "W/\"64-5f3c\"", etag: weak) == .full)
        #expect(Self.evaluate("bytes=0-9", ifRange: "Sun, 06 Nov 1994 08:49:37 GMT", etag: weak)
                    == .partial(offset: 0, length: 10))
    }

    @Test func failedIfRangeBeatsUnsatisfiableAndInvalid() {
        #expect(Self.evaluate("bytes=500-", ifRange: "\"other\"") == .full)
        #expect(Self.evaluate("bytes=500-", ifRange: "\"64-5f3c\"") == .unsatisfiable)
        #expect(Self.evaluate("bytes=5-1", ifRange: "\"64-5f3c\"") == .full)
        #expect(Self.evaluate("items=0-1", ifRange: "\"64-5f3c\"") == .full)
    }

    // MARK: Apache's MaxRanges, MaxRangeOverlaps, MaxRangeReversals

    static func disjoint(_ count: Int) -> String {
        "bytes=" + (0..<count).map { "\($0 * 2)-\($0 * 2)" }.joined(separator: ",")
    }

    @Test func maxRanges() {
        guard case .multiple(let spans) = Self.evaluate(Self.disjoint(200), size: 10_000) else {
            Issue.record("200 ranges should be served")
            return
        }
        #expect(spans.count == 200)
        #expect(spans.last == ByteSpan(offset: 398, length: 1))
        #expect(Self.evaluate(Self.disjoint(201), size: 10_000) == .full)
        if case .multiple(let all) = Self.evaluate(Self.disjoint(201), size: 10_000, limits: .unlimited) {
            #expect(all.count == 201)
        } else {
            Issue.record("unlimited should serve 201 ranges")
        }
        let none = RangeLimits(maxRanges: 0)
        #expect(Self.evaluate("bytes=0-1", limits: none) == .full)
        #expect(Self.evaluate("bytes=0-1,5-6", limits: RangeLimits(maxRanges: 1)) == .full)
        #expect(Self.evaluate("bytes=0-1,2-6", limits: RangeLimits(maxRanges: 1)) == .partial(offset: 0, length: 7))
    }

    @Test func maxOverlaps() {
        let twentyOverlaps = "bytes=" + Array(repeating: "0-1", count: 21).joined(separator: ",")
        let twentyOneOverlaps = "bytes=" + Array(repeating: "0-1", count: 22).joined(separator: ",")
        #expect(Self.evaluate(twentyOverlaps) == .partial(offset: 0, length: 2))
        #expect(Self.evaluate(twentyOneOverlaps) == .full)
        #expect(Self.evaluate(twentyOneOverlaps, limits: RangeLimits(maxOverlaps: nil)) == .partial(offset: 0, length: 2))
    }

    @Test func maxReversals() {
        // 60-60, 59-59, ... each one starts just before the previous: a reversal (and an overlap).
        func reversed(_ count: Int) -> String {
            "bytes=" + (0..<count).map { "\(60 - $0)-\(60 - $0)" }.joined(separator: ",")
        }
        let lenient = RangeLimits(maxOverlaps: nil)
        #expect(Self.evaluate(reversed(21), limits: lenient) == .partial(offset: 40, length: 21))
        #expect(Self.evaluate(reversed(22), limits: lenient) == .full)
        #expect(Self.evaluate(reversed(22), limits: .unlimited) == .partial(offset: 39, length: 22))
    }

    // MARK: Content-Range

    @Test func contentRangeValues() {
        #expect(ByteRange.contentRange(ByteSpan(offset: 0, length: 100), size: 1000) == "bytes 0-99/1000")
        #expect(ByteRange.contentRange(ByteSpan(first: 500, last: 999), size: 8000) == "bytes 500-999/8000")
        #expect(ByteRange.contentRange(ByteSpan(offset: 7, length: 1), size: 8) == "bytes 7-7/8")
        #expect(ByteRange.unsatisfiedContentRange(size: 1000) == "bytes */1000")
        #expect(ByteRange.unsatisfiedContentRange(size: 0) == "bytes */0")
    }

    @Test func byteSpan() {
        let span = ByteSpan(first: 10, last: 19)
        #expect(span == ByteSpan(offset: 10, length: 10))
        #expect(span.last == 19)
        #expect(span.description == "10-19")
    }
}
