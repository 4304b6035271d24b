import PCRE2Regex
@testable import RewriteEngine
import Testing

/// Each construct of the v2 format string, expanded against one match.
@Suite struct V2FormatStringTests {
    /// Matches `subject` fully with `pattern` and expands `format`.
    func expand(_ format: String, _ pattern: String = "(a)(b)?(c)", _ subject: String = "ac") throws -> String {
        let regex = try RegexPattern("\\A(?:" + pattern + ")\\z")
        let match = try #require(regex.firstMatch(in: subject))
        return String(decoding: try V2FormatString(format).expand(match), as: UTF8.self)
    }

    @Test(arguments: [
        ("/$1/$3", "/a/c"),                 // groups
        ("/$2x", "/x"),                     // a group that did not participate is empty
        ("/$9", "/"),                       // a group that does not exist is empty
        ("$0|$&", "ac|ac"),                 // the whole match, both spellings
        ("($1)2", "a2"),                    // grouping parentheses are not output
        ("$12", ""),                        // two digits: group 12, which does not exist
        ("(?1yes:no)", "yes"),              // conditional on a matched group
        ("(?2yes:no)", "no"),               // on an unmatched one
        ("x(?2yes)y", "xy"),                // no false branch
        ("/a.asp?id=$1", "/a.asp?id=a"),    // '?' before a non-digit is literal
        ("\\?\\:\\(\\)\\$\\\\", "?:()$\\"), // escapes of the special characters
        ("$$1", "$1"),                      // '$$' is a literal '$'
        ("a:b", "a:b"),                     // ':' outside a conditional is literal
        ("$x", "$x"),                       // '$' before anything else is literal
        ("\\x41\\x{42}", "AB"),             // characters by code
        ("%{QUERY_STRING}", "%{QUERY_STRING}"), // v3 syntax is literal text in v2
        ("http(?3s:)\\://h", "https://h"),  // the protocol-switch idiom
    ])
    func construct(_ format: String, _ expected: String) throws {
        #expect(try expand(format) == expected)
    }

    @Test func wholeMatchAndSurroundingsWithConditions() throws {
        // $0 is the combined text; $` and $' are empty under a full match.
        #expect(try expand("[$0][$`][$']", "(h)\\n(/p)", "h\n/p") == "[h\n/p][][]")
    }

    @Test func nestedGroupsAndConditionalInsideGroup() throws {
        #expect(try expand("(x(?1(y):z))w") == "xyw")
        #expect(try expand("(x(?2(y):z)q)w") == "xzqw")
    }

    @Test(arguments: ["(abc", "a)b", "((a)"])
    func unbalancedParenthesesAreErrors(_ format: String) {
        #expect(throws: FormatStringError.self) { try V2FormatString(format) }
    }
}
