import ArgumentParser
import Foundation
import Logging
import RequestPipeline
import RewriteEngine
import struct ServerConfig.ConfigLoadOptions

/// `isapid rewrite-test`: runs a URL through the httpd.ini rules the configuration
/// applies and explains each rule: the text it was matched against, its captures,
/// what it did, and the result. Nothing is served.
struct RewriteTestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rewrite-test",
        abstract: "Show how the rewrite rules treat a request, rule by rule.",
        discussion: """
            Reads the configuration like the server (-f, -d, -D), finds the global httpd.ini \
            (RewriteIniFile) and the site httpd.ini of the virtual host the Host header selects, \
            and prints each rule tried; then the mod_rewrite rules of the server or virtual host \
            and of the directory (httpd.conf sections and .htaccess files), each with its file:line. \
            Example:
              isapid rewrite-test /p?q=1 -H 'Host: a.com'
            """)

    @Argument(help: "The request target, e.g. /p?q=1 (as the client would send it).")
    var url: String

    @Option(name: .customShort("H"), help: ArgumentHelp("A request header, 'Name: value' (repeatable).", valueName: "header"))
    var headers: [String] = []

    @Option(name: .customShort("X"), help: ArgumentHelp("The request method.", valueName: "method"))
    var method = "GET"

    @Option(name: .customLong("http-version"), help: "The protocol version, 1.0 or 1.1.")
    var httpVersion = "1.1"

    @Option(name: .customLong("local-port"), help: "The port the request arrives on (SERVER_PORT).")
    var localPort = 80

    @Option(name: .customShort("f"), help: ArgumentHelp("The configuration file (relative to ServerRoot).", valueName: "file"))
    var configFile: String = "conf/httpd.conf"

    @Option(name: .customShort("d"), help: ArgumentHelp("The initial ServerRoot (default: the current directory).", valueName: "directory"))
    var serverRoot: String?

    @Option(name: .customShort("D"), help: ArgumentHelp("Define a name for <IfDefine> and ${NAME}.", valueName: "name"))
    var defines: [String] = []

    func run() throws {
        let options = ConfigLoadOptions(
            configFile: configFile, serverRoot: serverRoot ?? FileManager.default.currentDirectoryPath,
            defines: defines, preDirectives: [], postDirectives: [])
        let configuration = try ISAPIDCommand.load(options).mapError { error -> ExitCode in
            ISAPIDCommand.printError(error.description)
            return ExitCode(1)
        }.get()
        var fields = HeaderFields()
        for header in headers {
            guard let colon = header.firstIndex(of: ":") else {
                throw ValidationError("-H takes 'Name: value', not '\(header)'")
            }
            fields.add(String(header[..<colon]), header[header.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        let version = httpVersion.split(separator: ".").compactMap { Int($0) }
        guard version.count == 2 else { throw ValidationError("--http-version takes 1.0 or 1.1") }
        let request = IncomingRequest(
            method: method, target: url, versionMajor: version[0], versionMinor: version[1], headers: fields,
            connection: ConnectionInfo(localPort: localPort))
        let pipeline = Pipeline(configuration: configuration, logger: Logger(label: "rewrite-test") { _ in SwiftLogNoOpLogHandler() })

        print("request: \(request.requestLine)")
        for (name, value) in fields { print("  \(name): \(value)") }
        var sawFile = false
        let explanation = pipeline.explainRewrite(request) { file, rules, step in
            guard let step else {
                sawFile = true
                print("\n\(file): \(rules.rules.count) rule(s), RepeatLimit \(rules.repeatLimit)")
                for error in rules.errors { print("  parse error, \(error)") }
                return
            }
            print(Self.describe(step))
        }
        if !sawFile {
            let files = [configuration.rewriteIniFile].compactMap { $0 }
            print("\nno httpd.ini found" + (files.isEmpty ? "" : " (looked for \(files.joined(separator: ", ")) and the site's DocumentRoot/httpd.ini)"))
        }
        print("\nhttpd.ini result: " + Self.describe(explanation, originalURL: url))

        var lastContext = ""
        let modRewrite = pipeline.explainModRewrite(request) { context, step in
            if context != lastContext {
                print("\nmod_rewrite, \(context):")
                lastContext = context
            }
            print(Self.describe(step))
        }
        if let action = modRewrite.serverAction { print("\nmod_rewrite server context: " + Self.describe(action)) }
        if let action = modRewrite.directoryAction {
            print("mod_rewrite per directory (\(modRewrite.filePath ?? "?")): " + Self.describe(action))
        }
    }

    static func describe(_ step: RewriteTraceStep) -> String {
        switch step {
        case .rule(let rule, let input, let matched):
            return "  \(rule.location): \(rule.text)\n    tested \(quoted(input)): " + (matched ? "matched" : "no match")
        case .condition(let condition, let passed):
            return "    \(condition.text): " + (passed ? "true" : "false")
        case .result(let text):
            return "    \(text)"
        }
    }

    static func describe(_ action: RewriteAction) -> String {
        switch action {
        case .unchanged: return "no change"
        case .rewritten(let path, let query, let passThrough):
            return "rewritten to \(path)" + (query.map { "?" + $0 } ?? "") + (passThrough ? " (passed through)" : "")
        case .internalRedirect(let url): return "internal redirect to \(url)"
        case .queryChanged(let query): return "same file, query now \(query ?? "(none)")"
        case .redirect(let status, let location): return "redirect \(status) to \(location)"
        case .status(let status): return "answer \(status)"
        case .proxy(let url): return "proxy to \(url)"
        }
    }

    static func describe(_ step: IniTraceStep) -> String {
        switch step {
        case .tried(let rule, let subject, let groups):
            var lines = ["  line \(rule.line): \(rule.text)"]
            for condition in rule.conditions { lines.append("    with RewriteCond \(condition.verb) \(condition.pattern) (line \(condition.line))") }
            lines.append("    tested \(quoted(subject))")
            if let groups {
                let captures = groups.enumerated().dropFirst().map { "$\($0.offset)=" + ($0.element.map(quoted) ?? "(unset)") }
                lines.append("    matched" + (captures.isEmpty ? "" : ": " + captures.joined(separator: " ")))
            } else {
                lines.append("    no match")
            }
            return lines.joined(separator: "\n")
        case .abandoned(let rule, let failure):
            return "  line \(rule.line): \(rule.text)\n    PCRE2 gave up (\(failure)): treated as no match"
        case .applied(_, let effect):
            return "    → \(effect)"
        case .limitReached(let rule, let flag):
            return "    RepeatLimit reached: [\(flag)] on line \(rule.line) ignored"
        }
    }

    static func describe(_ explanation: RewriteExplanation, originalURL: String) -> String {
        var text: String
        switch explanation.outcome {
        case .notFound: text = "404 Not Found ([F])"
        case .resultTooLong(let line): text = "500: the rule at line \(line) made the URL too long"
        case .redirect(let status, let location): text = "redirect \(status) to \(location)"
        case .proxy(let url, let follows): text = "proxy to \(url)" + (follows ? " (following upstream redirects)" : "")
        case .proceed, .stop:
            text = explanation.url == originalURL ? "no rewrite: \(explanation.url)" : "rewritten to \(explanation.url)"
            if explanation.method != "" { text += "\n  method: \(explanation.method)" }
            for (name, value) in explanation.headers { text += "\n  \(name): \(value)" }
        }
        if explanation.logsOriginalURL { text += "\n  (the access log shows the original URL: [U])" }
        return text
    }

    static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n") + "\""
    }
}
