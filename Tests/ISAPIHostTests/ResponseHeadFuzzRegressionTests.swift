import Foundation
import Testing
@testable import ISAPIHost

/// The inputs the response-head fuzz target (Fuzz/response-head.swift) found, replayed
/// with its checks: `status` NUL `header block`, and the whole input as a first
/// WriteClient. Both regressions got control bytes (CR LF, NUL, ESC) into the reason
/// phrase before the reason check looked at bytes instead of Characters.
@Suite struct ResponseHeadFuzzRegressionTests {
    static let regressions: [URL] = {
        var directory = URL(fileURLWithPath: #filePath)
        while directory.path != "/" && !FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
            directory = directory.deletingLastPathComponent()
        }
        let folder = directory.appendingPathComponent("Fuzz/regressions")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasPrefix("response-head-") }.sorted().map { folder.appendingPathComponent($0) }
    }()

    @Test func regressionInputsExist() {
        #expect(Self.regressions.count >= 2)
    }

    @Test(arguments: regressions)
    func replay(_ file: URL) throws {
        let bytes = try [UInt8](Data(contentsOf: file))
        let nul = bytes.firstIndex(of: 0)
        let status = nul.map { Array(bytes[..<$0]) } ?? []
        let block = nul.map { Array(bytes[($0 + 1)...]) } ?? bytes
        Self.check(ResponseHeadParser.parse(status: status, headerBlock: block, defaultStatus: nil), block)
        if ResponseHeadParser.looksLikeHeaderBlock(bytes) {
            Self.check(ResponseHeadParser.parse(status: [], headerBlock: bytes, defaultStatus: nil), bytes)
        }
    }

    static func check(_ result: Result<ResponseHeadParser.Parsed, ResponseHeadParser.Failure>, _ block: [UInt8],
                      sourceLocation: SourceLocation = #_sourceLocation) {
        guard case .success(let parsed) = result else { return }
        #expect((0...block.count).contains(parsed.bodyStart), sourceLocation: sourceLocation)
        #expect((100...999).contains(parsed.head.status), sourceLocation: sourceLocation)
        let control: (Unicode.Scalar) -> Bool = { ($0.value < 0x20 && $0 != "\t") || $0.value == 0x7F }
        #expect(!(parsed.head.reason ?? "").unicodeScalars.contains(where: control),
                "control byte in the reason \((parsed.head.reason ?? "").debugDescription)", sourceLocation: sourceLocation)
        for header in parsed.head.headers {
            #expect(!header.name.unicodeScalars.contains(where: { control($0) || $0 == ":" || $0 == " " }), sourceLocation: sourceLocation)
            #expect(!header.value.unicodeScalars.contains(where: { control($0) && $0 != "\t" }), sourceLocation: sourceLocation)
        }
    }
}
