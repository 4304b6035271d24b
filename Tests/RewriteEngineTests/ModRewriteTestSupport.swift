import Foundation
@testable import RewriteEngine

/// A request for mod_rewrite tests: variables and headers by name, files by path.
struct TestEnvironment: RewriteEnvironment {
    var headers: [String: String] = ["Host": "localhost"]
    var variables: [String: String] = [:]
    var files: Set<String> = []
    var directories: Set<String> = []
    var serverName = "localhost"
    var serverPort = 80
    /// mod_ssl's variables for `%{SSL:…}` (empty: a plain-HTTP connection).
    var ssl: [String: String] = [:]

    func variable(_ name: String) -> String {
        if let value = variables[name] { return value }
        if name == "HTTP_HOST" { return headers["Host"] ?? "" }
        return ""
    }

    func header(_ name: String) -> String? {
        headers.first { $0.key.lowercased() == name.lowercased() }?.value
    }

    func environmentVariable(_ name: String) -> String? { variables["ENV:" + name] }

    func sslVariable(_ name: String) -> String? { ssl[name] }

    func fileTest(_ test: Character, _ path: String) -> Bool {
        switch test {
        case "f", "s", "F": return files.contains(path)
        case "d": return directories.contains(path)
        default: return false
        }
    }

    var serverURLPrefix: String { "http://\(serverName)" + (serverPort == 80 ? "" : ":\(serverPort)") }

    /// As a virtual host named `serverName` on `serverPort`.
    func isThisServer(host: String, port: Int) -> Bool { host.lowercased() == serverName && port == serverPort }
}

/// Builds a RewriteConfig from directive lines, as the config compiler would.
func rewriteConfig(_ lines: [String], directory: String? = nil) throws -> RewriteConfig {
    var config = RewriteConfig(directory: directory)
    config.engine = true
    for line in lines {
        let words = splitDirective(line)
        switch words[0].lowercased() {
        case "rewritecond":
            config.pendingConditions.append(try RewriteCondition(Array(words.dropFirst()), text: line))
        case "rewriterule":
            config.rules.append(try RewriteRule(Array(words.dropFirst()), conditions: config.pendingConditions, text: line,
                                                location: "test"))
            config.pendingConditions = []
        case "rewritebase":
            config.base = words[1]
        case "rewritemap":
            let map = try RewriteMapDefinition(Array(words.dropFirst()), resolve: { $0 })
            config.maps[map.name] = map
        default:
            fatalError("unexpected directive \(line)")
        }
    }
    return config
}

/// Whitespace-separated words with double quotes, as httpd.conf reads them.
func splitDirective(_ line: String) -> [String] {
    var words: [String] = []
    var current = ""
    var quoted = false
    var hasWord = false
    for character in line {
        if character == "\"" {
            quoted.toggle()
            hasWord = true
        } else if character == " " && !quoted {
            if hasWord { words.append(current) }
            current = ""
            hasWord = false
        } else {
            current.append(character)
            hasWord = true
        }
    }
    if hasWord { words.append(current) }
    return words
}
