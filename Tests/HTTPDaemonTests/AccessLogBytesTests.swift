import Foundation
import NIOConcurrencyHelpers
import Testing

@testable import HTTPDaemon
@testable import RequestPipeline

/// An access-log line formatted straight into a log file's batch (``LogFileWriter/write(_:)``
/// with a format) is byte for byte the line ``AccessLogFormat/format(_:)`` returns, and its
/// escaping is `ap_escape_logitem`'s, on awkward input: quotes, backslashes, control bytes,
/// DEL, UTF-8. No sockets: a temporary file.
@Suite struct AccessLogBytesTests {
    private let directory: String = {
        let path = NSTemporaryDirectory() + "isapid-logbytes-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    static let awkward = [
        "", "plain", #"say "hi""#, #"back\slash"#, #"\""#, "tab\there", "new\nline", "cr\r", "\u{8}\u{b}\u{c}",
        "\u{0}nul", "\u{1f}\u{7f}", "héllo wörld", "日本語", "emoji 🎉", "e\u{301}", #"\x41"#, "%{x}i", "\u{85}",
    ]

    /// `ap_escape_logitem`, written out plainly from its C source: the reference.
    static func apacheEscaped(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): out += "\\" + String(UnicodeScalar(byte))
            case 0x08: out += "\\b"
            case 0x0a: out += "\\n"
            case 0x0d: out += "\\r"
            case 0x09: out += "\\t"
            case 0x0b: out += "\\v"
            case 0x20..<0x7f: out.unicodeScalars.append(UnicodeScalar(byte))
            default: out += String(format: "\\x%02x", byte)
            }
        }
        return out
    }

    private func record(_ text: String) -> AccessLogRecord {
        AccessLogRecord(
            remoteIP: "127.0.0.1", remoteUser: text, requestTimeSeconds: 971_211_336,
            requestLine: "GET /\(text) HTTP/1.1", method: "GET", urlPath: "/" + text, query: "?" + text,
            originalStatus: 200, finalStatus: 200, bodyBytesSent: 13, serverName: text,
            requestHeaders: [("Referer", text), ("User-Agent", text), ("Cookie", "k=\(text)")],
            responseHeaders: [("X-Out", text)], notes: ["n": text], environment: ["E": text])
    }

    @Test(arguments: awkward)
    func eachValueIsEscapedAsApacheDoes(text: String) throws {
        let format = try AccessLogFormat("%{Referer}i|%U|%q|%v|%{n}n|%{E}e|%{X-Out}o")
        let escaped = Self.apacheEscaped(text)
        let expected = [escaped, "/" + escaped, "?" + escaped, escaped, escaped, escaped, escaped]
        #expect(format.format(record(text)) == expected.joined(separator: "|"))
    }

    @Test func linesWrittenIntoTheBatchEqualTheFormattedStrings() throws {
        let path = directory + "/access_log"
        let writer = try LogFileWriter(path: path)
        let formats = [AccessLogFormat.combined, .vhostCombined, .common,
                       try AccessLogFormat(#"%h "%{User-agent}i" %{k}C %{E}e \"%u\" %400,501{Referer}i é%%"#)]
        var expected = ""
        for text in Self.awkward {
            let record = record(text)
            for format in formats {
                writer.write { format.append(record, to: &$0) }
                expected += format.format(record) + "\n"
            }
        }
        writer.flush()
        let written = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(written == Data(expected.utf8))
    }

    /// Lines from many threads at once each arrive whole, none lost.
    @Test func concurrentLinesArriveWhole() throws {
        let path = directory + "/concurrent_log"
        let writer = try LogFileWriter(path: path)
        let format = AccessLogFormat.combined
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            for i in 0..<250 {
                let record = record("thread \(thread) line \(i)")
                writer.write { format.append(record, to: &$0) }
            }
        }
        writer.flush()
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2000)
        let expected = Set((0..<8).flatMap { thread in
            (0..<250).map { format.format(record("thread \(thread) line \($0)")) }
        })
        #expect(Set(lines.map(String.init)) == expected)
        #expect(writer.droppedLines == 0)
    }

    /// A line that does not fit in the queue is taken back whole: what waited stays as it was.
    @Test func aLineBeyondTheBoundIsTakenBackWhole() throws {
        let fifo = directory + "/fifo"
        #expect(mkfifo(fifo, 0o600) == 0)
        let readEnd = open(fifo, O_RDONLY | O_NONBLOCK)
        let writer = try LogFileWriter(path: fifo, limits: .init(queueBytes: 200_000))
        // More than the pipe holds: the writer thread blocks in write(2) with this one.
        writer.write(String(repeating: "x", count: 100_000))
        var waited = 0
        while writer.queuedBytes != 0 && waited < 500 {
            usleep(10_000)
            waited += 1
        }
        writer.write(String(repeating: "a", count: 150_000))
        writer.write(String(repeating: "b", count: 60_000))  // 210,002 bytes: beyond the bound
        #expect(writer.queuedBytes == 150_001)
        #expect(writer.droppedLines == 1)
        writer.write("c")
        #expect(writer.queuedBytes == 150_003)
        // Let the pipe drain so the writer can finish.
        let reader = Thread {
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = read(readEnd, &buffer, buffer.count)
                if count == 0 { return }
                if count < 0 { usleep(1_000) }
            }
        }
        reader.start()
        writer.close()
        #expect(writer.droppedLines == 1)
    }
}
