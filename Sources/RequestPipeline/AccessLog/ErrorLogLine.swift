#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Apache httpd 2.4's error-log line in its default layout (no `ErrorLogFormat`):
///
///     [Sat Nov 21 19:02:22.123456 2026] [core:error] [pid 1234:tid 140234] [client 127.0.0.1:5555] IS00128: File does not exist: /x
///
/// The message ID and message are escaped as `ap_escape_errorlog_item` does: `\` doubled,
/// `\b \n \r \t \v` as C escapes, other control and non-ASCII bytes as `\xhh` (`"` stays),
/// so one event is always one line.
///
/// The level names and their order are `ApacheLogLevel` in ServerConfig.
public enum ErrorLogLine {
    /// One error-log line, without the trailing newline, with the time in the server's
    /// local time zone as Apache prints it.
    /// - Parameters:
    ///   - timeSeconds: Seconds since the Unix epoch.
    ///   - microseconds: Microseconds past `timeSeconds` (0..<1_000_000).
    ///   - module: The module name, `core`, `isapi`, `rewrite`, ...
    ///   - level: The Apache level name, `error`, `warn`, `trace1`, ...
    ///   - pid: The process id.
    ///   - tid: The thread id.
    ///   - client: `ip:port` of the client, or nil to leave out `[client ...] `.
    ///   - messageID: A message number such as `IS00128`, or nil to leave out `ID: `.
    ///   - message: The message text.
    ///   - messageIsEscaped: The message's untrusted parts are escaped already (ISAPIHost's
    ///     `LogText`): its backslashes are kept single; control and non-ASCII bytes are
    ///     still escaped.
    public static func format(timeSeconds: Int64, microseconds: Int, module: String, level: String, pid: Int32,
                              tid: UInt64, client: String?, messageID: String?, message: String,
                              messageIsEscaped: Bool = false) -> String {
        format(timeSeconds: timeSeconds, microseconds: microseconds, utcOffsetSeconds: localUTCOffset(atSeconds: timeSeconds),
               module: module, level: level, pid: pid, tid: tid, client: client, messageID: messageID, message: message,
               messageIsEscaped: messageIsEscaped)
    }

    /// The line for a given offset from UTC (seconds east), independent of the process's time zone.
    static func format(timeSeconds: Int64, microseconds: Int, utcOffsetSeconds: Int, module: String, level: String,
                       pid: Int32, tid: UInt64, client: String?, messageID: String?, message: String,
                       messageIsEscaped: Bool = false) -> String {
        var out = LogLineWriter(capacity: 96 + message.utf8.count)
        out.append(byte: UInt8(ascii: "["))
        out.appendCTime(CivilTime(epochSeconds: timeSeconds, utcOffset: utcOffsetSeconds), microseconds: microseconds)
        out.append("] [" as StaticString)
        out.append(module)
        out.append(byte: UInt8(ascii: ":"))
        out.append(level)
        out.append("] [pid " as StaticString)
        out.appendDecimal(Int64(pid))
        out.append(":tid " as StaticString)
        out.appendDecimal(tid)
        out.append("] " as StaticString)
        if let client {
            out.append("[client " as StaticString)
            out.append(client)
            out.append("] " as StaticString)
        }
        if let messageID {
            out.appendEscaped(messageID, errorLog: true)
            out.append(": " as StaticString)
        }
        out.appendEscaped(message, errorLog: true, keepingBackslashes: messageIsEscaped)
        return out.string
    }

    /// The local time zone's offset from UTC in seconds (east positive) at an instant, from
    /// the C library's `localtime_r` (TZ, else /etc/localtime), as Apache's log times use.
    /// Fill ``AccessLogRecord/utcOffsetSeconds`` with it.
    public static func localUTCOffset(atSeconds seconds: Int64) -> Int {
        var time = time_t(seconds)
        var parts = tm()
        guard localtime_r(&time, &parts) != nil else { return 0 }
        return Int(parts.tm_gmtoff)
    }
}
