import RewriteEngine

/// Any text as an httpd.ini file: parsing never crashes, and the rules it keeps run
/// against a few URLs without crashing either.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIniParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let rules = IniParser.parse("[ISAPI_Rewrite]\n" + text)
    for url in ["/", "/a/b.html?x=1", "/%41%2e%2E/x"] {
        var request = FuzzRequest(url: url)
        _ = rules.evaluate(&request, originalURL: url)
    }
    return 0
}

struct FuzzRequest: RewritableRequest {
    var url: String
    var method = "GET"
    var httpVersion = "HTTP/1.1"
    var headers: [String: String] = ["host": "example.com"]

    func header(_ name: String) -> String? { headers[name.lowercased()] }
    mutating func setHeader(_ name: String, to value: String?) { headers[name.lowercased()] = value }
    func serverVariable(_ name: String) -> String? { name == "HTTPS" ? "off" : nil }
}
