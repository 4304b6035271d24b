import Foundation
import NIOCore

/// How many event loops to run: one per core this process may actually run on. NIO's
/// `System.coreCount` counts the machine's (or the cgroup quota's) cores but not the
/// CPU affinity mask, so under `taskset` or a cpuset extra loops would only take turns
/// on the same cores, each turn a context switch.
enum UsableCores {
    static var count: Int {
        let allowed = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)).flatMap(allowedCPUs(status:))
        return max(1, min(System.coreCount, allowed ?? System.coreCount))
    }

    /// The CPUs in `/proc/self/status`'s `Cpus_allowed:` mask (hex words, comma-separated).
    static func allowedCPUs(status: String) -> Int? {
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed:") }) else { return nil }
        var count = 0
        for digit in line.dropFirst("Cpus_allowed:".count) where digit != "," && !digit.isWhitespace {
            guard let value = digit.hexDigitValue else { return nil }
            count += value.nonzeroBitCount
        }
        return count
    }
}
