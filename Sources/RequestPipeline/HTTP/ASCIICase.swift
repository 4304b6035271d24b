/// Comparing bytes with ASCII letters folded, as HTTP field names, IIS file names and
/// Apache's `strcasecmp` compare: no lower-cased copy is made, and no Unicode case
/// mapping runs (these comparisons happen several times per request).
enum ASCIICase {
    /// Whether `a` and `b` hold the same bytes but for the case of ASCII letters.
    static func equal<A: Collection, B: Collection>(_ a: A, _ b: B) -> Bool where A.Element == UInt8, B.Element == UInt8 {
        a.count == b.count && a.elementsEqual(b) { lower($0) == lower($1) }
    }

    /// Whether `bytes` spell `text` but for the case of ASCII letters.
    static func equal(_ bytes: UnsafeBufferPointer<UInt8>, _ text: StaticString) -> Bool {
        equal(bytes, UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    static func lower(_ byte: UInt8) -> UInt8 { byte &- 65 < 26 ? byte | 0x20 : byte }
}
