import ServerConfig

/// isapid's name and version, as the `Server` header, `-v` and signatures show them.
public enum ServerSoftware {
    public static let major = 0
    public static let minor = 1
    public static let patch = 0
    public static var version: String { "\(major).\(minor).\(patch)" }

    /// The `Server` header for `ServerTokens`.
    public static func banner(_ tokens: ServerTokens) -> String {
        banners[tokens] ?? makeBanner(tokens)
    }

    // Built once: CGI variables and error pages ask for it on every request.
    private static let banners = Dictionary(uniqueKeysWithValues: ServerTokens.allCases.map { ($0, makeBanner($0)) })

    private static func makeBanner(_ tokens: ServerTokens) -> String {
        switch tokens {
        case .prod: return "isapid"
        case .major: return "isapid/\(major)"
        case .minor: return "isapid/\(major).\(minor)"
        case .minimal: return "isapid/\(version)"
        case .os, .full: return "isapid/\(version) (Linux)"
        }
    }
}
