import CrashBoard
import Foundation
import ISAPIHost
import Logging
import ServerConfig

/// The ISAPI filters of the configuration in force, in the serving child (issue 17).
///
/// Threading (see extensions/README.md "Filters"): notifications run on the thread the
/// phase runs on. The daemon runs the phases of a request whose filters want a
/// request-phase notification (`Pipeline.filtersWantRequestPhases`) on the extension
/// pool, so a filter that blocks holds a pool thread, not an event loop; LOG,
/// END_OF_REQUEST and END_OF_NET_SESSION run on the connection's loop. A request no
/// filter is interested in pays one Boolean test per phase.
///
/// The daemon owns one for its whole life (filters outlive a configuration: a reload
/// keeps the ones it still lists) and gives it to each generation's `Pipeline`; it tells
/// it of each configuration (`configurationLoaded`: loads the new filters, unloads the
/// dropped ones) and of the end of serving (`shutdown`: TerminateFilter for all). It is
/// no request handler: no `SetHandler` names it.
public final class ISAPIFilterHost: @unchecked Sendable {
    private let lock = NSLock()
    private var filters: FilterSet?
    private var logger = Logger(label: "isapi")
    private var logNotSupported = false

    public init() {}

    /// The filters in force now, if any are configured.
    public var current: FilterSet? { lock.withLock { filters } }

    /// Loads the new generation, swaps it in, then unloads the filters it dropped: the
    /// lock is held only for the swap, so requests never wait for a dropped filter to
    /// return from a notification (reloads come one at a time).
    public func configurationLoaded(_ configuration: ServerConfiguration, logger makeLogger: (String) -> Logger) {
        let logger = makeLogger("isapi")
        let previous = current
        let next =
            Self.hasFilters(configuration)
            ? FilterSet(
                global: Self.entries(configuration.mainHost), sites: Self.siteEntries(configuration),
                previous: previous, logger: logger)
            : nil
        lock.withLock {
            filters = next
            self.logger = logger
            logNotSupported = configuration.mainHost.isapiFilters.logNotSupported
        }
        previous?.retire(keeping: next, logger: logger)
    }

    public func shutdown() {
        let (set, logger) = lock.withLock { () -> (FilterSet?, Logger) in
            defer { filters = nil }
            return (filters, self.logger)
        }
        set?.retire(keeping: nil, logger: logger)
    }

    /// One connection's filter state; its HttpFilterProc calls are noted on the crash board.
    public func makeSession(secure: Bool) -> FilterSession {
        let (logger, logNotSupported) = lock.withLock { (self.logger, self.logNotSupported) }
        return FilterSession(isSecure: secure, logger: logger, logNotSupported: logNotSupported) {
            path, notification, host, call in
            // Without a board (`isapid -X`), not even the request's parts are gathered.
            guard CrashBoard.isAttached else { return call() }
            guard let request = host?.requestLine else {
                return CrashBoard.during(extensionPath: path, request: "ISAPI filter: \(notification.name) for a connection",
                                         call)
            }
            return CrashBoard.during(
                extensionPath: path, lead: Self.crashBoardLeads[notification.flag], method: request.method,
                target: request.target, versionMajor: request.versionMajor, versionMinor: request.versionMinor,
                client: request.client, call)
        }
    }

    /// What the crash board's text for a filter call starts with, per notification
    /// ("ISAPI filter: SF_NOTIFY_SEND_RESPONSE for "), made once.
    private static let crashBoardLeads = Dictionary(
        uniqueKeysWithValues: FilterNotification.allCases.map { ($0.flag, "ISAPI filter: \($0.name) for ") })

    /// Whether any host lists a filter (a configuration without costs nothing per request).
    public static func hasFilters(_ configuration: ServerConfiguration) -> Bool {
        configuration.allHosts.contains { !$0.isapiFilters.lines.isEmpty }
    }

    static func entries(_ host: VirtualHost) -> [FilterSet.Entry] {
        host.isapiFilters.lines.map { FilterSet.Entry(path: $0.path, location: "\($0.location)") }
    }

    static func siteEntries(_ configuration: ServerConfiguration) -> [Int: [FilterSet.Entry]] {
        var sites: [Int: [FilterSet.Entry]] = [:]
        for host in configuration.virtualHosts where !host.isapiFilters.lines.isEmpty {
            sites[host.id] = entries(host)
        }
        return sites
    }

    /// `isapid -t`: each configured filter is loaded (and unloaded) once; the ones that
    /// fail, with their configuration line, as warnings (the daemon serves without them).
    public static func check(_ configuration: ServerConfiguration) -> [String] {
        var seen = Set<String>()
        var problems: [String] = []
        for host in configuration.allHosts {
            for entry in entries(host) where seen.insert(entry.path).inserted {
                switch FilterSet.load(entry) {
                case .success(let library): library.unload()
                case .failure(let error): problems.append("\(entry.location): ISAPIFilter: \(error.description)")
                }
            }
        }
        return problems
    }
}
