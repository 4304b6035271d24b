/// `HttpProtocolOptions` (Apache 2.4 core): how strictly a request head is read.
/// Apache's defaults are `Strict LenientMethods Allow0.9`.
public struct HTTPProtocolOptions: Sendable, Equatable {
    /// `Strict` or `Unsafe`: whether RFC 7230/9112's grammar is enforced beyond what
    /// framing needs (bare LF line ends, absolute-form hosts, schemes).
    public enum Conformance: Sendable, Equatable {
        /// Bare LF ends no line (400), an absolute-form target must have a valid host.
        case strict
        /// isapid's leniency before HttpProtocolOptions existed: bare LF accepted, an
        /// absolute-form host used only when it is valid, never rejected for it.
        case unsafe
    }

    /// `RegisteredMethods` or `LenientMethods`.
    public enum Methods: Sendable, Equatable {
        /// Any token is a method; the handler decides (405/501).
        case lenient
        /// A method Apache has not registered is answered 501 while the head is read.
        case registered
    }

    /// `Allow0.9` or `Require1.0`: whether a request line without an HTTP version is served.
    public enum HTTP09: Sendable, Equatable {
        case allow
        case require10
    }

    public var conformance: Conformance = .strict
    public var methods: Methods = .lenient
    public var http09: HTTP09 = .allow

    public init(conformance: Conformance = .strict, methods: Methods = .lenient, http09: HTTP09 = .allow) {
        self.conformance = conformance
        self.methods = methods
        self.http09 = http09
    }

    /// Applies the words of one `HttpProtocolOptions` line, as Apache's
    /// `set_http_protocol_options` does: each word sets its own pair, the others keep
    /// their value; two words of the same pair are an error. Returns the problem text.
    public mutating func apply(_ words: [String]) -> String? {
        var seenConformance: String?, seenMethods: String?, seenHTTP09: String?
        func once(_ seen: inout String?, _ word: String) -> String? {
            defer { seen = word }
            guard let earlier = seen else { return nil }
            return "'\(earlier)' and '\(word)' are mutually exclusive"
        }
        for word in words {
            let problem: String?
            switch word.lowercased() {
            case "strict": problem = once(&seenConformance, word); conformance = .strict
            case "unsafe": problem = once(&seenConformance, word); conformance = .unsafe
            case "registeredmethods": problem = once(&seenMethods, word); methods = .registered
            case "lenientmethods": problem = once(&seenMethods, word); methods = .lenient
            case "allow0.9": problem = once(&seenHTTP09, word); http09 = .allow
            case "require1.0": problem = once(&seenHTTP09, word); http09 = .require10
            default: problem = "Invalid option '\(word)'"
            }
            if let problem { return problem }
        }
        return nil
    }
}
