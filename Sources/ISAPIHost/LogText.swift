import Logging

/// Bytes an extension gave (a status line, a header block, a redirect URL, lpszLogData,
/// its description) made readable for a log message without losing what was sent:
/// `String(decoding:as:)` would turn every invalid byte into U+FFFD, so
/// `badStatus("\xef\xbf\xbd")` could never say which bytes the extension wrote.
///
/// The model is Apache's `ap_escape_logitem`: printable ASCII as is, `\\` for a
/// backslash, `\"` for a quote when the text is shown in quotes, and `\xNN` for every
/// other byte (control bytes and bytes from 0x80 up).
///
/// This is a twin, on purpose, of `LogLineWriter.appendEscaped` in RequestPipeline
/// (which formats whole access-log and error-log lines): ISAPIHost sits below
/// RequestPipeline and cannot use it, and the two escape different things: that one
/// whole lines, this one the extension's bytes inside a message.
public enum LogText {
    /// Metadata key, with any value, of a log message whose extension-provided parts are
    /// already escaped here: the error log (HTTPDaemon's `ErrorLogHandler`) then writes
    /// its backslashes as they are instead of doubling them (`\xff`, not `\\xff`); it
    /// still escapes control and non-ASCII bytes, so one event stays one line.
    public static let escapedMetadataKey = "escaped"

    /// The metadata of such a message: its id, and the escaped mark.
    public static func metadata(id: String) -> Logger.Metadata {
        ["id": "\(id)", escapedMetadataKey: "1"]
    }

    /// `bytes` escaped; with `inQuotes`, `"` is escaped as well (the text goes between quotes).
    public static func escaped<Bytes: Sequence<UInt8>>(_ bytes: Bytes, inQuotes: Bool = false) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.underestimatedCount)
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\\"):
                out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case UInt8(ascii: "\"") where inQuotes:
                out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case 0x20..<0x7F:
                out.append(byte)
            default:
                out += [UInt8(ascii: "\\"), UInt8(ascii: "x"), hexDigit(byte >> 4), hexDigit(byte & 0x0F)]
            }
        }
        return String(decoding: out, as: UTF8.self)  // ASCII only: nothing is replaced
    }

    /// `bytes` escaped between double quotes: `"GET \"x\"\x0d"`.
    public static func quoted<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        "\"" + escaped(bytes, inQuotes: true) + "\""
    }

    private static func hexDigit(_ value: UInt8) -> UInt8 {
        value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "a") + value - 10
    }
}
