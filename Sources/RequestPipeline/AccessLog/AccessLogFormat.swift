/// A `LogFormat` / `CustomLog` format string with Apache httpd 2.4 mod_log_config semantics,
/// compiled once at configuration time and applied to each ``AccessLogRecord``.
///
/// Supported directives: `%%` `%a` `%{c}a` `%A` `%b` `%B` `%{Name}C` `%D` `%{VAR}e` `%f` `%h`
/// `%H` `%{Name}i` `%I` `%k` `%l` `%L` `%m` `%{Name}n` `%{Name}o` `%O` `%p`
/// `%{canonical|local|remote}p` `%P` `%{pid|tid|hextid}P` `%q` `%r` `%R` `%s` `%<s` `%>s` `%S`
/// `%t` `%{format}t` `%T` `%{s|ms|us}T` `%u` `%U` `%v` `%V` `%X` `%^FB`, mod_ssl's `%{VAR}x`
/// (HTTPS, SSL_PROTOCOL, SSL_CIPHER, SSL_CLIENT_S_DN, …) and `%{version|cipher|subjectdn|issuerdn}c`,
/// plus `%^ti` `%^to`, which print `-` (no trailers). Directives may carry
/// status conditions (`%400,501{User-agent}i`, `%!200,304{Referer}i`): when the condition does
/// not hold for the final status they print `-`.
///
/// Values that come from the request or response are escaped like `ap_escape_logitem`:
/// `"` and `\` get a backslash, `\b \n \r \t \v` their C escapes, other bytes below 0x20
/// or from 0x7f up `\xhh`. Literal text may use `\n`, `\t`, `\r` and `\\`.
public struct AccessLogFormat: Sendable {
    /// The format string as configured.
    public var formatString: String { compiled.formatString }
    /// The costly parts of a record this format prints: what ``AccessLogRecordBuilder``
    /// must gather for it (and may leave out otherwise).
    public var fields: AccessLogFields { compiled.fields }
    /// Everything compiled, behind one reference: a format is handed around per request
    /// (a CustomLog's target), and a copy is then one reference count, not three.
    let compiled: Compiled

    /// A compiled format.
    final class Compiled: Sendable {
        let formatString: String
        /// The directives, each with the text before it.
        let items: [Item]
        /// The text after the last directive, in `literals`.
        let suffix: Range<Int>
        /// What the directives refer to by index.
        let arguments: Arguments
        /// Every literal's bytes one after the other; an item's `prefix` is its range here.
        /// Eight zero bytes follow the last, so that any literal of up to eight bytes can
        /// be read as one word (``LogLineWriter/append(bytesOf:count:)``).
        let literals: [UInt8]
        let estimatedLength: Int
        let fields: AccessLogFields

        init(formatString: String, items: [Item], suffix: Range<Int>, arguments: Arguments, literals: [UInt8],
             estimatedLength: Int, fields: AccessLogFields) {
            self.formatString = formatString
            self.items = items
            self.suffix = suffix
            self.arguments = arguments
            self.literals = literals
            self.estimatedLength = estimatedLength
            self.fields = fields
        }
    }

    /// Compiles a format string, as `LogFormat` does at configuration time.
    /// - Throws: ``AccessLogFormatError`` with Apache's message for an unknown directive
    ///   (`Unrecognized LogFormat directive %Z`) or a `%` that runs off the end.
    public init(_ format: String) throws(AccessLogFormatError) {
        var parser = Parser(Array(format.utf8))
        let parsed = try parser.parse()
        // Text without a condition is printed before the directive that follows it (or
        // after the last one), not as an item of its own: one step of the loop for both.
        var items: [Item] = []
        var literals: [UInt8] = []
        var text = 0..<0
        var estimate = 0
        var fields: AccessLogFields = []
        for var item in parsed {
            if case .literal(let index) = item.directive, item.conditions.isEmpty {
                let bytes = parser.arguments.texts[index]
                literals += bytes
                text = text.lowerBound..<literals.count
                estimate += bytes.count
                continue
            }
            item.prefix = text
            text = literals.count..<literals.count
            items.append(item)
            estimate += 24
            fields.formUnion(item.directive.fields)
        }
        compiled = Compiled(formatString: format, items: items, suffix: text, arguments: parser.arguments,
                            literals: literals + [UInt8](repeating: 0, count: 8), estimatedLength: estimate + 16,
                            fields: fields)
    }

    /// The log line for one request, without the trailing newline.
    public func format(_ record: AccessLogRecord) -> String {
        var out = LogLineWriter(capacity: compiled.estimatedLength)
        append(record, to: &out)
        return out.string
    }

    /// Appends the log line for one request, without the trailing newline, to `out`
    /// (a log file's pending batch): the line is never a `String` of its own.
    package func append(_ record: borrowing AccessLogRecord, to out: inout LogLineWriter) {
        appendLine(record, to: &out)
    }

    /// ``append(_:to:)`` for a record the caller holds in a variable: `inout` only so
    /// that it is read where it is (a record passed by value from memory the compiler
    /// cannot see is copied first: ~25 reference counts and back). Nothing in it changes.
    package func append(inPlace record: inout AccessLogRecord, to out: inout LogLineWriter) {
        appendLine(record, to: &out)
    }

    /// The line of a request the connection has just answered, its values read where
    /// they are (no record is built).
    package func append(live values: LiveAccessLogValues, to out: inout LogLineWriter) {
        appendLine(values, to: &out)
    }

    /// The `append` functions: inlined into each, so the `inout` one reads in place.
    @inline(__always)
    private func appendLine<Values: AccessLogValues>(_ record: Values, to out: inout LogLineWriter) {
        let compiled = compiled
        let arguments = compiled.arguments
        // Items are plain values (their arguments are in `arguments`), so reading one
        // costs no reference count. By index, not `for item in items`: the iterator
        // copies each item out. Text comes from `literals` by range.
        compiled.literals.withUnsafeBufferPointer { literals in
            let items = compiled.items
            for index in items.indices {
                let item = items[index]
                Self.append(literals, item.prefix, to: &out)
                if !item.conditions.isEmpty
                    && item.negated == arguments.statuses[item.conditions].contains(record.finalStatus) {
                    out.append(byte: UInt8(ascii: "-"))
                    continue
                }
                item.directive.append(record, arguments: arguments, to: &out)
            }
            Self.append(literals, compiled.suffix, to: &out)
        }
    }

    /// The literal at `range` in `literals`: one word when it is up to eight bytes long
    /// (as a format's separators are), which the eight bytes after the last literal allow.
    @inline(__always)
    private static func append(_ literals: UnsafeBufferPointer<UInt8>, _ range: Range<Int>,
                               to out: inout LogLineWriter) {
        guard let base = literals.baseAddress else { return }
        if range.count <= 8 {
            precondition(range.lowerBound >= 0 && range.lowerBound &+ 8 <= literals.count)
            out.append(bytesOf: UnsafeRawPointer(base + range.lowerBound).loadUnaligned(as: UInt64.self),
                       count: range.count)
        } else {
            out.append(UnsafeBufferPointer(rebasing: literals[range]))
        }
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
        /// Where the status codes of `%400,501{..}x` are in the arguments' `statuses`;
        /// empty for no condition.
        var conditions: Range<Int> = 0..<0
        /// `!`: print only when the final status is *not* listed.
        var negated = false
        /// The text printed before the directive, whatever the condition: its bytes in
        /// the format's `literals` (set when the format is compiled).
        var prefix: Range<Int> = 0..<0
    }

    enum DurationUnit: Sendable { case seconds, milliseconds, microseconds }
    enum PortKind: Sendable { case canonical, local, remote }
    enum ProcessField: Sendable { case pid, tid, hexTid }
    enum Bytes: Sendable { case received, sent, combined }

    /// What directives name (a header, a variable, a time format) and what a format
    /// prints as it is, kept beside the directives rather than in them: a directive is
    /// then a plain value, read per request with no reference count, and an argument is
    /// looked up by its index only by the directive that has one.
    struct Arguments: Sendable {
        /// Literal text.
        var texts: [[UInt8]] = []
        /// Lower-cased header and cookie names one after the other: a directive holds its
        /// name's range, read in place (an array of arrays would retain the one it reads).
        var headerNames: [UInt8] = []
        /// Note, environment and SSL variable names.
        var names: [String] = []
        /// `%{format}t`'s compiled strftime formats.
        var timeFormats: [[StrftimePiece]] = []
        /// The status codes of conditions; an item's `conditions` is a range of them.
        var statuses: [Int] = []

        mutating func add(text: [UInt8]) -> Int {
            texts.append(text)
            return texts.count - 1
        }

        mutating func add(headerName name: [UInt8]) -> Range<Int> {
            headerNames += name
            return headerNames.count - name.count..<headerNames.count
        }

        mutating func add(name: String) -> Int {
            names.append(name)
            return names.count - 1
        }

        mutating func add(timeFormat: [StrftimePiece]) -> Int {
            timeFormats.append(timeFormat)
            return timeFormats.count - 1
        }
    }

    /// One directive; an `Int` payload is the index of its argument in ``Arguments``, a
    /// range the place of its bytes there.
    enum Directive: Sendable {
        /// Index in `texts`.
        case literal(Int)
        case remoteHost, remoteAddress, localAddress, remoteLogname, remoteUser
        /// `%{c}h`, `%{c}a`: the connection's peer, not the client mod_remoteip found.
        case peerHost, peerAddress
        case time(TimeSpec)
        case filename
        case bodyBytesCLF, bodyBytes
        /// The lower-cased name's bytes in `headerNames`.
        case requestHeader(Range<Int>)
        /// The lower-cased name's bytes in `headerNames`.
        case responseHeader(Range<Int>)
        /// The lower-cased name's bytes in `headerNames`.
        case cookie(Range<Int>)
        /// The name's index in `names`.
        case note(Int)
        /// The name's index in `names`.
        case environment(Int)
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
        /// `%{VAR}x`: mod_ssl's variable (HTTPS is "off" on plain HTTP); its name's index in `names`.
        case sslVariable(Int)
        /// `%{version}c` and friends: mod_ssl's variable, "-" on plain HTTP; its name's index in `names`.
        case sslConnectionVariable(Int)
        /// Directives that always have no value here (`%^ti`, `%^to`, unknown `%{..}c`).
        case absent
    }
}
