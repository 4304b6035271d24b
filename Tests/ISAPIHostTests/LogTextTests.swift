import Testing
@testable import ISAPIHost

// LogText: an extension's bytes in a log message, escaped as ap_escape_logitem does, and
// the parser's failures carrying them so (not U+FFFD).

@Suite("LogText")
struct LogTextTests {
    @Test(arguments: [
        ([UInt8]("plain text, 100% ASCII ~!".utf8), #"plain text, 100% ASCII ~!"#, #"plain text, 100% ASCII ~!"#),
        ([0xEF, 0xBF, 0xBD, 0xFF, 0x80], #"\xef\xbf\xbd\xff\x80"#, #"\xef\xbf\xbd\xff\x80"#),
        ([UInt8]("a\\b".utf8), #"a\\b"#, #"a\\b"#),
        ([UInt8]("say \"hi\"".utf8), #"say "hi""#, #"say \"hi\""#),
        ([0x00, 0x09, 0x0A, 0x0D, 0x1B, 0x7F, 0x20], #"\x00\x09\x0a\x0d\x1b\x7f "#, #"\x00\x09\x0a\x0d\x1b\x7f "#),
        ([UInt8]("café".utf8), #"caf\xc3\xa9"#, #"caf\xc3\xa9"#),
        ([], "", ""),
    ] as [([UInt8], String, String)])
    func escapes(bytes: [UInt8], plain: String, inQuotes: String) {
        #expect(LogText.escaped(bytes) == plain)
        #expect(LogText.escaped(bytes, inQuotes: true) == inQuotes)
        #expect(LogText.quoted(bytes) == "\"" + inQuotes + "\"")
    }

    @Test func metadataMarksTheMessageEscaped() {
        let metadata = LogText.metadata(id: "IS02005")
        #expect(metadata["id"] == "IS02005")
        #expect(metadata[LogText.escapedMetadataKey] != nil)
    }

    @Test(arguments: [
        ([0xFF, 0xFE, 0x20, 0x32, 0x30, 0x30] as [UInt8], [] as [UInt8],
         ResponseHeadParser.Failure.badStatus(#"\xff\xfe 200"#),
         #"bad status "\xff\xfe 200""#),
        ([], [UInt8]("Status: 20 \"x\"\r\n\r\n".utf8), .badStatus(#"20 \"x\""#), #"bad status "20 \"x\"""#),
        ([], [UInt8]("Status: 2\u{0}0\r\n\r\n".utf8), .malformed(#"Status: 2\x000"#), #"bad line "Status: 2\x000""#),
        ([], [UInt8]("Status: \u{FF}\r\n\r\n".utf8), .badStatus(#"\xc3\xbf"#), #"bad status "\xc3\xbf""#),
        ([], [0x58, 0x3A, 0x20, 0x61, 0x0D, 0x62, 0xFF, 0x0D, 0x0A, 0x0D, 0x0A], .malformed(#"X: a\x0db\xff"#),
         #"bad line "X: a\x0db\xff""#),
        ([], [0x4E, 0x6F, 0x5C, 0xC0, 0x0D, 0x0A, 0x0D, 0x0A], .malformed(#"No\\\xc0"#), #"bad line "No\\\xc0""#),
    ] as [([UInt8], [UInt8], ResponseHeadParser.Failure, String)])
    func parserFailuresKeepTheBytes(status: [UInt8], block: [UInt8], failure: ResponseHeadParser.Failure,
                                    description: String) {
        let result = ResponseHeadParser.parse(status: status, headerBlock: block, defaultStatus: nil)
        #expect(result.failure == failure)
        #expect(result.failure?.description == description)
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let failure) = self { return failure }
        return nil
    }
}
