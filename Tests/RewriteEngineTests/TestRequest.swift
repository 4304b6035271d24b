import RewriteEngine

/// A request for rule tests: everything a rule can read or change, nothing else.
struct TestRequest: RewritableRequest {
    var url: String
    var method = "GET"
    var httpVersion = "HTTP/1.1"
    var headers: [(name: String, value: String)] = []
    var variables: [String: String] = [:]

    init(_ url: String, method: String = "GET", headers: [(String, String)] = [], variables: [String: String] = [:]) {
        self.url = url
        self.method = method
        self.headers = headers.map { (name: $0.0, value: $0.1) }
        self.variables = variables
    }

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    mutating func setHeader(_ name: String, to value: String?) {
        headers.removeAll { $0.name.lowercased() == name.lowercased() }
        if let value { headers.append((name: name, value: value)) }
    }

    func serverVariable(_ name: String) -> String? { variables[name] }
}
