/// A `LogFormat` / `CustomLog` format string with Apache httpd 2.4 mod_log_config semantics,
/// compiled once at configuration time and applied to each ``AccessLogRecord``.
///
/// Supported directives: `%%` `%a` `%{c}a` `%A` `%b` `%B` `%{Name}C` `%D` `%{VAR}e` `%f` `%h`
/// `%H` `%{Name}i` `%I` `%k` `%l` `%L` `%m` `%{Name}n` `%{Name}o` `%O` `%p`
/// `%{canonical|local|remote}p` `%P` `%{pid|tid|hextid}P` `%q` `%r` `%R` `%s` `%<s` `%>s` `%S`
/// `%t` `%{format}t` `%T` `%{s|ms|us}T` `%u` `%U` `%v` `%V` `%X` `%^FB`, plus `%^ti` `%^to`
/// `%{..}c` `%{..}x`, which print `-` (no trailers, no TLS variables). Directives may carry
/// status conditions (`%400,501{User-agent}i`, `%!200,304{Referer}i`): when the condition does
/// not hold for the final status they print `-`.
///
/// Values that come from the request or response are escaped like `ap_escape_logitem`:
/// `"` and `\` get a backslash, `\b \n \r \t \v` their C escapes, other bytes below 0x20
/// or from 0x7f up `\xhh`. Literal text may use `\n`, `\t`, `\r` and `\\`.
public struct AccessLogFormat: Sendable {
    /// The format string as configured.
    public let formatString: String
    let items: [Item]
    let estimatedLength: Int

    /// Compiles a format string, as `LogFormat` does at configuration time.
    /// - Throws: ``AccessLogFormatError`` with Apache's message for an unknown directive
    ///   (`Unrecognized LogFormat directive %Z`) or a `%` that runs off the end.
    public init(_ format: String) throws(AccessLogFormatError) {
        formatString = format
        var parser = Parser(Array(format.utf8))
        items = try parser.parse()
        var estimate = 0
        for item in items {
            if case .literal(let bytes) = item.directive { estimate += bytes.count } else { estimate += 24 }
        }
        estimatedLength = estimate + 16
    }

    /// The log line for one request, without the trailing newline.
    public func format(_ record: AccessLogRecord) -> String {
        var out = LogLineWriter(capacity: estimatedLength)
        for item in items {
            if !item.conditions.isEmpty && item.negated == item.conditions.contains(record.finalStatus) {
                out.append(byte: UInt8(ascii: "-"))
                continue
            }
            item.directive.append(record, to: &out)
        }
        return out.string
    }

    /// `%h %l %u %t "%r" %>s %b`, the Common Log Format.
    public static let common = predefined(#"%h %l %u %t "%r" %>s %b"#)
    /// `%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i"`, the Combined Log Format.
    public static let combined = predefined(#"%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i""#)
    /// `%v:%p %h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i"`, Debian's vhost_combined.
    public static let vhostCombined = predefined(#"%v:%p %h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i""#)
    /// `%{Referer}i -> %U`, Debian's referer.
    public static let referer = predefined("%{Referer}i -> %U")
    /// `%{User-agent}i`, Debian's agent.
    public static let agent = predefined("%{User-agent}i")

    private static func predefined(_ format: String) -> AccessLogFormat {
        do { return try AccessLogFormat(format) } catch { preconditionFailure("built-in LogFormat: \(error)") }
    }
}

/// Why a `LogFormat` string was rejected; `message` is Apache's wording.
public struct AccessLogFormatError: Error, Sendable, Equatable, CustomStringConvertible {
    /// For example `Unrecognized LogFormat directive %Z`.
    public var message: String

    /// An error with the given message.
    public init(message: String) { self.message = message }

    public var description: String { message }
}

// MARK: - Compiled items

extension AccessLogFormat {
    /// One compiled piece of the format: what to print and the status condition guarding it.
    struct Item: Sendable {
        var directive: Directive
        /// Status codes of `%400,501{..}x`; empty for no condition.
        var conditions: [Int] = []
        /// `!`: print only when the final status is *not* listed.
        var negated = false
    }

    enum DurationUnit: Sendable { case seconds, milliseconds, microseconds }
    enum PortKind: Sendable { case canonical, local, remote }
    enum ProcessField: Sendable { case pid, tid, hexTid }
    enum Bytes: Sendable { case received, sent, combined }

    enum Directive: Sendable {
        case literal([UInt8])
        case remoteHost, remoteAddress, localAddress, remoteLogname, remoteUser
        case time(TimeSpec)
        case filename
        case bodyBytesCLF, bodyBytes
        /// Lower-cased name.
        case requestHeader([UInt8])
        /// Lower-cased name.
        case responseHeader([UInt8])
        case cookie([UInt8])
        case note(String)
        case environment(String)
        case logID(connection: Bool)
        case requestServerName, virtualHost
        case port(PortKind)
        case process(ProcessField)
        case requestProtocol, method, query, connectionStatus, keepAliveCount, requestLine
        case duration(DurationUnit)
        case urlPath
        case status(original: Bool)
        case handler
        case ioBytes(Bytes)
        case timeToFirstByte
        /// Directives that always have no value here (`%^ti`, `%^to`, `%{..}c`, `%{..}x`).
        case absent
    }

    /// `%t` / `%{..}t`: which instant and how to print it.
    struct TimeSpec: Sendable {
        enum Kind: Sendable {
            case clf, seconds, milliseconds, microseconds, millisecondFraction, microsecondFraction
            case custom([StrftimePiece])
        }
        var kind: Kind
        var useEnd: Bool
    }
}

extension AccessLogFormat.Directive {
    func append(_ r: AccessLogRecord, to out: inout LogLineWriter) {
        switch self {
        case .literal(let bytes): out.append(bytes)
        case .remoteHost: out.appendEscaped(r.remoteIP)
        case .remoteAddress: out.append(r.remoteIP)
        case .localAddress: out.append(r.localIP)
        case .remoteLogname: out.appendEscapedOrDash(r.remoteLogname)
        case .remoteUser:
            if let user = r.remoteUser {
                if user.isEmpty { out.append("\"\"" as StaticString) } else { out.appendEscaped(user) }
            } else {
                out.appendDash()
            }
        case .time(let spec): spec.append(r, to: &out)
        case .filename: out.appendEscapedOrDash(r.filename)
        case .bodyBytesCLF:
            if r.bodyBytesSent == 0 { out.appendDash() } else { out.appendDecimal(r.bodyBytesSent) }
        case .bodyBytes: out.appendDecimal(r.bodyBytesSent)
        case .requestHeader(let name):
            if !out.appendHeader(named: name, from: r.requestHeaders) { out.appendDash() }
        case .responseHeader(let name):
            if name == Self.contentType {
                // mod_log_config logs r->content_type without its parameters.
                if let value = r.responseHeaders.first(where: { LogLineWriter.equalsLowercased($0.0, name) })?.1 {
                    out.appendEscaped(Self.withoutParameters(value))
                } else {
                    out.appendDash()
                }
            } else if !out.appendHeader(named: name, from: r.responseHeaders) {
                out.appendDash()
            }
        case .cookie(let name):
            if let value = Self.cookie(named: name, in: r.requestHeaders) { out.appendEscaped(bytes: value) } else { out.appendDash() }
        case .note(let name): out.appendEscapedOrDash(r.notes[name])
        case .environment(let name): out.appendEscapedOrDash(r.environment[name])
        case .logID(let connection):
            if !connection, let id = r.logID { out.append(id) } else { out.appendDash() }
        case .requestServerName: out.appendEscaped(r.requestServerName)
        case .virtualHost: out.appendEscaped(r.serverName)
        case .port(let kind):
            switch kind {
            case .canonical: out.appendDecimal(Int64(r.canonicalPort))
            case .local: out.appendDecimal(Int64(r.localPort))
            case .remote: out.appendDecimal(Int64(r.remotePort))
            }
        case .process(let field):
            switch field {
            case .pid: out.appendDecimal(Int64(r.pid))
            case .tid: out.appendDecimal(r.threadID)
            case .hexTid: out.appendHex(r.threadID)
            }
        case .requestProtocol: out.appendEscaped(r.protocolVersion)
        case .method: out.appendEscaped(r.method)
        case .query: out.appendEscaped(r.query)
        case .connectionStatus:
            switch r.connectionStatus {
            case .aborted: out.append(byte: UInt8(ascii: "X"))
            case .keepAlive: out.append(byte: UInt8(ascii: "+"))
            case .close: out.appendDash()
            }
        case .keepAliveCount: out.appendDecimal(Int64(r.keepAliveCount))
        case .requestLine: out.appendEscaped(r.requestLine)
        case .duration(let unit):
            switch unit {
            case .seconds: out.appendDecimal(r.durationMicroseconds / 1_000_000)
            case .milliseconds: out.appendDecimal(r.durationMicroseconds / 1_000)
            case .microseconds: out.appendDecimal(r.durationMicroseconds)
            }
        case .urlPath: out.appendEscaped(r.urlPath)
        case .status(let original):
            let status = original ? r.originalStatus : r.finalStatus
            if status <= 0 { out.appendDash() } else { out.appendDecimal(Int64(status)) }
        case .handler: out.appendEscapedOrDash(r.handler)
        case .ioBytes(let which):
            let value: Int64?
            switch which {
            case .received: value = r.bytesReceived
            case .sent: value = r.bytesSent
            case .combined:
                value = r.bytesReceived == nil && r.bytesSent == nil ? nil : (r.bytesReceived ?? 0) + (r.bytesSent ?? 0)
            }
            if let value { out.appendDecimal(value) } else { out.appendDash() }
        case .timeToFirstByte:
            if let value = r.timeToFirstByteMicroseconds { out.appendDecimal(value) } else { out.appendDash() }
        case .absent: out.appendDash()
        }
    }

    static let contentType: [UInt8] = Array("content-type".utf8)

    /// `ap_field_noparam`: the value before any `;`, trailing white space removed.
    static func withoutParameters(_ value: String) -> Substring {
        guard let semicolon = value.firstIndex(of: ";") else { return value[...] }
        var end = semicolon
        while end > value.startIndex {
            let before = value.index(before: end)
            guard value[before].isWhitespace else { break }
            end = before
        }
        return value[..<end]
    }

    /// mod_log_config's `%{Name}C`: the first `name=value` pair of the Cookie header whose
    /// name matches case-insensitively, both sides trimmed of white space.
    static func cookie(named name: [UInt8], in headers: [(String, String)]) -> ArraySlice<UInt8>? {
        var header: [UInt8] = []
        var found = false
        for (field, value) in headers where LogLineWriter.equalsLowercased(field, cookieHeader) {
            if found { header.append(contentsOf: ", ".utf8) }
            header.append(contentsOf: value.utf8)
            found = true
        }
        guard found else { return nil }
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0d) }
        for var pair in header.split(separator: UInt8(ascii: ";")) {
            // apr_strtok(cookie, "="): leading '=' are separators too.
            while pair.first == UInt8(ascii: "=") { pair = pair.dropFirst() }
            guard let equals = pair.firstIndex(of: UInt8(ascii: "=")) else { continue }
            var key = pair[..<equals]
            var value = pair[(equals + 1)...]
            guard !key.isEmpty, !value.isEmpty else { continue }
            while let b = key.first, b == 0x20 || b == 0x09 { key = key.dropFirst() }
            while let b = key.last, isSpace(b) { key = key.dropLast() }
            guard key.count == name.count, zip(key, name).allSatisfy({ LogLineWriter.lowercase($0) == $1 }) else { continue }
            while let b = value.first, b == 0x20 || b == 0x09 { value = value.dropFirst() }
            while let b = value.last, isSpace(b) { value = value.dropLast() }
            return value
        }
        return nil
    }

    static let cookieHeader: [UInt8] = Array("cookie".utf8)
}

extension AccessLogFormat.TimeSpec {
    /// `%{..}t`'s argument, read exactly as mod_log_config's `log_request_time` reads it.
    init(argument: [UInt8]) {
        useEnd = false
        guard !argument.isEmpty else {
            kind = .clf
            return
        }
        var kind: Kind?
        var custom = argument[...]
        var rest = argument[...]
        if rest.starts(with: "begin".utf8) {
            rest = rest.dropFirst(5)
            if rest.isEmpty {
                kind = .clf
            } else if rest.first == UInt8(ascii: ":") {
                rest = rest.dropFirst()
                custom = rest
            }
        } else if rest.starts(with: "end".utf8) {
            rest = rest.dropFirst(3)
            if rest.isEmpty {
                useEnd = true
                kind = .clf
            } else if rest.first == UInt8(ascii: ":") {
                rest = rest.dropFirst()
                custom = rest
                useEnd = true
            }
        }
        if rest.starts(with: "msec".utf8) {
            let tail = rest.dropFirst(4)
            if tail.isEmpty { kind = .milliseconds } else if tail.elementsEqual("_frac".utf8) { kind = .millisecondFraction }
        } else if rest.starts(with: "usec".utf8) {
            let tail = rest.dropFirst(4)
            if tail.isEmpty { kind = .microseconds } else if tail.elementsEqual("_frac".utf8) { kind = .microsecondFraction }
        } else if rest.elementsEqual("sec".utf8) {
            kind = .seconds
        } else if rest.isEmpty {
            kind = .clf
        }
        self.kind = kind ?? .custom(StrftimePiece.compile(custom))
    }

    func append(_ r: AccessLogRecord, to out: inout LogLineWriter) {
        let micros = useEnd ? r.requestEndMicroseconds : r.requestStartMicroseconds
        // apr_time_sec and friends: C division, truncating toward zero.
        switch kind {
        case .seconds: out.appendDecimal(micros / 1_000_000)
        case .milliseconds: out.appendDecimal(micros / 1_000)
        case .microseconds: out.appendDecimal(micros)
        case .millisecondFraction: out.appendDecimal((micros / 1_000) % 1_000, minimumDigits: 3)
        case .microsecondFraction: out.appendDecimal(micros % 1_000_000, minimumDigits: 6)
        case .clf:
            let time = CivilTime(epochSeconds: micros / 1_000_000, utcOffset: r.utcOffsetSeconds)
            out.appendCommonLogTime(time)
        case .custom(let pieces):
            let seconds = micros / 1_000_000
            let time = CivilTime(epochSeconds: seconds, utcOffset: r.utcOffsetSeconds)
            out.appendStrftime(pieces, time: time, epochSeconds: seconds, zoneName: r.timeZoneAbbreviation)
        }
    }
}

// MARK: - Parsing

extension AccessLogFormat {
    /// mod_log_config's `parse_log_string`, `parse_log_item` and `parse_log_misc_string`.
    struct Parser {
        let bytes: [UInt8]
        var index = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        mutating func parse() throws(AccessLogFormatError) -> [Item] {
            var items: [Item] = []
            while index < bytes.count {
                let item = bytes[index] == UInt8(ascii: "%") ? try directive() : literal()
                if case .literal(let new) = item.directive, item.conditions.isEmpty,
                   let last = items.last, case .literal(let old) = last.directive, last.conditions.isEmpty {
                    items[items.count - 1].directive = .literal(old + new)
                } else {
                    items.append(item)
                }
            }
            return items
        }

        /// Text up to the next `%`, with `\\`, `\r`, `\n`, `\t` unescaped; any other
        /// backslash is kept.
        mutating func literal() -> Item {
            var text: [UInt8] = []
            while index < bytes.count, bytes[index] != UInt8(ascii: "%") {
                let byte = bytes[index]
                index += 1
                guard byte == UInt8(ascii: "\\") else {
                    text.append(byte)
                    continue
                }
                let next: UInt8? = index < bytes.count ? bytes[index] : nil
                switch next {
                case UInt8(ascii: "\\"): text.append(UInt8(ascii: "\\")); index += 1
                case UInt8(ascii: "r"): text.append(0x0d); index += 1
                case UInt8(ascii: "n"): text.append(0x0a); index += 1
                case UInt8(ascii: "t"): text.append(0x09); index += 1
                default: text.append(UInt8(ascii: "\\"))
                }
            }
            return Item(directive: .literal(text))
        }

        mutating func directive() throws(AccessLogFormatError) -> Item {
            index += 1  // the '%'
            if index < bytes.count, bytes[index] == UInt8(ascii: "%") {
                index += 1
                return Item(directive: .literal([UInt8(ascii: "%")]))
            }
            var item = Item(directive: .absent)
            var wantOriginal: Bool?
            var argument: [UInt8] = []
            while index < bytes.count {
                let byte = bytes[index]
                switch byte {
                case UInt8(ascii: "!"):
                    index += 1
                    item.negated.toggle()
                case UInt8(ascii: "<"):
                    index += 1
                    wantOriginal = true
                case UInt8(ascii: ">"):
                    index += 1
                    wantOriginal = false
                case UInt8(ascii: ","):
                    index += 1
                case UInt8(ascii: "{"):
                    // ap_getword(.., '}'): up to the first '}', then past every '}' there.
                    index += 1
                    let start = index
                    while index < bytes.count, bytes[index] != UInt8(ascii: "}") { index += 1 }
                    argument = Array(bytes[start..<index])
                    while index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1 }
                case UInt8(ascii: "0")...UInt8(ascii: "9"):
                    var value = 0
                    while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
                        value = min(value &* 10 &+ Int(bytes[index] - UInt8(ascii: "0")), Int(Int32.max))
                        index += 1
                    }
                    item.conditions.append(value)
                default:
                    if byte == UInt8(ascii: "^"), index + 2 < bytes.count,
                       let directive = Self.caretDirective(bytes[index + 1], bytes[index + 2]) {
                        index += 3
                        item.directive = directive
                        return item
                    }
                    guard let directive = Self.directive(byte, argument: argument, wantOriginal: wantOriginal) else {
                        throw AccessLogFormatError(message: "Unrecognized LogFormat directive %\(characterName(at: index))")
                    }
                    index += 1
                    item.directive = directive
                    return item
                }
            }
            throw AccessLogFormatError(message: "Ran off end of LogFormat parsing args to some directive")
        }

        /// The character at `index` for an error message (the whole UTF-8 sequence).
        func characterName(at index: Int) -> String {
            var end = index + 1
            while end < bytes.count, bytes[end] & 0xC0 == 0x80 { end += 1 }
            return String(decoding: bytes[index..<end], as: UTF8.self)
        }

        static func caretDirective(_ first: UInt8, _ second: UInt8) -> Directive? {
            switch (first, second) {
            case (UInt8(ascii: "t"), UInt8(ascii: "i")), (UInt8(ascii: "t"), UInt8(ascii: "o")): return .absent
            case (UInt8(ascii: "F"), UInt8(ascii: "B")): return .timeToFirstByte
            default: return nil
            }
        }

        static func directive(_ letter: UInt8, argument: [UInt8], wantOriginal: Bool?) -> Directive? {
            switch letter {
            case UInt8(ascii: "h"): return .remoteHost
            case UInt8(ascii: "a"): return .remoteAddress
            case UInt8(ascii: "A"): return .localAddress
            case UInt8(ascii: "l"): return .remoteLogname
            case UInt8(ascii: "u"): return .remoteUser
            case UInt8(ascii: "t"): return .time(TimeSpec(argument: argument))
            case UInt8(ascii: "f"): return .filename
            case UInt8(ascii: "b"): return .bodyBytesCLF
            case UInt8(ascii: "B"): return .bodyBytes
            case UInt8(ascii: "i"): return .requestHeader(argument.map(LogLineWriter.lowercase))
            case UInt8(ascii: "o"): return .responseHeader(argument.map(LogLineWriter.lowercase))
            case UInt8(ascii: "C"): return .cookie(argument.map(LogLineWriter.lowercase))
            case UInt8(ascii: "n"): return .note(String(decoding: argument, as: UTF8.self))
            case UInt8(ascii: "e"): return .environment(String(decoding: argument, as: UTF8.self))
            case UInt8(ascii: "L"): return .logID(connection: argument.elementsEqual("c".utf8))
            case UInt8(ascii: "V"): return .requestServerName
            case UInt8(ascii: "v"): return .virtualHost
            case UInt8(ascii: "p"):
                switch lowercased(argument) {
                case "", "canonical": return .port(.canonical)
                case "local": return .port(.local)
                case "remote": return .port(.remote)
                default: return .literal(argument)  // Apache prints a bogus argument itself
                }
            case UInt8(ascii: "P"):
                switch lowercased(argument) {
                case "", "pid": return .process(.pid)
                case "tid": return .process(.tid)
                case "hextid": return .process(.hexTid)
                default: return .literal(argument)
                }
            case UInt8(ascii: "H"): return .requestProtocol
            case UInt8(ascii: "m"): return .method
            case UInt8(ascii: "q"): return .query
            case UInt8(ascii: "X"): return .connectionStatus
            case UInt8(ascii: "k"): return .keepAliveCount
            case UInt8(ascii: "r"): return .requestLine
            case UInt8(ascii: "D"): return .duration(.microseconds)
            case UInt8(ascii: "T"):
                switch lowercased(argument) {
                case "", "s": return .duration(.seconds)
                case "ms": return .duration(.milliseconds)
                case "us": return .duration(.microseconds)
                default: return .literal(argument)
                }
            case UInt8(ascii: "U"): return .urlPath
            case UInt8(ascii: "s"): return .status(original: wantOriginal ?? true)
            case UInt8(ascii: "R"): return .handler
            case UInt8(ascii: "I"): return .ioBytes(.received)
            case UInt8(ascii: "O"): return .ioBytes(.sent)
            case UInt8(ascii: "S"): return .ioBytes(.combined)
            case UInt8(ascii: "c"), UInt8(ascii: "x"): return .absent  // mod_ssl variables; no TLS here
            default: return nil
            }
        }

        static func lowercased(_ bytes: [UInt8]) -> String {
            String(decoding: bytes.map(LogLineWriter.lowercase), as: UTF8.self)
        }
    }
}

// MARK: - strftime

/// One piece of a compiled `strftime` format (C/POSIX locale, as Apache runs).
enum StrftimePiece: Sendable, Equatable {
    case literal([UInt8])
    case field(Field, Spec)

    enum Field: Sendable, Equatable {
        case weekdayShort, weekdayLong, monthShort, monthLong, amPM, amPMLower, zoneName
        case century, day, daySpacePadded, isoYear, isoYear2, hour24, hour12, yearDay
        case hour24SpacePadded, hour12SpacePadded, month, minute, epochSeconds, second
        case weekdayMonday1, weekOfYearSunday, isoWeek, weekdaySunday0, weekOfYearMonday
        case year2, year, utcOffset
    }

    /// glibc's flags and field width: `_` `-` `0` padding, `^` upper case, `#` swap case.
    struct Spec: Sendable, Equatable {
        var pad: UInt8 = 0
        var upper = false
        var swapCase = false
        var width = -1
    }

    static func compile<C: Collection>(_ format: C) -> [StrftimePiece] where C.Element == UInt8 {
        var pieces: [StrftimePiece] = []
        var pending: [UInt8] = []
        func flush() {
            if !pending.isEmpty { pieces.append(.literal(pending)); pending = [] }
        }
        let bytes = Array(format)
        var i = 0
        while i < bytes.count {
            guard bytes[i] == UInt8(ascii: "%") else {
                pending.append(bytes[i])
                i += 1
                continue
            }
            let start = i
            i += 1
            var spec = Spec()
            flags: while i < bytes.count {
                switch bytes[i] {
                case UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "0"): spec.pad = bytes[i]
                case UInt8(ascii: "^"): spec.upper = true
                case UInt8(ascii: "#"): spec.swapCase = true
                default: break flags
                }
                i += 1
            }
            while i < bytes.count, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") {
                spec.width = min(max(spec.width, 0) * 10 + Int(bytes[i] - UInt8(ascii: "0")), 1024)
                i += 1
            }
            while i < bytes.count, bytes[i] == UInt8(ascii: "E") || bytes[i] == UInt8(ascii: "O") { i += 1 }
            guard i < bytes.count else {
                pending.append(contentsOf: bytes[start...])  // a '%' at the end stays as is
                break
            }
            let conversion = bytes[i]
            i += 1
            let field: Field
            switch conversion {
            case UInt8(ascii: "a"): field = .weekdayShort
            case UInt8(ascii: "A"): field = .weekdayLong
            case UInt8(ascii: "b"), UInt8(ascii: "h"): field = .monthShort
            case UInt8(ascii: "B"): field = .monthLong
            case UInt8(ascii: "C"): field = .century
            case UInt8(ascii: "d"): field = .day
            case UInt8(ascii: "e"): field = .daySpacePadded
            case UInt8(ascii: "G"): field = .isoYear
            case UInt8(ascii: "g"): field = .isoYear2
            case UInt8(ascii: "H"): field = .hour24
            case UInt8(ascii: "I"): field = .hour12
            case UInt8(ascii: "j"): field = .yearDay
            case UInt8(ascii: "k"): field = .hour24SpacePadded
            case UInt8(ascii: "l"): field = .hour12SpacePadded
            case UInt8(ascii: "m"): field = .month
            case UInt8(ascii: "M"): field = .minute
            case UInt8(ascii: "p"): field = .amPM
            case UInt8(ascii: "P"): field = .amPMLower
            case UInt8(ascii: "s"): field = .epochSeconds
            case UInt8(ascii: "S"): field = .second
            case UInt8(ascii: "u"): field = .weekdayMonday1
            case UInt8(ascii: "U"): field = .weekOfYearSunday
            case UInt8(ascii: "V"): field = .isoWeek
            case UInt8(ascii: "w"): field = .weekdaySunday0
            case UInt8(ascii: "W"): field = .weekOfYearMonday
            case UInt8(ascii: "y"): field = .year2
            case UInt8(ascii: "Y"): field = .year
            case UInt8(ascii: "z"): field = .utcOffset
            case UInt8(ascii: "Z"): field = .zoneName
            case UInt8(ascii: "n"):
                pending.append(0x0a)
                continue
            case UInt8(ascii: "t"):
                pending.append(0x09)
                continue
            case UInt8(ascii: "%"):
                pending.append(UInt8(ascii: "%"))
                continue
            default:
                // The C locale's composite formats; anything else is copied as written.
                let expansion: String
                switch conversion {
                case UInt8(ascii: "c"): expansion = "%a %b %e %H:%M:%S %Y"
                case UInt8(ascii: "D"), UInt8(ascii: "x"): expansion = "%m/%d/%y"
                case UInt8(ascii: "F"): expansion = "%Y-%m-%d"
                case UInt8(ascii: "r"): expansion = "%I:%M:%S %p"
                case UInt8(ascii: "R"): expansion = "%H:%M"
                case UInt8(ascii: "T"), UInt8(ascii: "X"): expansion = "%H:%M:%S"
                default:
                    pending.append(contentsOf: bytes[start..<i])
                    continue
                }
                flush()
                for piece in compile(expansion.utf8) {
                    if case .literal(let text) = piece { pending.append(contentsOf: text) } else { flush(); pieces.append(piece) }
                }
                continue
            }
            flush()
            pieces.append(.field(field, spec))
        }
        flush()
        return pieces
    }
}

// MARK: - Calendar

/// A broken-down local time (proleptic Gregorian), computed without the C library.
struct CivilTime: Sendable {
    var year: Int
    /// 1...12
    var month: Int
    var day: Int
    var hour: Int
    var minute: Int
    var second: Int
    /// 0 = Sunday
    var weekday: Int
    /// 0-based day of the year
    var yearDay: Int
    var utcOffset: Int

    init(epochSeconds: Int64, utcOffset: Int) {
        let local = epochSeconds + Int64(utcOffset)
        var days = local / 86_400
        var secondOfDay = local % 86_400
        if secondOfDay < 0 {
            secondOfDay += 86_400
            days -= 1
        }
        let (y, m, d) = Self.civil(fromDays: days)
        year = y
        month = m
        day = d
        hour = Int(secondOfDay / 3600)
        minute = Int(secondOfDay % 3600 / 60)
        second = Int(secondOfDay % 60)
        let w = (days + 4) % 7  // 1970-01-01 was a Thursday
        weekday = Int(w < 0 ? w + 7 : w)
        yearDay = Int(days - Self.days(fromCivil: y, 1, 1))
        self.utcOffset = utcOffset
    }

    /// Howard Hinnant's `civil_from_days`.
    static func civil(fromDays days: Int64) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        return (Int(y), Int(m), Int(d))
    }

    /// Howard Hinnant's `days_from_civil`.
    static func days(fromCivil year: Int, _ month: Int, _ day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = Int64(month > 2 ? month - 3 : month + 9)
        let doy = (153 * mp + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func isLeap(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    var hour12: Int { hour % 12 == 0 ? 12 : hour % 12 }

    /// glibc's ISO 8601 week-based year and week.
    var isoYearAndWeek: (year: Int, week: Int) {
        func isoWeekDays(_ yday: Int, _ wday: Int) -> Int {
            let bigEnoughMultipleOf7 = (366 / 7 + 2) * 7
            return yday - (yday - wday + 4 + bigEnoughMultipleOf7) % 7 + 3
        }
        var isoYear = year
        var days = isoWeekDays(yearDay, weekday)
        if days < 0 {
            isoYear -= 1
            days = isoWeekDays(yearDay + (Self.isLeap(isoYear) ? 366 : 365), weekday)
        } else {
            let next = isoWeekDays(yearDay - (Self.isLeap(isoYear) ? 366 : 365), weekday)
            if next >= 0 {
                isoYear += 1
                days = next
            }
        }
        return (isoYear, days / 7 + 1)
    }
}

// MARK: - Output buffer

/// The byte buffer a log line is built in; turned into a `String` once at the end.
struct LogLineWriter {
    var bytes: [UInt8]

    init(capacity: Int) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    var string: String { String(decoding: bytes, as: UTF8.self) }

    mutating func append(byte: UInt8) { bytes.append(byte) }
    mutating func appendDash() { bytes.append(UInt8(ascii: "-")) }
    mutating func append(_ text: [UInt8]) { bytes.append(contentsOf: text) }
    mutating func append(_ text: String) { bytes.append(contentsOf: text.utf8) }
    mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// `ap_escape_logitem`, or with `errorLog` `ap_escape_errorlog_item` (which leaves `"` alone).
    mutating func appendEscaped<S: StringProtocol>(_ text: S, errorLog: Bool = false) {
        let done: Void? = text.utf8.withContiguousStorageIfAvailable { appendEscaped(bytes: $0, errorLog: errorLog) }
        if done == nil { appendEscaped(bytes: Array(text.utf8), errorLog: errorLog) }
    }

    mutating func appendEscapedOrDash(_ text: String?) {
        if let text { appendEscaped(text) } else { appendDash() }
    }

    mutating func appendEscaped<C: Collection>(bytes text: C, errorLog: Bool = false) where C.Element == UInt8 {
        var runStart = text.startIndex
        var index = text.startIndex
        while index != text.endIndex {
            let byte = text[index]
            if byte >= 0x20 && byte < 0x7f && byte != UInt8(ascii: "\\") && (errorLog || byte != UInt8(ascii: "\"")) {
                text.formIndex(after: &index)
                continue
            }
            bytes.append(contentsOf: text[runStart..<index])
            bytes.append(UInt8(ascii: "\\"))
            switch byte {
            case 0x08: bytes.append(UInt8(ascii: "b"))
            case 0x0a: bytes.append(UInt8(ascii: "n"))
            case 0x0d: bytes.append(UInt8(ascii: "r"))
            case 0x09: bytes.append(UInt8(ascii: "t"))
            case 0x0b: bytes.append(UInt8(ascii: "v"))
            case UInt8(ascii: "\\"), UInt8(ascii: "\""): bytes.append(byte)
            default:
                bytes.append(UInt8(ascii: "x"))
                bytes.append(Self.hexDigit(byte >> 4))
                bytes.append(Self.hexDigit(byte & 0x0f))
            }
            text.formIndex(after: &index)
            runStart = index
        }
        bytes.append(contentsOf: text[runStart..<index])
    }

    /// All values of the header `name` (lower-cased) joined with `", "`, escaped.
    /// Returns false, appending nothing, when there is none.
    mutating func appendHeader(named name: [UInt8], from headers: [(String, String)]) -> Bool {
        var found = false
        for (field, value) in headers where Self.equalsLowercased(field, name) {
            if found { append(", " as StaticString) }
            appendEscaped(value)
            found = true
        }
        return found
    }

    mutating func appendDecimal(_ value: Int64, minimumDigits: Int = 1, pad: UInt8 = UInt8(ascii: "0")) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        appendDecimal(value.magnitude, minimumDigits: minimumDigits, pad: pad)
    }

    mutating func appendDecimal(_ value: UInt64, minimumDigits: Int = 1, pad: UInt8 = UInt8(ascii: "0")) {
        var digits = 1
        var divisor: UInt64 = 1
        while value / divisor >= 10 {
            divisor *= 10
            digits += 1
        }
        if digits < minimumDigits {
            for _ in digits..<minimumDigits { bytes.append(pad) }
        }
        while divisor > 0 {
            bytes.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
            divisor /= 10
        }
    }

    mutating func appendHex(_ value: UInt64) {
        var shift = 60
        while shift > 0 && (value >> UInt64(shift)) & 0xf == 0 { shift -= 4 }
        while shift >= 0 {
            bytes.append(Self.hexDigit(UInt8((value >> UInt64(shift)) & 0xf)))
            shift -= 4
        }
    }

    /// `+hhmm` / `-hhmm`, as `%t` and `%z` print an offset.
    mutating func appendUTCOffset(_ offset: Int) {
        let magnitude = offset.magnitude
        bytes.append(offset < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
        appendDecimal(UInt64(magnitude / 3600), minimumDigits: 2)
        appendDecimal(UInt64(magnitude % 3600 / 60), minimumDigits: 2)
    }

    /// `[10/Oct/2000:13:55:36 -0700]`
    mutating func appendCommonLogTime(_ t: CivilTime) {
        bytes.append(UInt8(ascii: "["))
        appendDecimal(UInt64(t.day), minimumDigits: 2)
        bytes.append(UInt8(ascii: "/"))
        appendName(Self.monthNames, t.month - 1)
        bytes.append(UInt8(ascii: "/"))
        appendDecimal(Int64(t.year))
        bytes.append(UInt8(ascii: ":"))
        appendDecimal(UInt64(t.hour), minimumDigits: 2)
        bytes.append(UInt8(ascii: ":"))
        appendDecimal(UInt64(t.minute), minimumDigits: 2)
        bytes.append(UInt8(ascii: ":"))
        appendDecimal(UInt64(t.second), minimumDigits: 2)
        bytes.append(UInt8(ascii: " "))
        appendUTCOffset(t.utcOffset)
        bytes.append(UInt8(ascii: "]"))
    }

    /// `Sat Nov 21 19:02:22.123456 2026`, Apache's `ap_recent_ctime_ex` with microseconds.
    mutating func appendCTime(_ t: CivilTime, microseconds: Int) {
        appendName(Self.weekdayNames, t.weekday)
        bytes.append(UInt8(ascii: " "))
        appendName(Self.monthNames, t.month - 1)
        bytes.append(UInt8(ascii: " "))
        appendDecimal(UInt64(t.day), minimumDigits: 2)
        bytes.append(UInt8(ascii: " "))
        appendDecimal(UInt64(t.hour), minimumDigits: 2)
        bytes.append(UInt8(ascii: ":"))
        appendDecimal(UInt64(t.minute), minimumDigits: 2)
        bytes.append(UInt8(ascii: ":"))
        appendDecimal(UInt64(t.second), minimumDigits: 2)
        bytes.append(UInt8(ascii: "."))
        appendDecimal(UInt64(min(max(microseconds, 0), 999_999)), minimumDigits: 6)
        bytes.append(UInt8(ascii: " "))
        appendDecimal(Int64(t.year), minimumDigits: 4)
    }

    mutating func appendStrftime(_ pieces: [StrftimePiece], time t: CivilTime, epochSeconds: Int64, zoneName: String?) {
        for piece in pieces {
            switch piece {
            case .literal(let text): bytes.append(contentsOf: text)
            case .field(let field, let spec): appendStrftimeField(field, spec, t, epochSeconds, zoneName)
            }
        }
    }

    private mutating func appendStrftimeField(_ field: StrftimePiece.Field, _ spec: StrftimePiece.Spec, _ t: CivilTime,
                                              _ epochSeconds: Int64, _ zoneName: String?) {
        switch field {
        case .weekdayShort: appendText(Self.weekdayName(t.weekday, full: false), spec, swapToUpper: true)
        case .weekdayLong: appendText(Self.weekdayName(t.weekday, full: true), spec, swapToUpper: true)
        case .monthShort: appendText(Self.monthName(t.month, full: false), spec, swapToUpper: true)
        case .monthLong: appendText(Self.monthName(t.month, full: true), spec, swapToUpper: true)
        case .amPM: appendText(t.hour < 12 ? "AM" : "PM", spec, swapToUpper: false)
        case .amPMLower: appendText(t.hour < 12 ? "am" : "pm", spec, swapToUpper: false)
        case .zoneName:
            if let zoneName {
                appendText(zoneName, spec, swapToUpper: false)
            } else if t.utcOffset == 0 {
                appendText("UTC", spec, swapToUpper: false)
            } else {
                appendUTCOffset(t.utcOffset)
            }
        case .utcOffset: appendUTCOffset(t.utcOffset)
        case .century: appendNumber(Int64(t.year / 100), 2, spec)
        case .day: appendNumber(Int64(t.day), 2, spec)
        case .daySpacePadded: appendNumber(Int64(t.day), 2, spec, spacePadded: true)
        case .isoYear: appendNumber(Int64(t.isoYearAndWeek.year), 1, spec)
        case .isoYear2: appendNumber(Int64((t.isoYearAndWeek.year % 100 + 100) % 100), 2, spec)
        case .isoWeek: appendNumber(Int64(t.isoYearAndWeek.week), 2, spec)
        case .hour24: appendNumber(Int64(t.hour), 2, spec)
        case .hour12: appendNumber(Int64(t.hour12), 2, spec)
        case .hour24SpacePadded: appendNumber(Int64(t.hour), 2, spec, spacePadded: true)
        case .hour12SpacePadded: appendNumber(Int64(t.hour12), 2, spec, spacePadded: true)
        case .yearDay: appendNumber(Int64(t.yearDay + 1), 3, spec)
        case .month: appendNumber(Int64(t.month), 2, spec)
        case .minute: appendNumber(Int64(t.minute), 2, spec)
        case .second: appendNumber(Int64(t.second), 2, spec)
        case .epochSeconds: appendNumber(epochSeconds, 1, spec)
        case .weekdayMonday1: appendNumber(Int64(t.weekday == 0 ? 7 : t.weekday), 1, spec)
        case .weekdaySunday0: appendNumber(Int64(t.weekday), 1, spec)
        case .weekOfYearSunday: appendNumber(Int64((t.yearDay - t.weekday + 7) / 7), 2, spec)
        case .weekOfYearMonday: appendNumber(Int64((t.yearDay - (t.weekday + 6) % 7 + 7) / 7), 2, spec)
        case .year2: appendNumber(Int64((t.year % 100 + 100) % 100), 2, spec)
        case .year: appendNumber(Int64(t.year), 1, spec)
        }
    }

    private mutating func appendNumber(_ value: Int64, _ digits: Int, _ spec: StrftimePiece.Spec, spacePadded: Bool = false) {
        var padByte = spacePadded ? UInt8(ascii: " ") : UInt8(ascii: "0")
        if spec.pad == UInt8(ascii: "_") { padByte = UInt8(ascii: " ") } else if spec.pad == UInt8(ascii: "0") { padByte = UInt8(ascii: "0") }
        var width = spec.width >= 0 ? spec.width : digits
        if spec.pad == UInt8(ascii: "-") {
            // No padding of the number itself; an explicit width still pads with spaces.
            var length = value < 0 ? 2 : 1
            var rest = value.magnitude
            while rest >= 10 { rest /= 10; length += 1 }
            if spec.width > length { for _ in length..<spec.width { bytes.append(UInt8(ascii: " ")) } }
            width = 1
        }
        if value < 0 {
            bytes.append(UInt8(ascii: "-"))
            width -= 1
        }
        appendDecimal(value.magnitude, minimumDigits: width, pad: padByte)
    }

    private mutating func appendText(_ text: StaticString, _ spec: StrftimePiece.Spec, swapToUpper: Bool) {
        text.withUTF8Buffer { appendText($0, spec, swapToUpper: swapToUpper) }
    }

    private mutating func appendText(_ text: String, _ spec: StrftimePiece.Spec, swapToUpper: Bool) {
        appendText(Array(text.utf8), spec, swapToUpper: swapToUpper)
    }

    private mutating func appendText<C: Collection>(_ text: C, _ spec: StrftimePiece.Spec, swapToUpper: Bool) where C.Element == UInt8 {
        if spec.width > text.count {
            let fill = spec.pad == UInt8(ascii: "0") ? UInt8(ascii: "0") : UInt8(ascii: " ")
            for _ in text.count..<spec.width { bytes.append(fill) }
        }
        if spec.upper || (spec.swapCase && swapToUpper) {
            for byte in text { bytes.append(byte >= 0x61 && byte <= 0x7a ? byte - 32 : byte) }
        } else if spec.swapCase {
            for byte in text { bytes.append(Self.lowercase(byte)) }
        } else {
            bytes.append(contentsOf: text)
        }
    }

    private mutating func appendName(_ table: StaticString, _ index: Int) {
        table.withUTF8Buffer { bytes.append(contentsOf: $0[(3 * index)..<(3 * index + 3)]) }
    }

    static let monthNames: StaticString = "JanFebMarAprMayJunJulAugSepOctNovDec"
    static let weekdayNames: StaticString = "SunMonTueWedThuFriSat"

    static func weekdayName(_ weekday: Int, full: Bool) -> StaticString {
        switch weekday {
        case 0: return full ? "Sunday" : "Sun"
        case 1: return full ? "Monday" : "Mon"
        case 2: return full ? "Tuesday" : "Tue"
        case 3: return full ? "Wednesday" : "Wed"
        case 4: return full ? "Thursday" : "Thu"
        case 5: return full ? "Friday" : "Fri"
        default: return full ? "Saturday" : "Sat"
        }
    }

    static func monthName(_ month: Int, full: Bool) -> StaticString {
        switch month {
        case 1: return full ? "January" : "Jan"
        case 2: return full ? "February" : "Feb"
        case 3: return full ? "March" : "Mar"
        case 4: return full ? "April" : "Apr"
        case 5: return full ? "May" : "May"
        case 6: return full ? "June" : "Jun"
        case 7: return full ? "July" : "Jul"
        case 8: return full ? "August" : "Aug"
        case 9: return full ? "September" : "Sep"
        case 10: return full ? "October" : "Oct"
        case 11: return full ? "November" : "Nov"
        default: return full ? "December" : "Dec"
        }
    }

    static func hexDigit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10 }

    static func lowercase(_ byte: UInt8) -> UInt8 { byte >= 0x41 && byte <= 0x5a ? byte + 32 : byte }

    /// Whether `text` equals the lower-cased ASCII `lowercased`, ignoring ASCII case.
    static func equalsLowercased(_ text: String, _ lowercased: [UInt8]) -> Bool {
        let utf8 = text.utf8
        guard utf8.count == lowercased.count else { return false }
        var i = 0
        for byte in utf8 {
            if lowercase(byte) != lowercased[i] { return false }
            i += 1
        }
        return true
    }
}
