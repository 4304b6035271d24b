import Testing
@testable import RequestPipeline

@Suite("ConditionalRequest")
struct ConditionalRequestTests {
    static let etag = EntityTag(opaque: "\"abc\"")
    /// Sun, 06 Nov 1994 08:49:37 GMT
    static let lastModified: Int64 = 784_111_777
    static let same = "Sun, 06 Nov 1994 08:49:37 GMT"
    static let earlier = "Sun, 06 Nov 1994 08:49:36 GMT"
    static let later = "Mon, 07 Nov 1994 08:49:37 GMT"
    static let later850 = "Monday, 07-Nov-94 08:49:37 GMT"
    static let sameAsctime = "Sun Nov  6 08:49:37 1994"

    /// One row: method, If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since, expected.
    struct Case: CustomTestStringConvertible, Sendable {
        var method = "GET"
        var ifMatch: String?
        var ifNoneMatch: String?
        var ifModifiedSince: String?
        var ifUnmodifiedSince: String?
        var expected: ConditionalOutcome
        var testDescription: String {
            "\(method) IM=\(ifMatch ?? "-") INM=\(ifNoneMatch ?? "-") IMS=\(ifModifiedSince ?? "-") "
                + "IUS=\(ifUnmodifiedSince ?? "-") -> \(expected)"
        }
    }

    static let cases: [Case] = [
        // No conditions.
        Case(expected: .proceed),
        Case(method: "POST", expected: .proceed),

        // Step 1: If-Match, strong comparison.
        Case(ifMatch: "\"abc\"", expected: .proceed),
        Case(ifMatch: "\"x\", \"abc\"", expected: .proceed),
        Case(ifMatch: "*", expected: .proceed),
        Case(ifMatch: "\"x\"", expected: .preconditionFailed),
        Case(ifMatch: "W/\"abc\"", expected: .preconditionFailed),
        Case(ifMatch: "junk", expected: .preconditionFailed),
        Case(ifMatch: "", expected: .preconditionFailed),
        Case(method: "HEAD", ifMatch: "\"x\"", expected: .preconditionFailed),
        Case(method: "PUT", ifMatch: "\"abc\"", expected: .proceed),
        Case(method: "PUT", ifMatch: "\"x\"", expected: .preconditionFailed),

        // Step 2: If-Unmodified-Since, only without If-Match.
        Case(ifUnmodifiedSince: Self.earlier, expected: .preconditionFailed),
        Case(ifUnmodifiedSince: Self.same, expected: .proceed),
        Case(ifUnmodifiedSince: Self.later, expected: .proceed),
        Case(ifUnmodifiedSince: Self.later850, expected: .proceed),
        Case(ifUnmodifiedSince: "not a date", expected: .proceed),
        Case(method: "DELETE", ifUnmodifiedSince: Self.earlier, expected: .preconditionFailed),
        Case(ifMatch: "\"abc\"", ifUnmodifiedSince: Self.earlier, expected: .proceed),
        Case(ifMatch: "*", ifUnmodifiedSince: Self.earlier, expected: .proceed),
        Case(ifMatch: "\"x\"", ifUnmodifiedSince: Self.later, expected: .preconditionFailed),

        // Step 3: If-None-Match, weak comparison; 304 for GET/HEAD, 412 otherwise.
        Case(ifNoneMatch: "\"abc\"", expected: .notModified),
        Case(method: "HEAD", ifNoneMatch: "\"abc\"", expected: .notModified),
        Case(ifNoneMatch: "W/\"abc\"", expected: .notModified),
        Case(ifNoneMatch: "\"x\", W/\"abc\"", expected: .notModified),
        Case(ifNoneMatch: "*", expected: .notModified),
        Case(method: "POST", ifNoneMatch: "\"abc\"", expected: .preconditionFailed),
        Case(method: "PUT", ifNoneMatch: "*", expected: .preconditionFailed),
        Case(method: "DELETE", ifNoneMatch: "W/\"abc\"", expected: .preconditionFailed),
        Case(method: "OPTIONS", ifNoneMatch: "\"abc\"", expected: .preconditionFailed),
        Case(method: "get", ifNoneMatch: "\"abc\"", expected: .preconditionFailed), // methods are case-sensitive
        Case(ifNoneMatch: "\"x\"", expected: .proceed),
        Case(method: "POST", ifNoneMatch: "\"x\"", expected: .proceed),
        Case(ifNoneMatch: "junk", expected: .proceed),

        // Step 4: If-Modified-Since, only without If-None-Match and only for GET/HEAD.
        Case(ifModifiedSince: Self.same, expected: .notModified),
        Case(ifModifiedSince: Self.sameAsctime, expected: .notModified),
        Case(ifModifiedSince: Self.later, expected: .notModified),
        Case(method: "HEAD", ifModifiedSince: Self.later850, expected: .notModified),
        Case(ifModifiedSince: Self.earlier, expected: .proceed),
        Case(ifModifiedSince: "yesterday", expected: .proceed),
        Case(ifModifiedSince: "Sun, 06 Nov 1994 08:49:37 GMT; length=1234", expected: .proceed),
        Case(method: "POST", ifModifiedSince: Self.same, expected: .proceed),
        Case(ifNoneMatch: "\"x\"", ifModifiedSince: Self.same, expected: .proceed),
        Case(ifNoneMatch: "\"abc\"", ifModifiedSince: Self.earlier, expected: .notModified),

        // Order: If-Match / If-Unmodified-Since win over If-None-Match / If-Modified-Since.
        Case(ifMatch: "\"x\"", ifNoneMatch: "\"abc\"", expected: .preconditionFailed),
        Case(ifMatch: "\"x\"", ifModifiedSince: Self.same, expected: .preconditionFailed),
        Case(ifNoneMatch: "\"abc\"", ifUnmodifiedSince: Self.earlier, expected: .preconditionFailed),
        Case(ifMatch: "\"abc\"", ifNoneMatch: "\"abc\"", expected: .notModified),
        Case(method: "PUT", ifMatch: "\"abc\"", ifNoneMatch: "\"abc\"", expected: .preconditionFailed),
        Case(ifModifiedSince: Self.same, ifUnmodifiedSince: Self.later, expected: .notModified),
    ]

    @Test(arguments: cases)
    func rfc9110Order(row: Case) {
        let outcome = ConditionalRequest.evaluate(
            method: row.method, ifMatch: row.ifMatch, ifNoneMatch: row.ifNoneMatch,
            ifModifiedSince: row.ifModifiedSince, ifUnmodifiedSince: row.ifUnmodifiedSince,
            etag: Self.etag, lastModified: Self.lastModified)
        #expect(outcome == row.expected)
    }

    @Test func weakCurrentTagNeverSatisfiesIfMatch() {
        let weak = EntityTag(weak: true, opaque: "\"abc\"")
        #expect(ConditionalRequest.evaluate(
            method: "GET", ifMatch: "\"abc\"", ifNoneMatch: nil, ifModifiedSince: nil, ifUnmodifiedSince: nil,
            etag: weak, lastModified: Self.lastModified) == .preconditionFailed)
        #expect(ConditionalRequest.evaluate(
            method: "GET", ifMatch: "*", ifNoneMatch: nil, ifModifiedSince: nil, ifUnmodifiedSince: nil,
            etag: weak, lastModified: Self.lastModified) == .proceed)
        #expect(ConditionalRequest.evaluate(
            method: "GET", ifMatch: nil, ifNoneMatch: "\"abc\"", ifModifiedSince: nil, ifUnmodifiedSince: nil,
            etag: weak, lastModified: Self.lastModified) == .notModified)
    }

    @Test(arguments: [
        (Self.later, Int64?.none, ConditionalOutcome.notModified),
        (Self.later, Self.lastModified + 86_400, .notModified),     // date == now
        (Self.later, Self.lastModified + 86_399, .proceed),         // date in the future: ignored
        (Self.same, Self.lastModified, .notModified),
    ])
    func ifModifiedSinceInTheFutureIsIgnored(date: String, now: Int64?, expected: ConditionalOutcome) {
        #expect(ConditionalRequest.evaluate(
            method: "GET", ifMatch: nil, ifNoneMatch: nil, ifModifiedSince: date, ifUnmodifiedSince: nil,
            etag: Self.etag, lastModified: Self.lastModified, now: now) == expected)
    }
}
