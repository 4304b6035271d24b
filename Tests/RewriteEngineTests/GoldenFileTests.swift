import Foundation
import RewriteEngine
import Testing

/// Runs every `Golden/*.golden` file (format in Golden/README.md): an httpd.ini, the
/// parse errors it must give, and requests with the outcome each must have.
@Suite struct GoldenFileTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    static var files: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
            .filter { $0.hasSuffix(".golden") }.sorted()
    }

    @Test func thereAreGoldenFiles() {
        #expect(Self.files.count >= 5)
    }

    @Test(arguments: files)
    func goldenFile(_ name: String) throws {
        let text = try String(contentsOf: Self.directory.appendingPathComponent(name), encoding: .utf8)
        let blocks = try GoldenFile.parse(text)
        #expect(!blocks.isEmpty, "\(name) has no ini blocks")
        for block in blocks {
            let rules = IniParser.parse(block.ini)
            let actualErrors = rules.errors.map(\.description)
            let errorsMatch = actualErrors.count == block.expectedErrors.count
                && zip(actualErrors, block.expectedErrors).allSatisfy { $0.hasPrefix($1) }
            #expect(errorsMatch, "\(name):\(block.line): parse errors \(actualErrors), expected \(block.expectedErrors)")
            for testCase in block.cases {
                let actual = GoldenOutcome.run(rules, testCase)
                for expectation in testCase.expectations {
                    #expect(actual.satisfies(expectation),
                            "\(name):\(testCase.line): \(testCase.requestLine): expected '\(expectation)', got \(actual.summary)")
                }
            }
        }
    }
}

/// One `=== ini` block with its errors and cases.
struct GoldenBlock {
    var line: Int
    var ini = ""
    var expectedErrors: [String] = []
    var cases: [GoldenCase] = []
}

struct GoldenCase {
    var line: Int
    var requestLine: String
    var request: TestRequest
    var expectations: [String] = []
}

enum GoldenFile {
    struct FormatError: Error, CustomStringConvertible {
        let description: String
    }

    static func parse(_ text: String) throws -> [GoldenBlock] {
        var blocks: [GoldenBlock] = []
        var section = ""
        var iniLines: [String] = []
        var pending: GoldenCase?
        func finishCase() {
            if let done = pending, !blocks.isEmpty { blocks[blocks.count - 1].cases.append(done) }
            pending = nil
        }
        func finishIni() {
            if section == "ini", !blocks.isEmpty { blocks[blocks.count - 1].ini = iniLines.joined(separator: "\n") }
            iniLines = []
        }
        for (offset, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = String(rawLine)
            let number = offset + 1
            if line.hasPrefix("=== ") {
                finishCase()
                finishIni()
                section = String(line.dropFirst(4)).trimmingCharacters(in: .whitespaces)
                if section == "ini" { blocks.append(GoldenBlock(line: number)) }
                guard ["ini", "errors", "cases"].contains(section), !blocks.isEmpty else {
                    throw FormatError(description: "line \(number): unexpected '\(line)'")
                }
                continue
            }
            switch section {
            case "ini":
                iniLines.append(line)
            case "errors":
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if !trimmed.isEmpty && !trimmed.hasPrefix("#") { blocks[blocks.count - 1].expectedErrors.append(trimmed) }
            case "cases":
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.isEmpty { finishCase(); continue }
                if trimmed.hasPrefix("#") { continue }
                if trimmed.hasPrefix("->") {
                    guard pending != nil else { throw FormatError(description: "line \(number): expectation without a request") }
                    pending?.expectations.append(String(trimmed.dropFirst(2)).trimmingCharacters(in: .whitespaces))
                } else if pending == nil {
                    let words = trimmed.split(separator: " ").map(String.init)
                    guard words.count >= 2 else { throw FormatError(description: "line \(number): bad request line '\(trimmed)'") }
                    var request = TestRequest(words[1], method: words[0])
                    if words.count >= 3 { request.httpVersion = words[2] }
                    pending = GoldenCase(line: number, requestLine: trimmed, request: request)
                } else if trimmed.hasPrefix("%"), let equals = trimmed.firstIndex(of: "=") {
                    pending?.request.variables[String(trimmed[trimmed.index(after: trimmed.startIndex)..<equals])] =
                        String(trimmed[trimmed.index(after: equals)...])
                } else if let colon = trimmed.firstIndex(of: ":") {
                    let value = trimmed[trimmed.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                    pending?.request.headers.append((name: String(trimmed[..<colon]), value: value))
                } else {
                    throw FormatError(description: "line \(number): cannot read '\(trimmed)'")
                }
            default:
                break
            }
        }
        finishCase()
        finishIni()
        return blocks
    }
}

/// What a case produced, in the golden vocabulary.
struct GoldenOutcome {
    var result: IniRewriteResult
    var request: TestRequest
    var original: TestRequest

    static func run(_ rules: IniRuleSet, _ testCase: GoldenCase) -> GoldenOutcome {
        var request = testCase.request
        request.setHeader(rewriteURLHeader, to: nil)
        let original = request
        let result = rules.evaluate(&request, originalURL: original.url)
        return GoldenOutcome(result: result, request: request, original: testCase.request)
    }

    var location: String? {
        guard case .redirect(_, let target) = result.outcome else { return nil }
        return completeRedirectTarget(target, scheme: "http", hostHeader: original.header("Host"), serverName: "localhost", port: 80)
    }

    var isRewrite: Bool { result.outcome == .proceed || result.outcome == .stop }

    func satisfies(_ expectation: String) -> Bool {
        let words = expectation.split(separator: " ", maxSplits: 1).map(String.init)
        let argument = words.count > 1 ? words[1] : ""
        switch words[0] {
        case "NO" where argument == "REWRITE":
            var unchanged = original
            unchanged.setHeader(rewriteURLHeader, to: nil)
            return isRewrite && request.url == original.url && request.method == original.method
                && request.headers.map { "\($0.name): \($0.value)" } == unchanged.headers.map { "\($0.name): \($0.value)" }
        case "NO" where argument.hasPrefix("HEADER "):
            return request.header(String(argument.dropFirst(7))) == nil
        case "URL":
            return isRewrite && request.url == argument
        case "NOT" where argument == "FOUND":
            return result.outcome == .notFound
        case "REDIRECT":
            let parts = argument.split(separator: " ", maxSplits: 1).map(String.init)
            guard case .redirect(let status, _) = result.outcome, parts.count == 2 else { return false }
            return String(status) == parts[0] && location == parts[1]
        case "PROXY":
            guard case .proxy(let url, _) = result.outcome else { return false }
            return url == argument
        case "METHOD":
            return request.method == argument
        case "HEADER":
            guard let colon = argument.firstIndex(of: ":") else { return false }
            let value = argument[argument.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            return request.header(String(argument[..<colon])) == value
        case "LOG":
            return (result.logsOriginalURL ? original.url : request.url) == argument
        default:
            return false
        }
    }

    var summary: String {
        "outcome \(result.outcome), url \(request.url), method \(request.method), headers \(request.headers.map { "\($0.name): \($0.value)" }), logsOriginal \(result.logsOriginalURL)"
    }
}
