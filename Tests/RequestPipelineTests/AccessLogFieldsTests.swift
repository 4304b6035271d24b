import Foundation
import Testing
@testable import RequestPipeline

/// The access log gathers only what its formats print (``AccessLogFields``), caches the
/// per-second parts (``LogTimeCache``) and finds `%V` without splitting: every line must stay
/// byte for byte what the full record printed.
struct AccessLogFieldsTests {
    @Test("each format names exactly the costly fields it prints")
    func fieldsPerFormat() throws {
        #expect(AccessLogFormat.combined.fields == [.requestLine, .localTime, .requestHeaders])
        #expect(AccessLogFormat.common.fields == [.requestLine, .localTime])
        #expect(try AccessLogFormat("%h %>s %b %D %{sec}t %{end:msec_frac}t").fields == [])
        #expect(try AccessLogFormat("%{%Y-%m-%d}t").fields == [.localTime])
        #expect(try AccessLogFormat("%q %V %{a}C %{b}o %{c}e %{d}n").fields
                == [.query, .requestServerName, .requestHeaders, .responseHeaders, .environment, .notes])
        #expect(try AccessLogFormat("%P").fields == [.processID])
        #expect(try AccessLogFormat("%{tid}P %{hextid}P").fields == [.threadID])
        #expect(try AccessLogFormat("%{pid}P").fields == [.processID])
    }

    /// Every directive whose value does not depend on when the record was built (no `%D`/`%T`/`%{end}t`).
    static let everything = #"%a %{c}a %A %b %B %{session}C %{Cookie}i %f %h %H %{Referer}i %{User-Agent}i %I %k %l %L "#
        + #"%m %{note}n %{Content-Type}o %{X-Out}o %O %p %{canonical}p %{local}p %{remote}p %P %{pid}P %q %r %R %s %<s %>s "#
        + #"%t %{begin:%Y-%m-%d %H:%M:%S %z}t %{sec}t %{msec_frac}t %u %U %v %V %X %{ENVVAR}e %{HTTPS}x %^FB"#

    @Test("a record built for a format's fields prints the same line as one built with all of them",
          arguments: [
              ("localhost:8080", "/dir/file.txt?a=1&b=%22x%22"),
              ("[::1]:8080", "/x"),
              ("", "/plain"),
              (":80", "/?"),
          ])
    func sameLineAsFullRecord(host: String, target: String) throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        tree.write("htdocs/dir/file.txt", "text")
        tree.write("htdocs/x", "x")
        tree.write("htdocs/plain", "p")
        let pipeline = try tree.pipeline("""
            DocumentRoot \(tree.htdocs)
            Header set X-Out "out \\"q\\""
            """)
        let headers = [("Referer", "http://r/\u{7f}"), ("User-Agent", "agent \"1\""),
                       ("Cookie", "session=abc; other=1")]
        let (ran, response) = pipeline.run(target, headers: headers)
        var context = ran
        context.notes["note"] = "noted"
        context.environment["ENVVAR"] = "env-value"
        context.headers.set("Host", host)
        #expect(context.headers["Host"] == host)
        for formatString in [Self.everything, AccessLogFormat.combined.formatString, "%h %>s", "%V %{tid}P %{hextid}P"] {
            let format = try AccessLogFormat(formatString)
            let full = AccessLogRecordBuilder.record(context, response: response, bytesSent: 4, wireBytesSent: 200,
                                                     connection: .keepAlive, serverPort: 8080, fields: .all)
            let lean = AccessLogRecordBuilder.record(context, response: response, bytesSent: 4, wireBytesSent: 200,
                                                     connection: .keepAlive, serverPort: 8080, fields: format.fields)
            #expect(format.format(lean) == format.format(full), "\(formatString)")
            // The connection's own lines read the values in place: the same line again.
            var liveContext = context
            var liveResponse = response
            var live = ""
            LiveAccessLogValues.withValues(
                of: &liveContext, response: &liveResponse, bytesSent: 4, wireBytesSent: 200, connection: .keepAlive,
                serverPort: 8080
            ) { values in
                var out = LogLineWriter(capacity: 256)
                format.append(live: values, to: &out)
                live = out.string
            }
            #expect(live == format.format(full), "\(formatString)")
        }
        let full = AccessLogRecordBuilder.record(context, response: response, bytesSent: 4, connection: .close, serverPort: 80)
        #expect(full.requestLine == context.request.requestLine)
        #expect(full.protocolVersion == context.request.protocolName)
        #expect(full.pid == getpid())
    }

    @Test("the request line and protocol of any version read as IncomingRequest has them",
          arguments: [(1, 1), (1, 0), (0, 9), (2, 0)])
    func requestLineOfEveryVersion(major: Int, minor: Int) {
        var request = TestRequest.make("/a?b=c", method: "PROPFIND")
        request.versionMajor = major
        request.versionMinor = minor
        let name = AccessLogRecordBuilder.protocolName(major: request.versionMajor, minor: request.versionMinor)
        #expect(name == request.protocolName)
        #expect(AccessLogRecordBuilder.requestLine(request.method, request.target, name) == request.requestLine)
        // As Apache's the_request: an HTTP/0.9 line has no version to print.
        #expect(request.requestLine == (major == 0 ? "PROPFIND /a?b=c" : "PROPFIND /a?b=c \(name)"))
    }

    @Test("%r of an HTTP/0.9 request is the line as sent, without a version, in every way a line is built")
    func requestLineOfHTTP09() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        tree.write("htdocs/a.txt", "a")
        let pipeline = try tree.pipeline("DocumentRoot \(tree.htdocs)")
        var (context, response) = pipeline.run("/a.txt")
        context.request.versionMajor = 0
        context.request.versionMinor = 9
        let format = try AccessLogFormat(#""%r" %H"#)
        for fields in [AccessLogFields.all, format.fields] {
            let record = AccessLogRecordBuilder.record(context, response: response, bytesSent: 1, wireBytesSent: 1,
                                                       connection: .close, serverPort: 80, fields: fields)
            #expect(format.format(record) == #""GET /a.txt" HTTP/0.9"#)
        }
        var live = ""
        LiveAccessLogValues.withValues(of: &context, response: &response, bytesSent: 1, wireBytesSent: 1,
                                       connection: .close, serverPort: 80) { values in
            var out = LogLineWriter(capacity: 64)
            format.append(live: values, to: &out)
            live = out.string
        }
        #expect(live == #""GET /a.txt" HTTP/0.9"#)
    }

    @Test("%V's host without port matches splitting the Host header",
          arguments: ["", "localhost", "localhost:8080", "a.b.c:80:90", ":80", "::", ":", "[", "[]", "[::1]", "[::1]:8080",
                      "[::1", "[fe80::1%eth0]:1]", "]", "x]:1", "very-long-host-name.example.com:443", "hôte:80",
                      "e\u{301}:80", "[\u{301}::1]:80", "a:\u{301}b"])
    func hostWithoutPort(header: String) {
        #expect(AccessLogRecordBuilder.hostWithoutPort(header) == AccessLogRecordBuilder.hostWithoutPortSplitting(header))
    }

    @Test("%t from the per-second cache is the text formatted afresh, for each second and offset")
    func cachedCommonLogTime() {
        let cache = LogTimeCache()
        // 971_211_336 and 971_211_352 share a slot; the offsets differ between calls of one second.
        for (seconds, offset) in [(971_211_336, -25_200), (971_211_336, -25_200), (971_211_352, 3_600), (971_211_336, 0),
                                  (971_211_336, -25_200), (-1, 0), (0, 19_800)] as [(Int64, Int)] {
            var fresh = LogLineWriter(capacity: 28)
            fresh.appendCommonLogTime(CivilTime(epochSeconds: seconds, utcOffset: offset))
            var cached = LogLineWriter(capacity: 0)
            cache.appendCommonLogTime(seconds: seconds, utcOffset: offset, to: &cached)
            #expect(cached.bytes == fresh.bytes)
        }
    }

    @Test("the UTC offset from the per-second cache is the C library's")
    func cachedUTCOffset() {
        let cache = LogTimeCache()
        for seconds in [971_211_336, 971_211_336, 1_750_000_000, 1_735_689_600, 971_211_336] as [Int64] {
            #expect(cache.utcOffset(atSeconds: seconds) == ErrorLogLine.localUTCOffset(atSeconds: seconds))
        }
    }
}
