/// mod_log_config and core logging: ErrorLog, LogLevel, LogFormat, CustomLog, TransferLog, BufferedLogs.
let logDirectives: [DirectiveSpec] = [
    DirectiveSpec("ErrorLog", module: "core.c", contexts: .serverConfig, arity: 1...1,
                  syntax: "takes one argument, the file to log errors to") { d, t in
        let value = d.arguments[0]
        if value.hasPrefix("|") || value.lowercased().hasPrefix("syslog") {
            throw d.invalid("piped and syslog error logs are not supported; give a file path")
        }
        let path = t.resolvePath(value)
        if t.context == .server { t.server.errorLog = path } else { t.host.errorLog = path }
    },
    DirectiveSpec("LogLevel", module: "core.c", contexts: .serverConfig, arity: 1...Int.max,
                  syntax: "takes a level (emerg, alert, crit, error, warn, notice, info, debug, trace1-8) "
                    + "and module:level pairs") { d, t in
        var setting = t.server.logLevel
        for word in d.arguments {
            let parts = word.split(separator: ":", maxSplits: 1).map(String.init)
            if parts.count == 2 {
                guard let level = ApacheLogLevel(name: parts[1]) else { throw d.invalid("LogLevel keyword must be one of emerg/alert/crit/error/warn/notice/info/debug/trace1/.../trace8: \(parts[1])") }
                var module = parts[0].lowercased()
                if module.hasSuffix("_module") { module = String(module.dropLast(7)) }
                if module.hasPrefix("mod_") { module = String(module.dropFirst(4)) }
                setting.moduleLevels[module] = level
            } else {
                guard let level = ApacheLogLevel(name: word) else { throw d.invalid("LogLevel keyword must be one of emerg/alert/crit/error/warn/notice/info/debug/trace1/.../trace8: \(word)") }
                setting.level = level
            }
        }
        t.server.logLevel = setting
    },
    DirectiveSpec("LogFormat", module: "mod_log_config.c", contexts: .serverConfig, arity: 1...2,
                  syntax: "takes a format string and an optional nickname") { d, t in
        let name = d.arguments.count == 2 ? d.arguments[1] : "default"
        t.server.logFormats[name] = d.arguments[0]
    },
    DirectiveSpec("CustomLog", module: "mod_log_config.c", contexts: .serverConfig, arity: 2...3,
                  syntax: "takes a file name, a format string or nickname, and an optional env=[!]VAR condition") { d, t in
        try addCustomLog(d, t, path: d.arguments[0], format: d.arguments[1], condition: d.arguments.count == 3 ? d.arguments[2] : nil)
    },
    DirectiveSpec("TransferLog", module: "mod_log_config.c", contexts: .serverConfig, arity: 1...1,
                  syntax: "takes one argument, a file name (logged in the last LogFormat without a nickname, else common)") { d, t in
        try addCustomLog(d, t, path: d.arguments[0], format: t.server.logFormats["default"] ?? "common", condition: nil)
    },
    // Server-wide, as in Apache: every access log gathers its lines in memory (On) or
    // writes each promptly (Off); the error log is never buffered.
    DirectiveSpec("BufferedLogs", module: "mod_log_config.c", contexts: .server, arity: 1...1,
                  syntax: "must be On or Off") { d, t in
        t.server.bufferedLogs = try d.flag()
    },
]

private func addCustomLog(_ d: Directive, _ t: DirectiveTarget, path: String, format: String, condition: String?) throws(ConfigError) {
    if path.hasPrefix("|") { throw d.invalid("piped logs are not supported; give a file path") }
    var logCondition: LogCondition?
    if let condition {
        guard condition.lowercased().hasPrefix("env=") else {
            throw d.invalid("the third argument must be env=VAR or env=!VAR")
        }
        var variable = condition.dropFirst(4)
        let negated = variable.first == "!"
        if negated { variable = variable.dropFirst() }
        guard !variable.isEmpty else { throw d.invalid("env= needs a variable name") }
        logCondition = LogCondition(variable: String(variable), negated: negated)
    }
    // A format without % is a nickname, resolved now against the LogFormats defined so far.
    let resolved: String
    if format.contains("%") {
        resolved = format
    } else if let named = t.server.logFormats[format] {
        resolved = named
    } else {
        throw d.invalid("no LogFormat named '\(format)' is defined before this line")
    }
    t.host.customLogs.append(
        CustomLogSpec(path: t.resolvePath(path), format: resolved, condition: logCondition, location: d.location))
}
