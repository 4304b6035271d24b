import RewriteEngine

/// Any text as mod_rewrite lines (RewriteCond/RewriteRule arguments split at spaces):
/// parsing never crashes; the rules that parse run in server and directory context.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRewriteDirectives(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    var config = RewriteConfig(directory: "/srv/www/")
    config.engine = true
    var conditions: [RewriteCondition] = []
    for line in text.split(separator: "\n") {
        let words = line.split(separator: " ").map(String.init)
        guard let first = words.first else { continue }
        if first == "C" {
            if let condition = try? RewriteCondition(Array(words.dropFirst()), text: String(line)) { conditions.append(condition) }
        } else if let rule = try? RewriteRule(words, conditions: conditions, text: String(line), location: "fuzz") {
            config.rules.append(rule)
            conditions = []
        }
    }
    config.prepareIndex()
    let evaluator = RewriteEvaluator(maps: RewriteMapStore())
    let environment = FuzzEnvironment()
    for uri in ["/", "/a/b c?d", "/x%2F/y"] {
        _ = evaluator.applyServerRules(config, uri: uri, query: "q=1", environment: environment)
        _ = evaluator.applyDirectoryRules(config, filename: "/srv/www" + uri, pathInfo: "", query: nil,
                                          documentRoot: "/srv/www", environment: environment)
    }
    return 0
}

struct FuzzEnvironment: RewriteEnvironment {
    func variable(_ name: String) -> String { name == "HTTP_HOST" ? "example.com" : "" }
    func header(_ name: String) -> String? { name.lowercased() == "host" ? "example.com" : nil }
    func environmentVariable(_ name: String) -> String? { nil }
    func fileTest(_ test: Character, _ path: String) -> Bool { path.hasSuffix("/") }
    var serverURLPrefix: String { "http://example.com" }
    func isThisServer(host: String, port: Int) -> Bool { host == "example.com" && port == 80 }
}
