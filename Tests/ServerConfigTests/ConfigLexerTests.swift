import Testing
@testable import ServerConfig

@Suite struct ConfigLexerTests {
    @Test func continuationCommentsAndBlankLines() {
        let text = "# comment\n\n  Listen \\\n   8080\nServerName a\r\n   # indented comment\n"
        let lines = ConfigLexer.logicalLines(text)
        #expect(lines == [.init(number: 3, text: "Listen    8080"), .init(number: 5, text: "ServerName a")])
    }

    @Test(arguments: [
        (#"a b c"#, ["a", "b", "c"]),
        (#""quoted arg" plain"#, ["quoted arg", "plain"]),
        (#"'single quoted' x"#, ["single quoted", "x"]),
        (#""with \"escaped\" quote""#, [#"with "escaped" quote"#]),
        (#""keeps \d backslash""#, [#"keeps \d backslash"#]),
        (#"unquoted\path x"#, [#"unquoted\path"#, "x"]),
        ("  \tspaced\t  out  ", ["spaced", "out"]),
        (#""""#, [""]),
    ])
    func words(_ input: String, _ expected: [String]) {
        #expect(ConfigLexer.words(Substring(input)) == expected)
    }

    @Test func unterminatedQuoteIsNil() {
        #expect(ConfigLexer.words(#""never closed"#) == nil)
    }
}
