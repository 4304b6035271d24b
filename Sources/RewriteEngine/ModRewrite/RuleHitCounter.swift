import Synchronization

/// How often rules from one source line matched: one relaxed add per match. Counters
/// are kept per file:line for the life of the process, so a reload that compiles the
/// same rules again goes on counting where it left off.
public final class RuleHitCounter: Sendable {
    public let location: String
    private let count = Atomic<Int>(0)

    init(location: String) { self.location = location }

    @inline(__always) func hit() { count.add(1, ordering: .relaxed) }

    public var hits: Int { count.load(ordering: .relaxed) }

    private static let table = Mutex<[String: RuleHitCounter]>([:])

    /// The counter of `location`, made on first use (at configuration load, not per request).
    static func counter(for location: String) -> RuleHitCounter {
        table.withLock { table in
            if let counter = table[location] { return counter }
            let counter = RuleHitCounter(location: location)
            table[location] = counter
            return counter
        }
    }

    /// Every rule source that matched at least once, with its count, by location.
    public static var all: [(location: String, hits: Int)] {
        table.withLock { $0.values.map { ($0.location, $0.hits) } }.filter { $0.hits > 0 }.sorted {
            $0.location < $1.location
        }
    }
}
