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

// MARK: - Rendering

extension LogLineWriter {
    mutating func appendStrftime(_ pieces: [StrftimePiece], time t: CivilTime, epochSeconds: Int64, zoneName: String?) {
        for piece in pieces {
            switch piece {
            case .literal(let text): append(text)
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
            if spec.width > length { for _ in length..<spec.width { append(byte: UInt8(ascii: " ")) } }
            width = 1
        }
        if value < 0 {
            append(byte: UInt8(ascii: "-"))
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
            for _ in text.count..<spec.width { append(byte: fill) }
        }
        if spec.upper || (spec.swapCase && swapToUpper) {
            for byte in text { append(byte: byte >= 0x61 && byte <= 0x7a ? byte - 32 : byte) }
        } else if spec.swapCase {
            for byte in text { append(byte: Self.lowercase(byte)) }
        } else {
            append(contentsOf: text)
        }
    }

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
}
