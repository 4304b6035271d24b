/// Argument parsers shared by the directive tables, each failing with the directive's
/// own bad-arguments error.
extension Directive {
    /// `On` / `Off`, case-insensitive.
    func flag(_ index: Int = 0) throws(ConfigError) -> Bool {
        switch arguments[index].lowercased() {
        case "on": return true
        case "off": return false
        default: throw invalid("must be On or Off")
        }
    }

    /// Whether the optional trailing keyword `word` (case-insensitive) is written at
    /// `index`; any other word there is an error.
    func hasKeyword(_ word: String, at index: Int) throws(ConfigError) -> Bool {
        guard arguments.count > index else { return false }
        guard arguments[index].lowercased() == word else {
            throw invalid("the \(index == 2 ? "third" : "last") argument must be '\(word)', not '\(arguments[index])'")
        }
        return true
    }

    func integer(_ index: Int = 0, in range: ClosedRange<Int>) throws(ConfigError) -> Int {
        guard let value = Int(arguments[index]), range.contains(value) else {
            throw invalid("'\(arguments[index])' is not a number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    func seconds(_ index: Int = 0) throws(ConfigError) -> Double {
        let text = arguments[index].lowercased()
        let (number, scale): (Substring, Double) =
            text.hasSuffix("ms") ? (text.dropLast(2), 0.001) : (text.hasSuffix("s") ? (text.dropLast(), 1) : (Substring(text), 1))
        guard let value = Double(number), value >= 0, value.isFinite else {
            throw invalid("'\(arguments[index])' is not a time in seconds")
        }
        return value * scale
    }

    /// A file-name extension as mod_mime stores it: lower-cased, without the leading dot.
    static func normalizedExtension(_ text: String) -> String {
        (text.hasPrefix(".") ? String(text.dropFirst()) : text).lowercased()
    }
}
