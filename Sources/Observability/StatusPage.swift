import CrashBoard
import Foundation

/// mod_status's page: Apache 2.4's HTML and its `?auto` text, field for field (names,
/// order, and which fields `ExtendedStatus` and zero counts leave out, as Apache 2.4.71
/// prints them), then isapid's own section (HTML; in `?auto`, `ISAPI…:` lines after
/// Apache's, which parsers of Apache's keys ignore).
public enum StatusPage {
    public static let plainContentType = "text/plain; charset=ISO-8859-1"
    public static let htmlContentType = "text/html; charset=ISO-8859-1"

    /// The `?auto` form.
    public static func auto(_ status: StatusSnapshot) -> String {
        var out = "\(status.facts.serverName)\n"
        out += "ServerVersion: \(status.facts.serverVersion)\n"
        out += "ServerMPM: event\n"
        out += "Server Built: \(status.facts.serverBuilt)\n"
        out += "CurrentTime: \(apacheTime(status.nowMicroseconds))\n"
        out += "RestartTime: \(apacheTime(status.restartMicroseconds))\n"
        out += "ParentServerConfigGeneration: \(status.generation)\n"
        out += "ParentServerMPMGeneration: \(status.generation &- 1)\n"
        out += "ServerUptimeSeconds: \(status.uptimeSeconds)\n"
        out += "ServerUptime:\(uptimeText(status.uptimeSeconds))\n"
        out += "Load1: \(fixed2(status.load.0))\nLoad5: \(fixed2(status.load.1))\nLoad15: \(fixed2(status.load.2))\n"
        if status.facts.extendedStatus {
            let totals = ExtendedTotals(status)
            out += "Total Accesses: \(totals.accesses)\n"
            out += "Total kBytes: \(totals.kilobytes)\n"
            out += "Total Duration: \(totals.durationMilliseconds)\n"
            out += "CPUUser: \(g(status.cpu.0))\nCPUSystem: \(g(status.cpu.1))\n"
            out += "CPUChildrenUser: \(g(status.cpu.2))\nCPUChildrenSystem: \(g(status.cpu.3))\n"
            if let load = totals.cpuLoad { out += "CPULoad: \(g(load))\n" }
            out += "Uptime: \(status.uptimeSeconds)\n"
            if status.uptimeSeconds > 0 {
                out += "ReqPerSec: \(g(totals.requestsPerSecond))\n"
                out += "BytesPerSec: \(g(totals.bytesPerSecond))\n"
            }
            if totals.accesses > 0 {
                out += "BytesPerReq: \(g(totals.bytesPerRequest))\n"
                out += "DurationPerReq: \(g(totals.durationPerRequest))\n"
            }
        }
        out += "BusyWorkers: \(status.busyWorkers)\n"
        out += "GracefulWorkers: \(status.gracefulWorkers)\n"
        out += "IdleWorkers: \(status.idleWorkers)\n"
        out += "Processes: 1\n"
        out += "Stopping: \(status.facts.stopping ? 1 : 0)\n"
        out += "ConnsTotal: \(status.connections.count)\n"
        out += "ConnsAsyncWaitIO: 0\n"
        out += "ConnsAsyncWriting: \(max(0, status.count(.sending) - status.poolBusy))\n"
        out += "ConnsAsyncKeepAlive: \(status.count(.keepAlive))\n"
        out += "ConnsAsyncClosing: \(status.count(.closing))\n"
        out += "Scoreboard: \(status.scoreboard)\n"
        out += isapiAuto(status)
        return out
    }

    /// isapid's own `?auto` lines.
    static func isapiAuto(_ status: StatusSnapshot) -> String {
        var out =
            "ISAPIParentUptimeSeconds: \(max(0, (status.nowMicroseconds - status.parentStartMicroseconds) / 1_000_000))\n"
        out += "ISAPIChildRestarts: \(status.childRestarts)\n"
        for (age, restart) in status.recentRestarts.enumerated() {
            out += "ISAPIChildRestart\(age): \(apacheTime(restart.timeMicroseconds)); \(restart.cause)\n"
        }
        out += "ISAPIThreadsPerChild: \(status.facts.threadsPerChild)\n"
        out += "ISAPIPoolBusy: \(status.poolBusy)\n"
        out += "ISAPIPoolQueued: \(status.poolQueued)\n"
        out += "ISAPIConnectionsAccepted: \(status.connectionsAccepted)\n"
        out += "ISAPITLSHandshakes: \(status.tlsHandshakes)\n"
        out += "ISAPILogLinesDropped: \(status.logLinesDropped)\n"
        for line in status.extensions {
            out += "ISAPIExtension: \(line.path) \(line.cached ? "cached" : "per-request") calls=\(line.calls)"
            out += " errors=\(line.errors) crashes=\(line.crashes) inflight=\(line.inFlight)"
            out += " p50=\(line.p50.map(seconds) ?? "-") p99=\(line.p99.map(seconds) ?? "-")\n"
        }
        for rule in status.facts.rewriteHits {
            out += "ISAPIRewriteHits: \(rule.location) \(rule.hits)\n"
        }
        return out
    }

    /// Apache's sums, as mod_status computes them (kilobytes rounded down; per-second
    /// and per-request bytes from the kilobytes).
    struct ExtendedTotals {
        let accesses: UInt64
        let kilobytes: UInt64
        let durationMilliseconds: UInt64
        let requestsPerSecond: Double
        let bytesPerSecond: Double
        let bytesPerRequest: Double
        let durationPerRequest: Double
        let cpuLoad: Double?

        init(_ status: StatusSnapshot) {
            accesses = status.totals.accesses
            kilobytes = status.totals.bytes / 1024
            durationMilliseconds = status.totals.durationMicroseconds / 1000
            let uptime = Double(max(1, status.uptimeSeconds))
            requestsPerSecond = Double(accesses) / uptime
            bytesPerSecond = 1024 * Double(kilobytes) / uptime
            bytesPerRequest = accesses > 0 ? 1024 * Double(kilobytes) / Double(accesses) : 0
            durationPerRequest = accesses > 0 ? Double(durationMilliseconds) / Double(accesses) : 0
            let cpu = status.cpu.0 + status.cpu.1 + status.cpu.2 + status.cpu.3
            cpuLoad = cpu > 0 ? cpu / uptime * 100 : nil
        }
    }

    // MARK: Apache's number and time formats

    /// C's `%g` as APR prints it: six significant digits, no leading zero (".5").
    static func g(_ value: Double) -> String {
        var text = String(format: "%g", value)
        if text.hasPrefix("0.") {
            text.removeFirst()
        } else if text.hasPrefix("-0.") {
            text.remove(at: text.index(after: text.startIndex))
        }
        return text
    }

    static func fixed2(_ value: Double) -> String { String(format: "%.2f", value) }

    /// " 1 day 2 hours 3 minutes 4 seconds", as mod_status's show_time (leading space; empty at 0).
    static func uptimeText(_ seconds: Int64) -> String {
        let parts: [(Int64, String)] = [
            (seconds / 86_400, "day"), (seconds / 3600 % 24, "hour"), (seconds / 60 % 60, "minute"),
            (seconds % 60, "second"),
        ]
        return parts.filter { $0.0 != 0 }.map { " \($0.0) \($0.1)\($0.0 == 1 ? "" : "s")" }.joined()
    }

    /// "Sunday, 06-Dec-2026 06:25:45 UTC" (Apache's DEFAULT_TIME_FORMAT, local time).
    static func apacheTime(_ microseconds: Int64) -> String {
        var seconds = time_t(microseconds / 1_000_000)
        var parts = tm()
        localtime_r(&seconds, &parts)
        var buffer = [CChar](repeating: 0, count: 128)
        let length = strftime(&buffer, buffer.count, "%A, %d-%b-%Y %H:%M:%S %Z", &parts)
        return String(decoding: buffer[0..<length].map(UInt8.init(bitPattern:)), as: UTF8.self)
    }

    static func seconds(_ value: Double) -> String { value.isInfinite ? "+Inf" : g(value) }
}
