import ISAPIHost
import ServerConfig

/// One connection's filter state, as the daemon holds it (it needs no ISAPIHost import).
public typealias ConnectionFilters = FilterSession

/// A request's filters: this connection's session, the generation and the list of the
/// request's site. A copy travels in `RequestContext.filters`.
public struct RequestFilters: Sendable {
    public let session: FilterSession
    public let set: FilterSet
    public var list: FilterList
    /// SF_NOTIFY_AUTHENTICATION's result: it runs once per request (an internal redirect
    /// keeps it), and the user it leaves is the request's user.
    var authentication = FilterAuthentication.notYet

    /// The user a filter's AUTHENTICATION left, when not empty: IIS's logged-on user.
    var user: String? {
        guard case .done(let user, _) = authentication, !user.isEmpty else { return nil }
        return user
    }

    /// The server variables that name the request's user, for extensions and filters'
    /// GetServerVariable: AUTH_USER, LOGON_USER, REMOTE_USER (and the Basic password and
    /// type, as IIS gives them after a Basic logon). Empty without a user.
    var userVariables: [(name: String, value: String)] {
        guard case .done(let user, let password) = authentication, !user.isEmpty else { return [] }
        return [
            ("AUTH_TYPE", "Basic"), ("AUTH_USER", user), ("LOGON_USER", user), ("REMOTE_USER", user),
            ("UNMAPPED_REMOTE_USER", user), ("AUTH_PASSWORD", password),
        ]
    }

    /// The bit test every phase makes before building anything for a notification.
    @inline(__always) func wants(_ notification: FilterNotification) -> Bool { list.wants(notification) }
}

/// Whether AUTHENTICATION has run for the request, and the user and password it left.
enum FilterAuthentication: Sendable {
    case notYet
    case done(user: String, password: String)
}

/// The request side of PREPROC_HEADERS and AUTH_COMPLETE: the request's headers and the
/// special names `method`, `url` and `version`, all writable, and the server variables
/// of the request as it stands.
final class RequestHeadersFilterHost: FilterRequestHost {
    var request: IncomingRequest
    let pipeline: Pipeline

    init(_ request: IncomingRequest, pipeline: Pipeline) {
        self.request = request
        self.pipeline = pipeline
    }

    var requestLine: FilterRequestLine { FilterRequestLine(request) }

    func serverVariable(_ name: String) -> String? {
        var context = RequestContext(request: request, host: pipeline.configuration.mainHost)
        _ = pipeline.normalizeURI(&context)
        return pipeline.serverVariable(name, context)
    }

    func header(_ name: String) -> String? {
        switch name.lowercased() {
        case "method": return request.method
        case "url": return request.target
        case "version": return request.protocolName
        default: return request.headers[name]
        }
    }

    func setHeader(_ name: String, _ value: String) -> Bool {
        switch name.lowercased() {
        case "method":
            guard !value.isEmpty, !value.contains(" ") else { return false }
            request.method = value
        case "url":
            guard value.hasPrefix("/") || value == "*" else { return false }
            request.target = value
        case "version":
            guard value.hasPrefix("HTTP/1."), let minor = Int(value.dropFirst(7)), (0...1).contains(minor) else {
                return false
            }
            request.versionMinor = minor
        default:
            if value.isEmpty { request.headers.remove(name) } else { request.headers.set(name, value) }
        }
        return true
    }

    func addHeader(_ name: String, _ value: String) -> Bool {
        switch name.lowercased() {
        case "method", "url", "version": return setHeader(name, value)
        default:
            request.headers.add(name, value)
            return true
        }
    }

    func normalizeURL(_ url: String) -> String? { pipeline.normalizedURL(url) }
}

/// The later notifications' side: the request's context for the server variables and,
/// for SEND_RESPONSE, the response's headers (writable).
final class ContextFilterHost: FilterRequestHost {
    let context: RequestContext
    var headers: HeaderFields
    let pipeline: Pipeline

    init(_ context: RequestContext, headers: HeaderFields = [:], pipeline: Pipeline) {
        self.context = context
        self.headers = headers
        self.pipeline = pipeline
    }

    var requestLine: FilterRequestLine { FilterRequestLine(context.request) }
    func serverVariable(_ name: String) -> String? { pipeline.serverVariable(name, context) }
    func header(_ name: String) -> String? { headers[name] }

    func setHeader(_ name: String, _ value: String) -> Bool {
        if value.isEmpty { headers.remove(name) } else { headers.set(name, value) }
        return true
    }

    func addHeader(_ name: String, _ value: String) -> Bool {
        headers.add(name, value)
        return true
    }

    func normalizeURL(_ url: String) -> String? { pipeline.normalizedURL(url) }
}

extension Pipeline {
    /// A server variable as an extension of this request would see it (GetServerVariable).
    func serverVariable(_ name: String, _ context: RequestContext) -> String? {
        let request = ISAPIExtensionRun.request(context, configuration: configuration)
        return ISAPIServerVariables.value(name, in: request)
    }

    /// SF_REQ_NORMALIZE_URL: phase 1's decoding and dot-segment removal.
    func normalizedURL(_ url: String) -> String? {
        guard let (path, query) = URIPath.split(target: url), case .success(let normalized) = URIPath.normalize(path)
        else { return nil }
        return normalized + (query.map { "?" + $0 } ?? "")
    }
}

extension FilterRequestLine {
    init(_ request: IncomingRequest) {
        self.init(method: request.method, target: request.target, versionMajor: request.versionMajor,
                  versionMinor: request.versionMinor, client: request.connection.remoteAddress)
    }
}
