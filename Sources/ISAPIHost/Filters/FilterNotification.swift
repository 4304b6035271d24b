import CISAPI

/// The thirteen notifications of IIS 6's filter API, with their `SF_NOTIFY_*` bits and
/// names (the names go into log lines and crash reports).
public enum FilterNotification: CaseIterable, Sendable {
    case readRawData, preprocHeaders, authentication, urlMap, accessDenied, sendResponse, sendRawData
    case log, endOfRequest, endOfNetSession, authComplete

    /// The bit a filter sets in `HTTP_FILTER_VERSION.dwFlags` to receive it.
    public var flag: UInt32 {
        switch self {
        case .readRawData: return UInt32(SF_NOTIFY_READ_RAW_DATA)
        case .preprocHeaders: return UInt32(SF_NOTIFY_PREPROC_HEADERS)
        case .authentication: return UInt32(SF_NOTIFY_AUTHENTICATION)
        case .urlMap: return UInt32(SF_NOTIFY_URL_MAP)
        case .accessDenied: return UInt32(SF_NOTIFY_ACCESS_DENIED)
        case .sendResponse: return UInt32(SF_NOTIFY_SEND_RESPONSE)
        case .sendRawData: return UInt32(SF_NOTIFY_SEND_RAW_DATA)
        case .log: return UInt32(SF_NOTIFY_LOG)
        case .endOfRequest: return UInt32(SF_NOTIFY_END_OF_REQUEST)
        case .endOfNetSession: return UInt32(SF_NOTIFY_END_OF_NET_SESSION)
        case .authComplete: return UInt32(SF_NOTIFY_AUTH_COMPLETE)
        }
    }

    /// `SF_NOTIFY_PREPROC_HEADERS`.
    public var name: String {
        switch self {
        case .readRawData: return "SF_NOTIFY_READ_RAW_DATA"
        case .preprocHeaders: return "SF_NOTIFY_PREPROC_HEADERS"
        case .authentication: return "SF_NOTIFY_AUTHENTICATION"
        case .urlMap: return "SF_NOTIFY_URL_MAP"
        case .accessDenied: return "SF_NOTIFY_ACCESS_DENIED"
        case .sendResponse: return "SF_NOTIFY_SEND_RESPONSE"
        case .sendRawData: return "SF_NOTIFY_SEND_RAW_DATA"
        case .log: return "SF_NOTIFY_LOG"
        case .endOfRequest: return "SF_NOTIFY_END_OF_REQUEST"
        case .endOfNetSession: return "SF_NOTIFY_END_OF_NET_SESSION"
        case .authComplete: return "SF_NOTIFY_AUTH_COMPLETE"
        }
    }

    /// Every notification bit together.
    public static let allFlags: UInt32 = allCases.reduce(0) { $0 | $1.flag }
    /// The notifications a request's phases raise (not the raw-data ones nor the session's end).
    public static let requestPhaseFlags: UInt32 =
        [preprocHeaders, authentication, urlMap, accessDenied, sendResponse, log, endOfRequest, authComplete]
        .reduce(0) { $0 | $1.flag }
}

/// What a notification's filters decided, from their `SF_STATUS_*` codes (IIS 6):
/// NEXT_NOTIFICATION passes to the next filter; HANDLED_NOTIFICATION stops this
/// notification's chain but the request goes on; FINISHED and FINISHED_KEEP_CONN end the
/// request (the filter has answered it; IIS closes the connection after FINISHED);
/// ERROR ends it (a 500, or a 401 when the filter set ERROR_ACCESS_DENIED, as IIS does);
/// READ_NEXT (raw reads) asks for more bytes.
public enum FilterOutcome: Equatable, Sendable {
    case proceed
    case finished(keepConnection: Bool)
    /// SF_STATUS_REQ_ERROR with the filter's last error (0 for a code that is no SF_STATUS_*).
    case error(lastError: UInt32)
    case readNext

    /// The outcome of one filter's return code, and whether the chain goes on to the next filter.
    static func of(_ code: DWORD) -> (outcome: FilterOutcome, nextFilter: Bool)? {
        switch code {
        case DWORD(SF_STATUS_REQ_NEXT_NOTIFICATION.rawValue): return (.proceed, true)
        case DWORD(SF_STATUS_REQ_HANDLED_NOTIFICATION.rawValue): return (.proceed, false)
        case DWORD(SF_STATUS_REQ_FINISHED.rawValue): return (.finished(keepConnection: false), false)
        case DWORD(SF_STATUS_REQ_FINISHED_KEEP_CONN.rawValue): return (.finished(keepConnection: true), false)
        case DWORD(SF_STATUS_REQ_ERROR.rawValue): return (.error(lastError: GetLastError()), false)
        case DWORD(SF_STATUS_REQ_READ_NEXT.rawValue): return (.readNext, false)
        default: return nil
        }
    }
}

/// `SF_NOTIFY_ORDER_*`: where a filter runs within its list (IIS: high, then medium, then
/// low; a filter that names none is low).
public enum FilterPriority: Int, Comparable, Sendable {
    case high = 0
    case medium = 1
    case low = 2

    init(flags: UInt32) {
        if flags & UInt32(SF_NOTIFY_ORDER_HIGH) != 0 {
            self = .high
        } else if flags & UInt32(SF_NOTIFY_ORDER_MEDIUM) != 0 {
            self = .medium
        } else {
            self = .low
        }
    }

    public var name: String {
        switch self {
        case .high: return "high"
        case .medium: return "medium"
        case .low: return "low"
        }
    }

    public static func < (a: FilterPriority, b: FilterPriority) -> Bool { a.rawValue < b.rawValue }
}

/// GetServerVariable's answers for a request, for the filter callbacks' hosts.
public enum ISAPIServerVariables {
    public static func value(_ name: String, in request: ISAPIRequest) -> String? {
        ServerVariables(request: request).value(name)
    }
}
