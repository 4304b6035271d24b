import Foundation
import Observability
import RequestPipeline
import RewriteEngine
import ServerConfig

/// `SetHandler server-status` (mod_status) and `SetHandler metrics` (Prometheus).
///
/// They live in HTTPDaemon, not RequestPipeline: what they show besides the figures
/// (the pool size, whether a stop has begun, the binary's build time) is the daemon's,
/// and the pipeline stays free of process-wide state. Both answer on the event loop:
/// reading the figures takes microseconds and blocks nothing. Access is whatever
/// `Require` says for the `<Location>`, checked before the handler runs.
final class ServerStatusHandler: RequestHandler {
    static let name = "server-status"

    func handle(_ context: inout RequestContext, pipeline: Pipeline) -> Response {
        guard context.method == "GET" || context.method == "HEAD" else { return pipeline.errorResponse(405, &context) }
        let options = StatusQuery(context.query ?? "")
        let snapshot = StatusSnapshot.take(StatusFacts.facts(for: context, configuration: pipeline.configuration))
        var headers = HeaderFields()
        let body: String
        if options.auto {
            headers.add("Content-Type", StatusPage.plainContentType)
            body = StatusPage.auto(snapshot)
        } else {
            headers.add("Content-Type", StatusPage.htmlContentType)
            body = StatusPage.html(
                snapshot,
                options: StatusPage.HTMLOptions(
                    noTables: options.noTables, via: context.request.connection.localAddress,
                    port: context.request.connection.localPort))
        }
        if let refresh = options.refresh { headers.add("Refresh", refresh) }
        return Response(status: 200, headers: headers, body: .bytes(Array(body.utf8)))
    }
}

/// `SetHandler metrics`: Prometheus's text exposition format 0.0.4.
final class MetricsHandler: RequestHandler {
    static let name = "metrics"

    func handle(_ context: inout RequestContext, pipeline: Pipeline) -> Response {
        guard context.method == "GET" || context.method == "HEAD" else { return pipeline.errorResponse(405, &context) }
        let snapshot = StatusSnapshot.take(StatusFacts.facts(for: context, configuration: pipeline.configuration))
        let body = MetricsPage.render(snapshot)
        return Response(status: 200, headers: ["Content-Type": MetricsPage.contentType], body: .bytes(Array(body.utf8)))
    }
}

/// mod_status's query options: `auto`, `notable`, `refresh[=N]` (anywhere in the query,
/// as Apache finds them).
struct StatusQuery: Equatable {
    var auto = false
    var noTables = false
    /// The `Refresh` header's value: N when given as a positive number, else 1.
    var refresh: String?

    init(_ query: String) {
        for item in query.split(separator: "&") {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            switch parts[0] {
            case "auto": auto = true
            case "notable": noTables = true
            case "refresh":
                if parts.count == 2, let seconds = Int(parts[1]), seconds > 0 {
                    refresh = String(seconds)
                } else {
                    refresh = "1"
                }
            default: break
            }
        }
    }
}

/// What the daemon tells the figures: the names and facts of this server.
enum StatusFacts {
    static func facts(for context: RequestContext, configuration: ServerConfiguration) -> StatusSnapshot.ServerFacts {
        let serverName =
            context.headers["Host"].flatMap(ServerConfiguration.hostName(fromHostHeader:))?.lowercased()
            ?? context.host.serverName ?? context.request.connection.localAddress
        return StatusSnapshot.ServerFacts(
            serverName: serverName, serverVersion: "isapid/\(ServerSoftware.version) (Linux)", serverBuilt: built,
            extendedStatus: configuration.extendedStatus, threadsPerChild: configuration.threadsPerChild,
            maxConnections: configuration.maxConnections, cachedExtensions: configuration.isapiCacheFiles,
            stopping: ServerFigures.shared.stopping.load(ordering: .relaxed),
            rewriteHits: RuleHitCounter.all)
    }

    /// "Server Built": the executable's modification time, as Apache prints its build
    /// time ("2026-11-12T08:58:41").
    static let built: String = {
        var status = stat()
        guard stat("/proc/self/exe", &status) == 0 else { return "unknown" }
        var seconds = status.st_mtim.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
            parts.tm_hour, parts.tm_min, parts.tm_sec)
    }()
}
