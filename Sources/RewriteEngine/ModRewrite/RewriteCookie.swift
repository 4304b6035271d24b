import Foundation

/// The [CO=…] flag: `NAME:VALUE:domain[:lifetime[:path[:secure[:httponly[:samesite]]]]]`
/// (or the same with `;` as separator when the value starts with `;`), as Apache's
/// `add_cookie` writes the Set-Cookie header.
enum RewriteCookie {
    static func setCookieHeader(_ spec: String) -> String? {
        var text = Substring(spec)
        var separator: Character = ":"
        if text.hasPrefix(";") {
            separator = ";"
            text = text.dropFirst()
        }
        let fields = text.split(separator: separator, omittingEmptySubsequences: false).map(String.init)
        guard fields.count >= 3, !fields[0].isEmpty else { return nil }
        var header = "\(fields[0])=\(fields[1]); path=\(fields.count > 4 && !fields[4].isEmpty ? fields[4] : "/")"
        header += "; domain=\(fields[2])"
        if let minutes = fields.count > 3 ? Int(fields[3]) : nil, minutes != 0 {
            header += "; expires=" + cookieDate(Date(timeIntervalSinceNow: TimeInterval(minutes * 60)))
        }
        if fields.count > 5, ["secure", "true", "1"].contains(fields[5].lowercased()) { header += "; secure" }
        if fields.count > 6, ["httponly", "true", "1"].contains(fields[6].lowercased()) { header += "; HttpOnly" }
        if fields.count > 7, !["", "0", "false", "none"].contains(fields[7].lowercased()) { header += "; SameSite=\(fields[7])" }
        return header
    }

    private static func cookieDate(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd-MMM-yyyy HH:mm:ss 'GMT'"
        return formatter.string(from: date)
    }
}
