/// The parts of a request the rewrite rules read and change. The pipeline adapts its
/// request context to this; tests use a plain struct.
public protocol RewritableRequest {
    /// The Request-URI now in force: path and `?query`, as sent (not decoded).
    var url: String { get set }
    var method: String { get set }
    /// E.g. `HTTP/1.1`.
    var httpVersion: String { get }
    /// The first value of a request header; nil when absent.
    func header(_ name: String) -> String?
    /// Replaces every value of a header; nil deletes it.
    mutating func setHeader(_ name: String, to value: String?)
    /// A server variable by its case-sensitive name (`HTTPS`, `SERVER_PORT`, …); nil when unknown.
    func serverVariable(_ name: String) -> String?
}

extension RewritableRequest {
    /// The text a TestVerb reads; missing headers and variables read as "".
    func value(of verb: TestVerb) -> String {
        switch verb {
        case .url: return url
        case .method: return method
        case .version: return httpVersion
        case .header(let name): return header(name) ?? ""
        case .serverVariable(let name): return serverVariable(name) ?? ""
        }
    }
}

/// The request header that keeps the URL as the client sent it once a rule changed it.
public let rewriteURLHeader = "X-Rewrite-URL"

/// Completes a redirect target the way ISAPI_Rewrite and Apache do: a target with a
/// scheme stays as is; a relative one gets the request's scheme and the Host header
/// lower-cased with its port (or the server name and a non-default port).
public func completeRedirectTarget(_ target: String, scheme: String, hostHeader: String?, serverName: String,
                                   port: Int) -> String {
    if hasScheme(target) { return target }
    let authority: String
    if let hostHeader, !hostHeader.isEmpty {
        authority = hostHeader.lowercased()
    } else {
        let defaultPort = scheme == "https" ? 443 : 80
        authority = serverName.lowercased() + (port == defaultPort ? "" : ":\(port)")
    }
    let path = target.hasPrefix("/") ? target : "/" + target
    return scheme + "://" + authority + path
}

/// Whether a URL starts with `scheme://`.
public func hasScheme(_ url: String) -> Bool {
    var sawLetter = false
    var iterator = url.utf8.makeIterator()
    while let byte = iterator.next() {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"):
            sawLetter = true
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."):
            guard sawLetter else { return false }
        case UInt8(ascii: ":"):
            return sawLetter && iterator.next() == UInt8(ascii: "/") && iterator.next() == UInt8(ascii: "/")
        default:
            return false
        }
    }
    return false
}
