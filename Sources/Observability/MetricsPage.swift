import CoreMetrics
import CrashBoard
import Foundation
import Prometheus

/// `/metrics`: the figures in Prometheus's text exposition format 0.0.4.
///
/// Each scrape builds a fresh `PrometheusCollectorRegistry` from a `StatusSnapshot` and
/// writes every figure through swift-metrics' handler protocols (`CounterHandler`,
/// `RecorderHandler`, which swift-prometheus's collectors implement): the figures that
/// survive a crash (accesses, bytes, child restarts, crashes by extension) are counters
/// set to their shared totals, never deltas, so a crash of the child does not reset them;
/// the child's own figures reset with a new child, which Prometheus reads as a counter
/// reset. The figures themselves are recorded lock-free (`ServerFigures`), not through
/// swift-prometheus's collectors, which lock on every observation.
///
/// The two histograms (request duration, time in an extension) are written here from
/// their fixed buckets: swift-prometheus's histograms can only be fed one observation
/// at a time.
public enum MetricsPage {
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    public static func render(_ status: StatusSnapshot, figures: ServerFigures = .shared) -> String {
        let registry = PrometheusCollectorRegistry()
        func counter(_ name: String, _ help: String, _ labels: [(String, String)] = [], _ value: Int) {
            let handler: any CounterHandler = registry.makeCounter(
                descriptor: MetricNameDescriptor(metricName: name, unitName: "", helpText: help), labels: labels)
            handler.increment(by: Int64(value))
        }
        func gauge(_ name: String, _ help: String, _ labels: [(String, String)] = [], _ value: Double) {
            let handler: any RecorderHandler = registry.makeGauge(
                descriptor: MetricNameDescriptor(metricName: name, unitName: "", helpText: help), labels: labels)
            handler.record(value)
        }
        for (methodIndex, method) in RequestFigures.methods.enumerated() {
            for (classIndex, statusClass) in RequestFigures.statusClasses.enumerated() {
                let count = figures.requests.count(method: methodIndex, statusClass: classIndex)
                guard count > 0 else { continue }
                counter(
                    "isapid_requests_total", "Requests answered by this serving child, by method and status class.",
                    [("method", method), ("status_class", statusClass)], count)
            }
        }
        counter(
            "isapid_accesses_total",
            "Requests since the server started (Apache's Total Accesses; kept across a child crash and SIGUSR1).",
            [], Int(status.totals.accesses))
        counter(
            "isapid_response_bytes_total",
            "Response body bytes sent since the server started (kept across a child crash).",
            [], Int(status.totals.bytes))
        counter(
            "isapid_request_bytes_total", "Request body bytes read by this serving child.", [],
            figures.requests.bytesIn.load(ordering: .relaxed))
        gauge("isapid_connections_open", "Open client connections.", [], Double(status.connections.count))
        for state in ConnectionState.allCases {
            gauge(
                "isapid_connections", "Open client connections by scoreboard state.", [("state", String(state.letter))],
                Double(status.count(state)))
        }
        counter(
            "isapid_connections_accepted_total", "Connections accepted by this serving child.", [],
            status.connectionsAccepted)
        gauge(
            "isapid_pool_threads", "ThreadsPerChild: threads that run extensions.", [],
            Double(status.facts.threadsPerChild))
        gauge("isapid_pool_threads_busy", "Pool threads running an extension call.", [], Double(status.poolBusy))
        gauge("isapid_pool_queue_length", "Extension calls waiting for a pool thread.", [], Double(status.poolQueued))
        for line in status.extensions {
            let labels = [("extension", line.path)]
            counter(
                "isapid_extension_calls_total", "Calls into the extension in this serving child.", labels, line.calls)
            counter(
                "isapid_extension_errors_total",
                "Calls that ended in HSE_STATUS_ERROR, an unrecognised result or a 500.",
                labels, line.errors)
            counter(
                "isapid_extension_crashes_total", "Serving children the extension crashed since the server started.",
                labels, line.crashes)
            gauge("isapid_extension_calls_in_flight", "Calls inside the extension now.", labels, Double(line.inFlight))
        }
        counter(
            "isapid_child_restarts_total", "Serving children restarted by the supervising parent (crashes, exits).", [],
            Int(status.childRestarts))
        for rule in status.facts.rewriteHits {
            counter(
                "isapid_rewrite_rule_hits_total", "Times a rewrite rule's pattern matched, by rule source file:line.",
                [("rule", rule.location)], rule.hits)
        }
        counter(
            "isapid_tls_handshakes_total", "TLS handshakes completed by this serving child.", [], status.tlsHandshakes)
        counter(
            "isapid_log_lines_dropped_total", "Log lines dropped by this serving child: a log file's queue was full.", [],
            status.logLinesDropped)
        gauge(
            "isapid_config_generation", "Apache's ParentServerConfigGeneration: raised by every reload.", [],
            Double(status.generation))
        gauge(
            "isapid_uptime_seconds", "Seconds since the restart time (Apache's ServerUptimeSeconds).", [],
            Double(status.uptimeSeconds))
        gauge(
            "isapid_start_time_seconds", "When the supervising parent started (Unix time).", [],
            Double(status.parentStartMicroseconds / 1_000_000))
        var text = registry.emitToString()
        text += histogram(
            "isapid_request_duration_seconds", "Time from a request's head to its access-log line.",
            [(labels: "", histogram: figures.requests.durations)])
        let extensionHistograms = figures.extensions.all.map {
            (labels: "extension=\"\(escapeLabel($0.path))\"", histogram: $0.time)
        }
        if !extensionHistograms.isEmpty {
            text += histogram(
                "isapid_extension_duration_seconds", "Time inside HttpExtensionProc.", extensionHistograms)
        }
        return text
    }

    /// One histogram family in the text format, cumulative buckets, sum and count.
    static func histogram(_ name: String, _ help: String, _ series: [(labels: String, histogram: FixedHistogram)])
        -> String
    {
        var out = "# HELP \(name) \(help)\n# TYPE \(name) histogram\n"
        for (labels, histogram) in series {
            let counts = histogram.bucketCounts
            let separator = labels.isEmpty ? "" : ","
            var cumulative = 0
            for (index, bound) in histogram.boundsSeconds.enumerated() {
                cumulative += counts[index]
                out += "\(name)_bucket{\(labels)\(separator)le=\"\(bound)\"} \(cumulative)\n"
            }
            cumulative += counts[histogram.boundsSeconds.count]
            out += "\(name)_bucket{\(labels)\(separator)le=\"+Inf\"} \(cumulative)\n"
            let braces = labels.isEmpty ? "" : "{\(labels)}"
            out += "\(name)_sum\(braces) \(histogram.sumSeconds)\n"
            out += "\(name)_count\(braces) \(cumulative)\n"
        }
        return out
    }

    static func escapeLabel(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }
}
