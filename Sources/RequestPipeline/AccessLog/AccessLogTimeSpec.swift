extension AccessLogFormat {
    /// `%t` / `%{..}t`: which instant and how to print it.
    struct TimeSpec: Sendable {
        enum Kind: Sendable {
            case clf, seconds, milliseconds, microseconds, millisecondFraction, microsecondFraction
            /// The compiled format's index in the arguments' `timeFormats`.
            case custom(Int)
        }
        var kind: Kind
        var useEnd: Bool
    }
}

extension AccessLogFormat.TimeSpec {
    /// `%{..}t`'s argument, read exactly as mod_log_config's `log_request_time` reads it.
    init(argument: [UInt8], arguments: inout AccessLogFormat.Arguments) {
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
        self.kind = kind ?? .custom(arguments.add(timeFormat: StrftimePiece.compile(custom)))
    }

    func append<Values: AccessLogValues>(_ r: Values, arguments: AccessLogFormat.Arguments, to out: inout LogLineWriter) {
        let micros = useEnd ? r.requestEndMicroseconds : r.requestStartMicroseconds
        // apr_time_sec and friends: C division, truncating toward zero.
        switch kind {
        case .seconds: out.appendDecimal(micros / 1_000_000)
        case .milliseconds: out.appendDecimal(micros / 1_000)
        case .microseconds: out.appendDecimal(micros)
        case .millisecondFraction: out.appendDecimal((micros / 1_000) % 1_000, minimumDigits: 3)
        case .microsecondFraction: out.appendDecimal(micros % 1_000_000, minimumDigits: 6)
        case .clf:
            LogTimeCache.shared.appendCommonLogTime(seconds: micros / 1_000_000, utcOffset: r.utcOffsetSeconds, to: &out)
        case .custom(let format):
            let pieces = arguments.timeFormats[format]
            let seconds = micros / 1_000_000
            let time = CivilTime(epochSeconds: seconds, utcOffset: r.utcOffsetSeconds)
            out.appendStrftime(pieces, time: time, epochSeconds: seconds, zoneName: r.timeZoneAbbreviation)
        }
    }
}
