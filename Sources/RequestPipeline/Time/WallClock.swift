#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The time of day in microseconds since the epoch, as requests are stamped with it
/// (`IncomingRequest.receivedAtMicroseconds`) and durations measured against it.
public enum WallClock {
    public static func microseconds() -> Int64 {
        var now = timeval()
        gettimeofday(&now, nil)
        return Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_usec)
    }
}
