import Synchronization

/// A fixed-bucket histogram of durations with atomic buckets: recording is one relaxed
/// add per bucket found plus two for count and sum, no lock. p50/p99 are read off the
/// buckets (the upper bound of the bucket holding that rank), so they are as coarse as
/// the buckets: good enough to tell 2 ms from 200 ms, which is what an operator asks.
public final class FixedHistogram: Sendable {
    /// Upper bounds for request durations (seconds), Prometheus's defaults and a few more.
    public static let requestBounds: [Double] = [
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
    ]

    public let boundsSeconds: [Double]
    private let boundsMicroseconds: [Int64]
    /// One per bound, and the last for +Inf.
    private let buckets: [AtomicCount]
    private let sumMicroseconds = Atomic<Int>(0)

    public init(boundsSeconds: [Double]) {
        self.boundsSeconds = boundsSeconds
        boundsMicroseconds = boundsSeconds.map { Int64(($0 * 1_000_000).rounded()) }
        buckets = (0...boundsSeconds.count).map { _ in AtomicCount() }
    }

    @inline(__always)
    public func record(microseconds: Int64) {
        var index = 0
        while index < boundsMicroseconds.count && microseconds > boundsMicroseconds[index] { index += 1 }
        buckets[index].add(1)
        sumMicroseconds.add(Int(max(0, microseconds)), ordering: .relaxed)
    }

    /// Counts per bucket (not cumulative), the last one for +Inf.
    public var bucketCounts: [Int] { buckets.map(\.count) }
    public var count: Int { bucketCounts.reduce(0, +) }
    public var sumSeconds: Double { Double(sumMicroseconds.load(ordering: .relaxed)) / 1_000_000 }

    /// The upper bound (seconds) of the bucket that holds the `quantile` rank; nil with
    /// no observations; +Inf when it lies beyond the last bound.
    public func quantile(_ quantile: Double) -> Double? {
        let counts = bucketCounts
        let total = counts.reduce(0, +)
        guard total > 0 else { return nil }
        let rank = max(1, Int((quantile * Double(total)).rounded(.up)))
        var seen = 0
        for (index, count) in counts.enumerated() {
            seen += count
            if seen >= rank { return index < boundsSeconds.count ? boundsSeconds[index] : .infinity }
        }
        return .infinity
    }
}

/// An `Atomic<Int>` that can stand in an array (an `Atomic` cannot be copied): one per
/// bucket, one per method and status class.
public final class AtomicCount: Sendable {
    private let value = Atomic<Int>(0)

    public init() {}

    @inline(__always) public func add(_ amount: Int) { value.add(amount, ordering: .relaxed) }
    public var count: Int { value.load(ordering: .relaxed) }
}
