import Foundation

extension RewriteEvaluator {
    /// The request headers Apache's `lookup_variable` reads for `%{HTTP_…}` names.
    static let headerVariables = [
        "HTTP_USER_AGENT": "User-Agent", "HTTP_REFERER": "Referer", "HTTP_COOKIE": "Cookie",
        "HTTP_FORWARDED": "Forwarded", "HTTP_HOST": "Host", "HTTP_PROXY_CONNECTION": "Proxy-Connection",
        "HTTP_ACCEPT": "Accept",
    ]

    /// `%{NAME}`: the engine's own variables, then the environment's; header reads are
    /// noted for Vary (Host never is, as Apache 2.4.29+).
    func variableValue<Environment: RewriteEnvironment>(
        _ name: String, state: State, environment: Environment, headersRead: HeaderNames
    ) -> String {
        func header(_ header: String) -> String {
            if header.lowercased() != "host" { headersRead.names.append(header) }
            if let changed = state.headers[header.lowercased()] { return changed ?? "" }
            return environment.header(header) ?? ""
        }
        if let colon = name.firstIndex(of: ":") {
            let kind = name[..<colon].uppercased()
            let argument = String(name[name.index(after: colon)...])
            switch kind {
            case "HTTP": return header(argument)
            case "ENV":
                if let set = state.environment[argument] { return set ?? "" }
                return environment.environmentVariable(argument) ?? ""
            case "SSL": return environment.sslVariable(argument) ?? ""
            case "LA-U", "LA-F": return variableValue(argument, state: state, environment: environment, headersRead: headersRead)
            default: return ""
            }
        }
        let upper = name.uppercased()
        if let headerName = Self.headerVariables[upper] { return header(headerName) }
        switch upper {
        case "REQUEST_FILENAME", "SCRIPT_FILENAME": return state.filename
        case "QUERY_STRING": return state.args ?? ""
        case "PATH_INFO": return state.pathInfo
        default:
            if upper.hasPrefix("TIME") { return Self.timeVariable(upper) ?? "" }
            return environment.variable(upper)
        }
    }

    static func timeVariable(_ name: String) -> String? {
        var now = time(nil)
        var parts = tm()
        localtime_r(&now, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        switch name {
        case "TIME_YEAR": return String(parts.tm_year + 1900)
        case "TIME_MON": return two(parts.tm_mon + 1)
        case "TIME_DAY": return two(parts.tm_mday)
        case "TIME_HOUR": return two(parts.tm_hour)
        case "TIME_MIN": return two(parts.tm_min)
        case "TIME_SEC": return two(parts.tm_sec)
        case "TIME_WDAY": return String(parts.tm_wday)
        case "TIME":
            return String(parts.tm_year + 1900) + two(parts.tm_mon + 1) + two(parts.tm_mday) + two(parts.tm_hour)
                + two(parts.tm_min) + two(parts.tm_sec)
        default: return nil
        }
    }
}

/// The headers one condition read (for Vary); filled while it is expanded.
final class HeaderNames {
    var names: [String] = []
}

/// One step of a mod_rewrite evaluation, for rewrite-test and the trace log.
public enum RewriteTraceStep: Sendable {
    case rule(RewriteRule, input: String, matched: Bool)
    case condition(RewriteCondition, passed: Bool)
    case result(String)
}
