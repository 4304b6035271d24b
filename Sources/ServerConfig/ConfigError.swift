/// A configuration error, always tied to the file and line it came from.
///
/// The three kinds an administrator must be able to tell apart (unknown directive,
/// directive in the wrong place, bad arguments) are explicit so tests and `isapid -t`
/// can show them exactly.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// Lexical or structural problems: unbalanced sections, bad quoting, missing files.
        case syntax
        /// A directive no module of isapid implements.
        case unknownDirective
        /// A known directive used in a context that does not allow it.
        case notAllowedHere
        /// A known directive with arguments it cannot take.
        case badArguments
    }

    public let file: String
    public let line: Int
    public let kind: Kind
    public let message: String

    public init(file: String, line: Int, kind: Kind, message: String) {
        self.file = file
        self.line = line
        self.kind = kind
        self.message = message
    }

    /// `FILE:LINE: message`, the form `isapid -t` prints and the error log records.
    public var description: String { "\(file):\(line): \(message)" }

    static func unknown(_ name: String, at location: SourceLocation) -> ConfigError {
        ConfigError(
            file: location.file, line: location.line, kind: .unknownDirective,
            message: "Invalid command '\(name)', perhaps misspelled or defined by a module not included in the server configuration")
    }

    static func notAllowed(_ name: String, _ context: String, at location: SourceLocation) -> ConfigError {
        ConfigError(
            file: location.file, line: location.line, kind: .notAllowedHere,
            message: "\(name) not allowed here (\(context))")
    }

    static func arguments(_ name: String, _ problem: String, at location: SourceLocation) -> ConfigError {
        ConfigError(file: location.file, line: location.line, kind: .badArguments, message: "\(name): \(problem)")
    }

    static func syntax(_ message: String, at location: SourceLocation) -> ConfigError {
        ConfigError(file: location.file, line: location.line, kind: .syntax, message: message)
    }
}

/// Where a directive was written.
public struct SourceLocation: Sendable, Equatable, CustomStringConvertible {
    public let file: String
    public let line: Int

    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }

    public var description: String { "\(file):\(line)" }
}
