import Testing
@testable import RequestPipeline

@Suite("EntityTag")
struct EntityTagTests {
    // MARK: Apache's file tags

    @Test func apacheDefaultIsSizeThenMtimeInHex() {
        // Apache 2.4 with FileETag MTime Size: "%lx-%lx" of size and mtime (usec).
        let tag = EntityTag.forFile(inode: 0x1234, size: 45, mtimeMicroseconds: 1_181_587_994_000_000)
        #expect(tag == EntityTag(weak: false, opaque: "\"2d-432a5e4a73a80\""))
        #expect(tag.headerValue == "\"2d-432a5e4a73a80\"")
    }

    @Test(arguments: [
        (EntityTag.FileComponents.all, "\"1234-2d-432a5e4a73a80\""),
        ([.inode], "\"1234\""),
        ([.size], "\"2d\""),
        ([.modificationTime], "\"432a5e4a73a80\""),
        ([.inode, .modificationTime], "\"1234-432a5e4a73a80\""),
        ([], "\"\""),
    ] as [(EntityTag.FileComponents, String)])
    func fileETagComponents(components: EntityTag.FileComponents, expected: String) {
        let tag = EntityTag.forFile(inode: 0x1234, size: 45, mtimeMicroseconds: 1_181_587_994_000_000,
                                    components: components)
        #expect(tag.headerValue == expected)
    }

    @Test func zeroSizeAndZeroTimeAreSingleZeros() {
        #expect(EntityTag.forFile(inode: 0, size: 0, mtimeMicroseconds: 0).headerValue == "\"0-0\"")
    }

    @Test(arguments: [
        (Int64(0), true),           // modified in the same instant
        (999_999, true),
        (1_000_000, true),          // exactly one second: still weak (Apache wants more than 1s)
        (1_000_001, false),
        (86_400_000_000, false),
        (-5_000_000, true),         // mtime in the future
    ])
    func weakWhenModifiedWithinOneSecond(age: Int64, weak: Bool) {
        let mtime: Int64 = 1_700_000_000_000_000
        let tag = EntityTag.forFile(inode: 1, size: 10, mtimeMicroseconds: mtime, requestTimeMicroseconds: mtime + age)
        #expect(tag.weak == weak)
        #expect(tag.opaque == "\"a-60a24181e4000\"")
        #expect(tag.headerValue == (weak ? "W/\"a-60a24181e4000\"" : "\"a-60a24181e4000\""))
    }

    // MARK: Single tags

    @Test(arguments: [
        ("\"xyzzy\"", EntityTag(weak: false, opaque: "\"xyzzy\"")),
        ("W/\"xyzzy\"", EntityTag(weak: true, opaque: "\"xyzzy\"")),
        ("\"\"", EntityTag(weak: false, opaque: "\"\"")),
        ("  \"a-b\"\t", EntityTag(weak: false, opaque: "\"a-b\"")),
        ("\"a,b\"", EntityTag(weak: false, opaque: "\"a,b\"")),
        ("\"caf\u{e9}\"", EntityTag(weak: false, opaque: "\"caf\u{e9}\"")),
    ])
    func parsesOneTag(text: String, expected: EntityTag) {
        #expect(EntityTag(text) == expected)
    }

    @Test(arguments: ["", "xyzzy", "\"xyzzy", "xyzzy\"", "\"xy\"zzy\"", "w/\"x\"", "W/ \"x\"", "W/x",
                      "\"x\" \"y\"", "\"x\",\"y\"", "\"a b\"", "*", "W/"])
    func rejectsInvalidTag(text: String) {
        #expect(EntityTag(text) == nil)
    }

    // MARK: Comparison, RFC 9110 §8.8.3.2's table

    @Test(arguments: [
        ("W/\"1\"", "W/\"1\"", false, true),
        ("W/\"1\"", "W/\"2\"", false, false),
        ("W/\"1\"", "\"1\"", false, true),
        ("\"1\"", "\"1\"", true, true),
        ("\"1\"", "\"2\"", false, false),
    ])
    func comparisonTable(a: String, b: String, strong: Bool, weak: Bool) throws {
        let first = try #require(EntityTag(a))
        let second = try #require(EntityTag(b))
        #expect(first.strongMatches(second) == strong)
        #expect(second.strongMatches(first) == strong)
        #expect(first.weakMatches(second) == weak)
        #expect(second.weakMatches(first) == weak)
    }

    // MARK: Lists

    @Test(arguments: [
        ("*", EntityTagList.any),
        ("  *  ", .any),
        ("\"a\", *", .any),
        ("\"xyzzy\"", .tags([EntityTag(opaque: "\"xyzzy\"")])),
        ("\"xyzzy\", \"r2d2xxxx\", \"c3piozzzz\"",
         .tags([EntityTag(opaque: "\"xyzzy\""), EntityTag(opaque: "\"r2d2xxxx\""), EntityTag(opaque: "\"c3piozzzz\"")])),
        ("W/\"xyzzy\", W/\"r2d2xxxx\"", .tags([EntityTag(weak: true, opaque: "\"xyzzy\""),
                                               EntityTag(weak: true, opaque: "\"r2d2xxxx\"")])),
        ("\"a\",\"b\"", .tags([EntityTag(opaque: "\"a\""), EntityTag(opaque: "\"b\"")])),
        ("\t\"a\" ,\t W/\"b\" ", .tags([EntityTag(opaque: "\"a\""), EntityTag(weak: true, opaque: "\"b\"")])),
        (" , ,\"a\",, ,", .tags([EntityTag(opaque: "\"a\"")])),
        ("\"a,b\", \"c\"", .tags([EntityTag(opaque: "\"a,b\""), EntityTag(opaque: "\"c\"")])),
        ("foo, \"a\"", .tags([EntityTag(opaque: "\"a\"")])),
        ("\"a\"junk, \"b\"", .tags([EntityTag(opaque: "\"b\"")])),
        ("\"unterminated, \"b\"", .tags([])),
        ("**, \"b\"", .tags([EntityTag(opaque: "\"b\"")])),
        ("", .tags([])),
        ("junk", .tags([])),
    ])
    func parsesLists(text: String, expected: EntityTagList) {
        #expect(EntityTag.parseList(text) == expected)
    }

    @Test func listMembership() {
        let strong = EntityTag(opaque: "\"abc\"")
        let weak = EntityTag(weak: true, opaque: "\"abc\"")
        let list = EntityTag.parseList("\"x\", W/\"abc\"")
        #expect(!list.containsStrong(strong))
        #expect(list.containsWeak(strong))
        #expect(list.containsWeak(weak))
        #expect(!list.containsStrong(weak))

        let exact = EntityTag.parseList("\"x\", \"abc\"")
        #expect(exact.containsStrong(strong))
        #expect(!exact.containsStrong(weak))
        #expect(exact.containsWeak(weak))

        #expect(EntityTagList.any.containsStrong(weak))
        #expect(EntityTagList.any.containsWeak(strong))
        #expect(!EntityTagList.tags([]).containsWeak(strong))
    }
}
