/// What an httpd.ini condition (or RewriteHeader) reads from the request.
public enum TestVerb: Sendable, Equatable, CustomStringConvertible {
    /// The Request-URI as sent: path and query, not decoded.
    case url
    case method
    /// The protocol, e.g. `HTTP/1.1`.
    case version
    /// A request header by name (written `Name:`); a missing header reads as "".
    case header(String)
    /// A server variable (written `%NAME`), by its case-sensitive name.
    case serverVariable(String)

    /// Reads a TestVerb as written in httpd.ini; nil if it is none of the forms.
    public init?(_ text: String) {
        switch text.uppercased() {
        case "URL": self = .url
        case "METHOD": self = .method
        case "VERSION": self = .version
        default:
            if text.count > 1, text.hasSuffix(":") {
                let name = String(text.dropLast())
                guard name.utf8.allSatisfy(Self.isTokenByte) else { return nil }
                self = .header(name)
            } else if text.count > 1, text.hasPrefix("%") {
                self = .serverVariable(String(text.dropFirst()))
            } else {
                return nil
            }
        }
    }

    public var description: String {
        switch self {
        case .url: return "URL"
        case .method: return "METHOD"
        case .version: return "VERSION"
        case .header(let name): return name + ":"
        case .serverVariable(let name): return "%" + name
        }
    }

    /// RFC 9110 token characters, which a header name is made of.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
        }
    }
}
