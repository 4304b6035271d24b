import CrashBoard
import Foundation

/// The HTML form of the status page, laid out as Apache 2.4's.
extension StatusPage {
    public struct HTMLOptions: Sendable {
        /// `?notable`: isapid's section as preformatted text instead of tables.
        public var noTables = false
        /// The client's view of the server, for "(via …)".
        public var via: String
        public var port: Int

        public init(noTables: Bool = false, via: String, port: Int) {
            self.noTables = noTables
            self.via = via
            self.port = port
        }
    }

    public static func html(_ status: StatusSnapshot, options: HTMLOptions) -> String {
        let facts = status.facts
        var out = """
            <!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN" "http://www.w3.org/TR/html4/strict.dtd">
            <html><head>
            <title>Apache Status</title>
            </head><body>
            <h1>Apache Server Status for \(escape(facts.serverName)) (via \(escape(options.via)))</h1>

            <dl><dt>Server Version: \(escape(facts.serverVersion))</dt>
            <dt>Server MPM: event</dt>
            <dt>Server Built: \(escape(facts.serverBuilt))
            </dt></dl><hr /><dl>
            <dt>Current Time: \(apacheTime(status.nowMicroseconds))</dt>
            <dt>Restart Time: \(apacheTime(status.restartMicroseconds))</dt>
            <dt>Parent Server Config. Generation: \(status.generation)</dt>
            <dt>Parent Server MPM Generation: \(status.generation &- 1)</dt>
            <dt>Server uptime: \(uptimeText(status.uptimeSeconds))</dt>
            <dt>Server load: \(fixed2(status.load.0)) \(fixed2(status.load.1)) \(fixed2(status.load.2))</dt>

            """
        if facts.extendedStatus {
            let totals = ExtendedTotals(status)
            out += "<dt>Total accesses: \(totals.accesses) - Total Traffic: \(kilobyteText(totals.kilobytes))"
            out += " - Total Duration: \(totals.durationMilliseconds)</dt>\n"
            out += "<dt>CPU Usage: u\(g(status.cpu.0)) s\(g(status.cpu.1)) cu\(g(status.cpu.2)) cs\(g(status.cpu.3))"
            if let load = totals.cpuLoad { out += " - \(String(format: "%.3g", load))% CPU load" }
            out += "</dt>\n<dt>"
            if status.uptimeSeconds > 0 {
                out += "\(String(format: "%.3g", totals.requestsPerSecond)) requests/sec - "
                out += "\(byteText(totals.bytesPerSecond))/second - "
            }
            if totals.accesses > 0 {
                out += "\(byteText(totals.bytesPerRequest))/request - \(g(totals.durationPerRequest)) ms/request"
            }
            out += "</dt>\n"
        }
        out +=
            "<dt>\(status.busyWorkers) requests currently being processed, \(status.gracefulWorkers) workers gracefully restarting, \(status.idleWorkers) idle workers</dt>\n"
        out += "</dl>\n"
        out += "<pre>\(wrapped(status.scoreboard))</pre>\n"
        out += scoreboardKey
        out += isapiSection(status, noTables: options.noTables)
        out +=
            "<hr />\n<address>\(escape(facts.serverVersion)) Server at \(escape(facts.serverName)) Port \(options.port)</address>\n"
        out += "</body></html>\n"
        return out
    }

    static let scoreboardKey = """
        <p>Scoreboard Key:<br />
        "<b><code>_</code></b>" Waiting for Connection, 
        "<b><code>S</code></b>" Starting up, 
        "<b><code>R</code></b>" Reading Request,<br />
        "<b><code>W</code></b>" Sending Reply, 
        "<b><code>K</code></b>" Keepalive (read), 
        "<b><code>D</code></b>" DNS Lookup,<br />
        "<b><code>C</code></b>" Closing connection, 
        "<b><code>L</code></b>" Logging, 
        "<b><code>G</code></b>" Gracefully finishing,<br /> 
        "<b><code>I</code></b>" Idle cleanup of worker, 
        "<b><code>.</code></b>" Open slot with no current process<br />
        </p>

        """

    /// isapid's section: the pool, child restarts, extensions, rewrite rule hits.
    static func isapiSection(_ status: StatusSnapshot, noTables: Bool) -> String {
        var out = "<hr /><h2>isapid</h2>\n<dl>\n"
        out +=
            "<dt>Parent uptime: \(uptimeText(max(0, (status.nowMicroseconds - status.parentStartMicroseconds) / 1_000_000)))</dt>\n"
        out +=
            "<dt>ThreadsPerChild pool: \(status.facts.threadsPerChild) threads, \(status.poolBusy) busy, \(status.poolQueued) queued</dt>\n"
        out +=
            "<dt>Connections accepted by this child: \(status.connectionsAccepted) - TLS handshakes: \(status.tlsHandshakes)</dt>\n"
        out += "<dt>Child restarts: \(status.childRestarts)</dt>\n</dl>\n"
        let restarts = status.recentRestarts.map { [apacheTime($0.timeMicroseconds), $0.cause] }
        out += table("Recent child restarts", ["Time", "Cause"], restarts, noTables: noTables)
        let extensions = status.extensions.map { line in
            [
                line.path, line.cached ? "cached" : "per request", "\(line.calls)", "\(line.errors)", "\(line.crashes)",
                "\(line.inFlight)", line.p50.map(milliseconds) ?? "-", line.p99.map(milliseconds) ?? "-",
            ]
        }
        out += table(
            "Extensions", ["Path", "Loaded", "Calls", "Errors", "Crashes", "In flight", "p50", "p99"], extensions,
            noTables: noTables)
        let rules = status.facts.rewriteHits.map { [$0.location, "\($0.hits)"] }
        out += table("Rewrite rule hits", ["Rule", "Hits"], rules, noTables: noTables)
        return out
    }

    private static func table(_ title: String, _ heads: [String], _ rows: [[String]], noTables: Bool) -> String {
        var out = "<h3>\(escape(title))</h3>\n"
        if rows.isEmpty { return out + "<p>none</p>\n" }
        if noTables {
            out += "<pre>\n"
            for row in rows { out += row.map(escape).joined(separator: "  ") + "\n" }
            return out + "</pre>\n"
        }
        out += "<table border=\"0\"><tr>" + heads.map { "<th>\(escape($0))</th>" }.joined() + "</tr>\n"
        for row in rows { out += "<tr>" + row.map { "<td>\(escape($0))</td>" }.joined() + "</tr>\n" }
        return out + "</table>\n"
    }

    static func milliseconds(_ seconds: Double) -> String {
        seconds.isInfinite ? "&gt; 30 s" : "\(g(seconds * 1000)) ms"
    }

    /// 64 positions a line, as Apache prints its scoreboard.
    static func wrapped(_ scoreboard: String) -> String {
        var lines: [Substring] = []
        var rest = Substring(scoreboard)
        while !rest.isEmpty {
            lines.append(rest.prefix(64))
            rest = rest.dropFirst(64)
        }
        return lines.joined(separator: "\n")
    }

    /// mod_status's format_byte_out.
    static func byteText(_ bytes: Double) -> String {
        let value = bytes.rounded(.down)
        if value < 5 * 1024 { return "\(Int(value)) B" }
        if value < 5 * 1024 * 1024 { return String(format: "%.1f kB", value / 1024) }
        if value < 5 * 1024 * 1024 * 1024 { return String(format: "%.1f MB", value / 1024 / 1024) }
        return String(format: "%.1f GB", value / 1024 / 1024 / 1024)
    }

    /// mod_status's format_kbyte_out.
    static func kilobyteText(_ kilobytes: UInt64) -> String {
        if kilobytes < 1024 { return "\(kilobytes) kB" }
        if kilobytes < 1024 * 1024 { return String(format: "%.1f MB", Double(kilobytes) / 1024) }
        return String(format: "%.1f GB", Double(kilobytes) / 1024 / 1024)
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\"": out += "&quot;"
            default: out.append(character)
            }
        }
        return out
    }
}
