import Foundation
import NIOConcurrencyHelpers
import NIOPosix
import Testing

@testable import HTTPDaemon
@testable import RequestPipeline

/// An access-log line formatted straight into a log file's batch (``LogFileWriter/write(_:)``
/// with a format) is byte for byte the line ``AccessLogFormat/format(_:)`` returns, and its
/// escaping is `ap_escape_logitem`'s, on awkward input: quotes, backslashes, control bytes,
/// DEL, UTF-8. No sockets: a temporary file.
///
/// Sendable (its one property is a constant): `concurrentLinesArriveWhole` calls `record(_:)`
/// from many threads.
@Suite final class AccessLogBytesTests: Sendable {
    private let directory: String = {
        let path = NSTemporaryDirectory() + "isapid-logbytes-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    // One instance per test, released when the test ends, passed or failed.
    deinit { try? FileManager.default.removeItem(atPath: directory) }

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

    // MARK: Lines pinned byte for byte

    /// A record as the builder makes it for a format (the request line as method, target and
    /// protocol), with values that need escaping.
    static let pinnedRecord = AccessLogRecord(
        remoteIP: "192.0.2.7", remotePort: 40_000, localIP: "10.0.0.1", localPort: 8080,
        requestTimeSeconds: 971_211_336, requestTimeMicroseconds: 5, utcOffsetSeconds: -25_200,
        requestTarget: #"/a b?"x""#, method: "GET", protocolVersion: "HTTP/1.1",
        urlPath: "/a b", query: #"?"x""#, originalStatus: 200, finalStatus: 200, bodyBytesSent: 0,
        durationMicroseconds: 1_234_567, serverName: "www.example.com", requestServerName: "example.com",
        canonicalPort: 80, connectionStatus: .keepAlive, keepAliveCount: 12,
        requestHeaders: [("Host", "example.com"), ("Referer", "http://r/\u{7f}"), ("User-Agent", #"agent "1"\"#),
                         ("Cookie", "a=1; theme = dark ")],
        responseHeaders: [("Content-Type", "text/plain; charset=utf-8"), ("X-Out", "o\tut")],
        notes: ["n": "nöte"], environment: ["E": "env"])

    /// A plain record: a user, a body, a request line of its own.
    static let plainRecord = AccessLogRecord(
        remoteIP: "::1", remoteUser: "", requestTimeSeconds: 1_735_689_600, utcOffsetSeconds: 3_600,
        requestLine: "POST /x HTTP/1.0", method: "POST", protocolVersion: "HTTP/1.0", urlPath: "/x",
        originalStatus: 404, finalStatus: 302, bodyBytesSent: 13, durationMicroseconds: 999,
        serverName: "h", requestServerName: "h", canonicalPort: 8443, connectionStatus: .close)

    static let pinnedCustom = "%{Host}i|%{content-type}o|%{X-Out}o|%{E}e|%{n}n|%{theme}C|%{%Y-%m-%dT%H:%M:%S %z}t|"
        + "%{msec_frac}t|%D|%T|%k|%X|%B|%v:%p|%V|%U%q|%404{Referer}i|%!404{Referer}i|%s %>s|%%"

    /// (format, record, the line): written out by hand, not by the formatter.
    static let pinned: [(String, AccessLogRecord, String)] = [
        (AccessLogFormat.combined.formatString, pinnedRecord,
         #"192.0.2.7 - - [10/Oct/2000:13:55:36 -0700] "GET /a b?\"x\" HTTP/1.1" 200 - "http://r/\x7f" "agent \"1\"\\""#),
        (AccessLogFormat.common.formatString, pinnedRecord,
         #"192.0.2.7 - - [10/Oct/2000:13:55:36 -0700] "GET /a b?\"x\" HTTP/1.1" 200 -"#),
        (pinnedCustom, pinnedRecord,
         #"example.com|text/plain|o\tut|env|n\xc3\xb6te|dark|2000-10-10T13:55:36 -0700|000|1234567|1|12|+|0|"#
         + #"www.example.com:80|example.com|/a b?\"x\"|-|http://r/\x7f|200 200|%"#),
        (AccessLogFormat.combined.formatString, plainRecord,
         #"::1 - "" [01/Jan/2025:01:00:00 +0100] "POST /x HTTP/1.0" 302 13 "-" "-""#),
        (AccessLogFormat.vhostCombined.formatString, plainRecord,
         #"h:8443 ::1 - "" [01/Jan/2025:01:00:00 +0100] "POST /x HTTP/1.0" 302 - "-" "-""#),
        (pinnedCustom, plainRecord,
         #"-|-|-|-|-|-|2025-01-01T01:00:00 +0100|000|999|0|0|-|13|h:8443|h|/x|-|-|404 302|%"#),
    ]

    /// Every pinned line, as the formatter returns it and as an event loop writes it into
    /// the file (``LogFileWriter/writeAccessLine(_:_:)``, flushed at the end of the turn).
    @Test func pinnedLinesByteForByte() throws {
        let path = directory + "/pinned_log"
        let writer = try LogFileWriter(path: path)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        var expected = ""
        for (formatString, record, line) in Self.pinned {
            let format = try AccessLogFormat(formatString)
            #expect(format.format(record) == line, "\(formatString)")
            try group.next().submit {
                var record = record
                writer.writeAccessLine(format, &record)
            }.wait()
            expected += line + "\n"
        }
        #expect(eventually(timeout: 10) { (try? Data(contentsOf: URL(fileURLWithPath: path))) == Data(expected.utf8) })
        #expect(writer.droppedLines == 0)
    }

    /// A flush (graceful stop, a child's exit) that takes the batch an event loop was going
    /// to write at the end of its turn leaves the queue as it found it: the loop's own flush
    /// finds nothing, the writer parks, and the next turn's lines go out the same way.
    @Test func aFlushThatTakesTheLoopsBatchLeavesTheQueueWorking() throws {
        let path = directory + "/flushed_log"
        let writer = try LogFileWriter(path: path)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        #expect(eventually(timeout: 10) { writer.isIdle })
        try group.next().submit {
            var record = Self.plainRecord
            writer.writeAccessLine(.common, &record)
            writer.flush()
        }.wait()
        #expect(eventually(timeout: 10) { writer.isIdle })
        #expect(writer.writeCallCount == 1)
        try group.next().submit {
            var record = Self.plainRecord
            writer.writeAccessLine(.common, &record)
        }.wait()
        #expect(eventually(timeout: 10) { writer.writeCallCount == 2 && writer.isIdle })
        let line = #"::1 - "" [01/Jan/2025:01:00:00 +0100] "POST /x HTTP/1.0" 302 13"#
        #expect(try String(contentsOfFile: path, encoding: .utf8) == line + "\n" + line + "\n")
    }

    /// BufferedLogs On: the event loop whose line fills the 4 KiB buffer writes it at the
    /// end of its turn, as Apache writes a full buffer in-line; a line that does not fill
    /// it waits (here for an hour-long tick, or a flush).
    @Test func aLoopThatFillsTheBufferWritesItAtTheEndOfItsTurn() throws {
        let path = directory + "/buffered_loop_log"
        let writer = try LogFileWriter(path: path, limits: .init(bufferMilliseconds: 3_600_000))
        writer.setBuffering(.buffered)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let loop = group.next()
        #expect(eventually(timeout: 10) { writer.isIdle })
        let lineBytes = #"::1 - "" [01/Jan/2025:01:00:00 +0100] "POST /x HTTP/1.0" 302 13"#.utf8.count + 1
        let filling = 4096 / lineBytes + 1
        try loop.submit {
            for _ in 0..<filling {
                var record = Self.plainRecord
                writer.writeAccessLine(.common, &record)
            }
        }.wait()
        try loop.submit {}.wait()  // the turn that logged is over, and its end-of-turn task ran
        #expect(writer.writeCallCount == 1)
        #expect((try? Data(contentsOf: URL(fileURLWithPath: path)))?.count == filling * lineBytes)

        try loop.submit {
            var record = Self.plainRecord
            writer.writeAccessLine(.common, &record)
        }.wait()
        try loop.submit {}.wait()
        #expect(writer.writeCallCount == 1, "one line does not fill the buffer")
        writer.flush()
        #expect((try? Data(contentsOf: URL(fileURLWithPath: path)))?.count == (filling + 1) * lineBytes)
    }
}
