import Foundation
import Testing
@testable import RequestPipeline

/// 10/Oct/2000:13:55:36 -0700, the example in Apache's log documentation.
private let docTime: Int64 = 971_211_336

private func docRecord() -> AccessLogRecord {
    AccessLogRecord(
        remoteIP: "127.0.0.1", remotePort: 5555, localIP: "10.0.0.1", localPort: 8080,
        remoteUser: "frank",
        requestTimeSeconds: docTime, requestTimeMicroseconds: 123_456, utcOffsetSeconds: -25_200,
        requestLine: "GET /apache_pb.gif HTTP/1.0", method: "GET", protocolVersion: "HTTP/1.0",
        urlPath: "/apache_pb.gif", query: "",
        originalStatus: 200, finalStatus: 200,
        bodyBytesSent: 2326, bytesReceived: 312, bytesSent: 2600, timeToFirstByteMicroseconds: 1500,
        durationMicroseconds: 2_345_678,
        serverName: "www.example.com", requestServerName: "example.com", canonicalPort: 80,
        pid: 1234, threadID: 140_234, connectionStatus: .keepAlive,
        filename: "/var/www/html/apache_pb.gif", handler: "static-file", keepAliveCount: 3,
        requestHeaders: [
            ("Host", "example.com"),
            ("Referer", "http://www.example.com/start.html"),
            ("User-Agent", "Mozilla/4.08 [en] (Win98; I ;Nav)"),
            ("Accept", "text/html"),
            ("accept", "image/png"),
            ("Cookie", "session=abc123;  Theme = dark ; empty="),
            ("X-Empty", ""),
        ],
        responseHeaders: [
            ("Content-Type", "text/html; charset=UTF-8"),
            ("Set-Cookie", "a=1"),
            ("Set-Cookie", "b=2"),
            ("Content-Length", "2326"),
        ],
        notes: ["ratio": "42%"],
        environment: ["UNIQUE_ID": "YzAbC", "EMPTY": ""])
}

private func line(_ format: String, _ record: AccessLogRecord = docRecord()) throws -> String {
    try AccessLogFormat(format).format(record)
}

struct AccessLogFormatTests {
    // MARK: Golden lines

    @Test func commonGoldenLine() {
        #expect(AccessLogFormat.common.format(docRecord())
                == #"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326"#)
    }

    @Test func combinedGoldenLine() {
        #expect(AccessLogFormat.combined.format(docRecord())
                == #"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "#
                + #""http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)""#)
    }

    @Test func predefinedFormats() {
        let record = docRecord()
        #expect(AccessLogFormat.vhostCombined.format(record)
                == #"www.example.com:80 127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2600 "#
                + #""http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)""#)
        #expect(AccessLogFormat.referer.format(record) == "http://www.example.com/start.html -> /apache_pb.gif")
        #expect(AccessLogFormat.agent.format(record) == "Mozilla/4.08 [en] (Win98; I ;Nav)")
        #expect(AccessLogFormat.common.formatString == #"%h %l %u %t "%r" %>s %b"#)
    }

    @Test func commonForAnonymousEmptyResponse() {
        var record = docRecord()
        record.remoteUser = nil
        record.bodyBytesSent = 0
        record.finalStatus = 304
        record.requestLine = "GET / HTTP/1.1"
        #expect(AccessLogFormat.common.format(record) == #"127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 304 -"#)
    }

    // MARK: Each directive

    @Test(arguments: [
        ("%%", "%"),
        ("100%% sure", "100% sure"),
        ("%a", "127.0.0.1"),
        ("%{c}a", "127.0.0.1"),
        ("%A", "10.0.0.1"),
        ("%b", "2326"),
        ("%B", "2326"),
        ("%D", "2345678"),
        ("%f", "/var/www/html/apache_pb.gif"),
        ("%h", "127.0.0.1"),
        ("%{c}h", "127.0.0.1"),
        ("%H", "HTTP/1.0"),
        ("%{Referer}i", "http://www.example.com/start.html"),
        ("%{referer}i", "http://www.example.com/start.html"),
        ("%{ACCEPT}i", "text/html, image/png"),
        ("%{X-Missing}i", "-"),
        ("%{X-Empty}i", ""),
        ("%I", "312"),
        ("%k", "3"),
        ("%l", "-"),
        ("%L", "-"),
        ("%{c}L", "-"),
        ("%m", "GET"),
        ("%{ratio}n", "42%"),
        ("%{missing}n", "-"),
        ("%{Content-Type}o", "text/html"),
        ("%{Set-Cookie}o", "a=1, b=2"),
        ("%{content-length}o", "2326"),
        ("%{Location}o", "-"),
        ("%O", "2600"),
        ("%S", "2912"),
        ("%p", "80"),
        ("%{canonical}p", "80"),
        ("%{local}p", "8080"),
        ("%{REMOTE}p", "5555"),
        ("%{bogus}p", "bogus"),
        ("%P", "1234"),
        ("%{pid}P", "1234"),
        ("%{tid}P", "140234"),
        ("%{hextid}P", "223ca"),
        ("%q", ""),
        ("%r", "GET /apache_pb.gif HTTP/1.0"),
        ("%R", "static-file"),
        ("%s", "200"),
        ("%>s", "200"),
        ("%<s", "200"),
        ("%t", "[10/Oct/2000:13:55:36 -0700]"),
        ("%T", "2"),
        ("%u", "frank"),
        ("%U", "/apache_pb.gif"),
        ("%v", "www.example.com"),
        ("%V", "example.com"),
        ("%X", "+"),
        ("%{UNIQUE_ID}e", "YzAbC"),
        ("%{EMPTY}e", ""),
        ("%{NOPE}e", "-"),
        ("%{session}C", "abc123"),
        ("%{theme}C", "dark"),
        ("%{empty}C", "-"),
        ("%{other}C", "-"),
        ("%^FB", "1500"),
        ("%^ti", "-"),
        ("%^to", "-"),
        ("%{SSL_PROTOCOL}x", "-"),
        ("%{version}c", "-"),
        ("%{Referer}}i", "http://www.example.com/start.html"),
        ("%{a}{Host}i", "example.com"),
        ("[%h] %>s %B bytes", "[127.0.0.1] 200 2326 bytes"),
    ])
    func directive(format: String, expected: String) throws {
        #expect(try line(format) == expected)
    }

    @Test func absentOptionalFields() throws {
        let record = AccessLogRecord()
        #expect(try line("%u|%f|%R|%I|%O|%S|%^FB|%s|%>s|%b|%B|%X|%k|%q|%L", record) == "-|-|-|-|-|-|-|-|-|-|0|-|0||-")
    }

    @Test func emptyRemoteUserIsTwoQuotes() throws {
        var record = docRecord()
        record.remoteUser = ""
        #expect(try line("%u", record) == #""""#)
    }

    @Test func originalAndFinalStatus() throws {
        var record = docRecord()
        record.originalStatus = 404
        record.finalStatus = 200
        #expect(try line("%s %<s %>s", record) == "404 404 200")
    }

    @Test(arguments: [
        (AccessLogRecord.ConnectionStatus.aborted, "X"),
        (.keepAlive, "+"),
        (.close, "-"),
    ])
    func connectionStatus(status: AccessLogRecord.ConnectionStatus, expected: String) throws {
        var record = docRecord()
        record.connectionStatus = status
        #expect(try line("%X", record) == expected)
    }

    @Test func queryString() throws {
        var record = docRecord()
        record.requestLine = "GET /x?a=b&c=%22 HTTP/1.1"
        record.urlPath = "/x"
        record.query = "?a=b&c=%22"
        #expect(try line("%U%q \"%r\"", record) == #"/x?a=b&c=%22 "GET /x?a=b&c=%22 HTTP/1.1""#)
    }

    @Test func logID() throws {
        var record = docRecord()
        record.logID = "Zx3Q"
        #expect(try line("%L %{c}L", record) == "Zx3Q -")
    }

    // MARK: Escaping

    @Test(arguments: [
        (#"GET /"quoted" HTTP/1.1"#, #"GET /\"quoted\" HTTP/1.1"#),
        (#"GET /back\slash HTTP/1.1"#, #"GET /back\\slash HTTP/1.1"#),
        ("GET /a\nb\tc\rd HTTP/1.1", #"GET /a\nb\tc\rd HTTP/1.1"#),
        ("GET /\u{08}\u{0B}\u{07}\u{0C} HTTP/1.1", #"GET /\b\v\x07\x0c HTTP/1.1"#),
        ("GET /\u{00}\u{1B}\u{1F}\u{7F} HTTP/1.1", #"GET /\x00\x1b\x1f\x7f HTTP/1.1"#),
        ("GET /café HTTP/1.1", #"GET /caf\xc3\xa9 HTTP/1.1"#),
        ("GET /日 HTTP/1.1", #"GET /\xe6\x97\xa5 HTTP/1.1"#),
        ("GET /plain-text_~!$&'()*+,;=:@ HTTP/1.1", "GET /plain-text_~!$&'()*+,;=:@ HTTP/1.1"),
    ])
    func requestLineEscaping(requestLine: String, expected: String) throws {
        var record = docRecord()
        record.requestLine = requestLine
        #expect(try line("%r", record) == expected)
    }

    @Test(arguments: [
        "%{User-Agent}i", "%{X-Out}o", "%{note}n", "%{VAR}e", "%u", "%U", "%q", "%m", "%H", "%f", "%R", "%v", "%V",
        "%{c}C",
    ])
    func everyRequestValueIsEscaped(format: String) throws {
        let evil = "a\"b\\c\nd\u{1}é"
        let record = AccessLogRecord(
            remoteUser: evil, method: evil, protocolVersion: evil, urlPath: evil, query: evil,
            serverName: evil, requestServerName: evil, filename: evil, handler: evil,
            requestHeaders: [("User-Agent", evil), ("Cookie", "c=" + evil)], responseHeaders: [("X-Out", evil)],
            notes: ["note": evil], environment: ["VAR": evil])
        #expect(try line(format, record) == #"a\"b\\c\nd\x01\xc3\xa9"#)
    }

    @Test func multipleHeaderValuesAreEscapedAndJoined() throws {
        let record = AccessLogRecord(requestHeaders: [("Via", "1.1 \"a\""), ("VIA", "1.0 b\n")])
        #expect(try line("%{via}i", record) == #"1.1 \"a\", 1.0 b\n"#)
    }

    @Test func constantsAndTimesAreNotEscaped() throws {
        let record = AccessLogRecord(requestTimeSeconds: docTime, utcOffsetSeconds: 0)
        #expect(try line("é \"%{%Y}t\" \\", record) == "é \"2000\" \\")
    }

    // MARK: Literal text

    @Test("text of every length from 0 to 20 before, between and after directives is printed as it is")
    func literalsOfEveryLength() throws {
        let record = docRecord()
        for length in 0...20 {
            let text = String((0..<length).map { Character(UnicodeScalar(UInt8(ascii: "a") + UInt8($0))) })
            #expect(try line(text + "%>s" + text + "%m" + text, record) == text + "200" + text + "GET" + text,
                    "length \(length)")
        }
    }

    @Test(arguments: [
        (#"a\tb"#, "a\tb"),
        (#"a\nb"#, "a\nb"),
        (#"a\rb"#, "a\rb"),
        (#"a\\b"#, #"a\b"#),
        (#"a\"b"#, #"a\"b"#),
        (#"a\qb"#, #"a\qb"#),
        (#"end\"#, #"end\"#),
        (#"%m\t%U"#, "GET\t/apache_pb.gif"),
        ("", ""),
    ])
    func literalText(format: String, expected: String) throws {
        #expect(try line(format) == expected)
    }

    // MARK: Conditions

    @Test(arguments: [
        (200, "%200{Referer}i", "http://www.example.com/start.html"),
        (404, "%200{Referer}i", "-"),
        (400, "%400,501{User-agent}i", "Mozilla/4.08 [en] (Win98; I ;Nav)"),
        (501, "%400,501{User-agent}i", "Mozilla/4.08 [en] (Win98; I ;Nav)"),
        (200, "%400,501{User-agent}i", "-"),
        (200, "%!200,304,302{Referer}i", "-"),
        (304, "%!200,304,302{Referer}i", "-"),
        (500, "%!200,304,302{Referer}i", "http://www.example.com/start.html"),
        (404, "%!!404{Host}i", "example.com"),
        (500, "%500>s", "500"),
        (200, "%500b", "-"),
        (500, "%500b", "2326"),
        (404, "%{Host}404i", "example.com"),
    ])
    func statusConditions(status: Int, format: String, expected: String) throws {
        var record = docRecord()
        record.finalStatus = status
        #expect(try line(format, record) == expected)
    }

    @Test func conditionsTestTheFinalStatus() throws {
        var record = docRecord()
        record.originalStatus = 302
        record.finalStatus = 404
        #expect(try line("%404s %302s", record) == "302 -")
    }

    // MARK: Time

    @Test(arguments: [
        (0, "[10/Oct/2000:20:55:36 +0000]"),
        (-25_200, "[10/Oct/2000:13:55:36 -0700]"),
        (19_800, "[11/Oct/2000:02:25:36 +0530]"),
        (-12_600, "[10/Oct/2000:17:25:36 -0330]"),
        (3600, "[10/Oct/2000:21:55:36 +0100]"),
        (50_400, "[11/Oct/2000:10:55:36 +1400]"),
        (-43_200, "[10/Oct/2000:08:55:36 -1200]"),
    ])
    func timezoneOffsets(offset: Int, expected: String) throws {
        var record = docRecord()
        record.utcOffsetSeconds = offset
        #expect(try line("%t", record) == expected)
        #expect(try line("%{%z}t", record) == String(expected.dropFirst(22).dropLast()))
    }

    @Test(arguments: [
        (Int64(0), "[01/Jan/1970:00:00:00 +0000]"),
        (951_782_400, "[29/Feb/2000:00:00:00 +0000]"),
        (1_709_251_199, "[29/Feb/2024:23:59:59 +0000]"),
        (4_102_444_800, "[01/Jan/2100:00:00:00 +0000]"),
        (-1, "[31/Dec/1969:23:59:59 +0000]"),
    ])
    func commonLogTimeDates(seconds: Int64, expected: String) throws {
        #expect(try line("%t", AccessLogRecord(requestTimeSeconds: seconds)) == expected)
    }

    @Test(arguments: [
        ("%t", "[10/Oct/2000:13:55:36 -0700]"),
        ("%{}t", "[10/Oct/2000:13:55:36 -0700]"),
        ("%{begin}t", "[10/Oct/2000:13:55:36 -0700]"),
        ("%{end}t", "[10/Oct/2000:13:55:38 -0700]"),
        ("%{begin:}t", "[10/Oct/2000:13:55:36 -0700]"),
        ("%{sec}t", "971211336"),
        ("%{msec}t", "971211336123"),
        ("%{usec}t", "971211336123456"),
        ("%{msec_frac}t", "123"),
        ("%{usec_frac}t", "123456"),
        ("%{begin:sec}t", "971211336"),
        ("%{end:sec}t", "971211338"),
        ("%{end:msec}t", "971211338469"),
        ("%{end:usec}t", "971211338469134"),
        ("%{end:msec_frac}t", "469"),
        ("%{end:usec_frac}t", "469134"),
        ("%{%d/%b/%Y:%H:%M:%S %z}t", "10/Oct/2000:13:55:36 -0700"),
        ("%{%Y-%m-%dT%H:%M:%S}t.%{msec_frac}t", "2000-10-10T13:55:36.123"),
        ("%{begin:%Y-%m-%d %T}t", "2000-10-10 13:55:36"),
        ("%{end:%H:%M:%S}t", "13:55:38"),
        ("%{%a %A %b %B %h}t", "Tue Tuesday Oct October Oct"),
        ("%{%j %U %W %V %G %g %u %w}t", "284 41 41 41 2000 00 2 2"),
        ("%{%I %l %p %P %r}t", "01  1 PM pm 01:55:36 PM"),
        ("%{%e|%k|%C|%y|%D|%F|%R}t", "10|13|20|00|10/10/00|2000-10-10|13:55"),
        ("%{%c}t", "Tue Oct 10 13:55:36 2000"),
        ("%{%x %X}t", "10/10/00 13:55:36"),
        ("%{%s}t", "971211336"),
        ("%{%Z}t", "-0700"),
        ("%{%%|%n|%t}t", "%|\n|\t"),
        ("%{%Q %}t", "%Q %"),
        ("%{%^a %#b %-d %_m %5Y %3j %010s}t", "TUE OCT 10 10 02000 284 0971211336"),
        ("%{plain text}t", "plain text"),
        ("%{beginning}t", "beginning"),
        ("%{msecs}t", "msecs"),
        ("%{endsec}t", "971211336"),
    ])
    func timeFormats(format: String, expected: String) throws {
        #expect(try line(format) == expected)
    }

    @Test func zoneAbbreviation() throws {
        var record = docRecord()
        record.timeZoneAbbreviation = "PDT"
        #expect(try line("%{%Z %#Z}t", record) == "PDT pdt")
        record.timeZoneAbbreviation = nil
        record.utcOffsetSeconds = 0
        #expect(try line("%{%Z}t", record) == "UTC")
    }

    /// The custom `%{format}t` conversions agree with glibc's strftime in the C locale.
    @Test(arguments: [Int64(0), 971_211_336, 951_782_400, 1_230_768_000, 1_262_304_000, 1_609_459_199,
                      1_704_067_200, 1_735_603_200, 1_767_225_599, 4_102_444_800, 1_000_000_000])
    func strftimeMatchesGlibc(seconds: Int64) throws {
        let formats = [
            "%a %A %b %B %C %d %e %G %g %H %I %j %k %l %m %M %p %P %S %u %U %V %w %W %y %Y %z",
            "%c|%D|%F|%r|%R|%T|%x|%X|%h|%n|%t|%%",
            "%_d %-d %0e %^a %^B %#b %#p %#A %-H %_H %-j %_j %Ey %Od %^p",
            "%10A|%-10a|%010B|%5d|%_5d|%3M|%-5m|%-3d|%_3e|%^6p|%#10Z",
        ]
        for offset in [0, -25_200, 19_800, 3600] {
            var time = time_t(seconds + Int64(offset))
            var parts = tm()
            gmtime_r(&time, &parts)
            parts.tm_gmtoff = offset
            var record = AccessLogRecord(requestTimeSeconds: seconds, utcOffsetSeconds: offset)
            record.timeZoneAbbreviation = "GMT"  // what gmtime_r puts in tm_zone
            for format in formats {
                var buffer = [CChar](repeating: 0, count: 512)
                let count = strftime(&buffer, buffer.count, format, &parts)
                let expected = String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                let actual = try line("%{\(format)}t", record)
                #expect(actual == expected, "\(format) at \(seconds) \(offset)")
            }
        }
    }

    @Test(arguments: [
        (Int64(0), "%T %D %{s}T %{ms}T %{us}T", "0 0 0 0 0"),
        (999_999, "%T %D %{s}T %{ms}T %{us}T", "0 999999 0 999 999999"),
        (1_000_000, "%T %D %{s}T %{ms}T %{us}T", "1 1000000 1 1000 1000000"),
        (61_234_567, "%T %D %{S}T %{MS}T %{US}T", "61 61234567 61 61234 61234567"),
        (1500, "%{ms}T %{bogus}T", "1 bogus"),
    ])
    func durations(micros: Int64, format: String, expected: String) throws {
        var record = docRecord()
        record.durationMicroseconds = micros
        #expect(try line(format, record) == expected)
    }

    // MARK: Errors

    @Test(arguments: [
        ("%Z", "Unrecognized LogFormat directive %Z"),
        ("%h %y", "Unrecognized LogFormat directive %y"),
        ("%{Foo}Q", "Unrecognized LogFormat directive %Q"),
        ("%400,501Z", "Unrecognized LogFormat directive %Z"),
        ("%^xy", "Unrecognized LogFormat directive %^"),
        ("%!%", "Unrecognized LogFormat directive %%"),
        ("%é", "Unrecognized LogFormat directive %é"),
        ("%", "Ran off end of LogFormat parsing args to some directive"),
        ("%h %{Referer", "Ran off end of LogFormat parsing args to some directive"),
        ("%>", "Ran off end of LogFormat parsing args to some directive"),
    ])
    func rejectedFormats(format: String, message: String) {
        #expect(throws: AccessLogFormatError(message: message)) { try AccessLogFormat(format) }
        do {
            _ = try AccessLogFormat(format)
        } catch {
            #expect("\(error)" == message)
        }
    }

    // MARK: Internals

    @Test(arguments: [
        (Int64(0), 1970, 1, 1, 4, 0),
        (951_782_400, 2000, 2, 29, 2, 59),
        (1_735_603_200, 2024, 12, 31, 2, 365),
        (-86_400, 1969, 12, 31, 3, 364),
    ])
    func civilTime(seconds: Int64, year: Int, month: Int, day: Int, weekday: Int, yearDay: Int) {
        let t = CivilTime(epochSeconds: seconds, utcOffset: 0)
        #expect(t.year == year && t.month == month && t.day == day && t.weekday == weekday && t.yearDay == yearDay)
    }
}
