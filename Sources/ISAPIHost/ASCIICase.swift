/// Comparing bytes with ASCII letters folded, as HTTP field names, server-variable names,
/// IIS file names and Apache's `strcasecmp` compare: no case-mapped copy is made and no
/// Unicode case mapping runs (these comparisons happen several times per request).
/// Here, in the lowest module that needs it, so that ISAPIHost and RequestPipeline share
/// one; `@inlinable`, so that each caller gets it specialized for its own byte views.
public enum ASCIICase {
    /// Whether `a` and `b` hold the same bytes but for the case of ASCII letters.
    @inlinable
    public static func equal<A: Collection, B: Collection>(_ a: A, _ b: B) -> Bool
    where A.Element == UInt8, B.Element == UInt8 {
        a.count == b.count && a.elementsEqual(b) { lower($0) == lower($1) }
    }

    /// Whether two strings are the same but for the case of ASCII letters.
    @inlinable
    public static func equal(_ a: some StringProtocol, _ b: some StringProtocol) -> Bool {
        equal(a.utf8, b.utf8)
    }

    /// Whether `bytes` spell `text` but for the case of ASCII letters.
    @inlinable
    public static func equal(_ bytes: UnsafeBufferPointer<UInt8>, _ text: StaticString) -> Bool {
        equal(bytes, UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    @inlinable
    public static func lower(_ byte: UInt8) -> UInt8 { byte &- 65 < 26 ? byte | 0x20 : byte }
}
