import CISAPI
import Foundation
import Logging

/// What a notification's filters may ask of the request side while they run: the
/// server variables defined at that point, and the headers of the message the
/// notification concerns (the request's for PREPROC_HEADERS and AUTH_COMPLETE, with the
/// special names `method`, `url`, `version`; the response's for SEND_RESPONSE).
public protocol FilterRequestHost: AnyObject {
    func serverVariable(_ name: String) -> String?
    func header(_ name: String) -> String?
    /// Replaces (an empty value removes) a header; false when the name is not allowed here.
    func setHeader(_ name: String, _ value: String) -> Bool
    func addHeader(_ name: String, _ value: String) -> Bool
    /// SF_REQ_NORMALIZE_URL: the URL decoded and without dot-segments, or nil when refused.
    func normalizeURL(_ url: String) -> String?
    /// The request, for crash reports (`GET /x HTTP/1.1 from 127.0.0.1`), by parts.
    var requestLine: FilterRequestLine { get }
}

/// A request as crash reports name a filter call serving it, in parts (the report's text
/// is composed where it is kept, without a string per call).
public struct FilterRequestLine: Sendable, Equatable {
    public var method: String
    public var target: String
    public var versionMajor: Int
    public var versionMinor: Int
    /// The client's address.
    public var client: String

    public init(method: String, target: String, versionMajor: Int, versionMinor: Int, client: String) {
        self.method = method
        self.target = target
        self.versionMajor = versionMajor
        self.versionMinor = versionMinor
        self.client = client
    }
}

/// One connection's filter state, as IIS keeps it: for each filter its own
/// `HTTP_FILTER_CONTEXT` (so `pFilterContext` lives as long as the connection), the
/// memory `AllocMem` gave out (freed when the connection ends), and what the filters
/// asked for during the request (response headers, output, notifications disabled).
///
/// Notifications of one connection come one at a time (its requests are serial), but
/// possibly from different threads: the lock guards the state between them.
public final class FilterSession: @unchecked Sendable {
    public let isSecure: Bool
    /// SF_REQ_GET_CONNID's answer.
    public let connectionID: UInt32
    let logger: Logger
    /// ISAPIFilterLogNotSupported: log requests a filter makes that isapid does not support.
    let logNotSupported: Bool
    /// The site (`SF_PROPERTY_INSTANCE_NUM_ID`), set by the caller per request.
    public var siteID: Int = 1
    /// Wraps each HttpFilterProc call (the daemon notes it on the crash board): the
    /// filter's path, the notification, the request's host (nil for a connection's raw data).
    let around: @Sendable (_ path: String, _ notification: FilterNotification, _ host: FilterRequestHost?,
                           _ call: () -> DWORD) -> DWORD

    let lock = NSLock()
    private var contexts: [ObjectIdentifier: FilterContextBox] = [:]
    var allocations: [UnsafeMutableRawPointer] = []
    var allocatedBytes = 0
    /// AllocMem refused once on this connection (logged once: a loop of refusals is one line).
    var allocationRefused = false
    /// `close` ran (it acts once).
    private var closed = false
    /// The host of the notification running now (nil between notifications).
    var host: FilterRequestHost?
    /// What the filters asked for during the current request.
    public internal(set) var requestState = FilterRequestState()
    /// What becomes of the connection after the current request's answer (guarded by `lock`).
    private var afterAnswer = AfterAnswer.keepConnection

    /// The connection after the answer: as HTTP says (keep-alive or not), or closed because
    /// a filter returned SF_STATUS_REQ_FINISHED (IIS: "close the session").
    public enum AfterAnswer: Sendable {
        case keepConnection
        case closeConnection
    }

    /// AllocMem's limit per connection: past it, NULL with ERROR_NOT_ENOUGH_MEMORY.
    public static let allocationLimit = 16 << 20

    private static let nextConnectionID = NSLock()
    nonisolated(unsafe) private static var lastConnectionID: UInt32 = 0

    public init(
        isSecure: Bool, logger: Logger, logNotSupported: Bool = false,
        around: @escaping @Sendable (String, FilterNotification, FilterRequestHost?, () -> DWORD) -> DWORD = {
            _, _, _, call in call()
        }
    ) {
        self.isSecure = isSecure
        self.logger = logger
        self.logNotSupported = logNotSupported
        self.around = around
        connectionID = Self.nextConnectionID.withLock {
            Self.lastConnectionID &+= 1
            return Self.lastConnectionID
        }
    }

    deinit { freeConnectionState() }

    /// Runs `notification` through `list` (those of its filters that asked for it, on this
    /// kind of port, and have not disabled it) with `data` as `pvNotification`.
    public func notify(
        _ notification: FilterNotification, list: FilterList,
        host: FilterRequestHost?, data: UnsafeMutableRawPointer?
    ) -> FilterOutcome {
        guard list.wants(notification) else { return .proceed }
        // A raw read (no host) may come on the event loop while the pool runs the request's
        // notifications: it leaves their host in place.
        if let host { lock.withLock { self.host = host } }
        defer { if host != nil { lock.withLock { self.host = nil } } }
        for filter in list.filters where filter.notifications & notification.flag != 0 {
            guard filter.servesPort(secure: isSecure) else { continue }
            let box = context(for: filter)
            if lock.withLock({ box.disabled & notification.flag != 0 }) { continue }
            SetLastError(0)
            let answer = around(filter.path, notification, host) {
                filter.call(box.pointer, notification, data) ?? DWORD(SF_STATUS_REQ_NEXT_NOTIFICATION.rawValue)
            }
            let code = answer
            guard let (outcome, next) = FilterOutcome.of(code) else {
                logger.error(
                    "ISAPI filter \(filter.path) returned \(code) (no SF_STATUS_* code) from HttpFilterProc for \(notification.name); answering 500",
                    metadata: ["id": "IS02303"])
                return .error(lastError: 0)
            }
            if case .error(let lastError) = outcome, lastError != DWORD(ERROR_ACCESS_DENIED) {
                logger.error(
                    "ISAPI filter \(filter.path) returned SF_STATUS_REQ_ERROR for \(notification.name) (last error \(lastError))",
                    metadata: ["id": "IS02304"])
            }
            if !next { return outcome }
        }
        return .proceed
    }

    /// Request-scoped state back to its start (notifications disabled, output, headers):
    /// after END_OF_REQUEST.
    public func endRequest() {
        lock.withLock {
            requestState = FilterRequestState()
            afterAnswer = .keepConnection
            for box in contexts.values { box.disabled = 0 }
        }
    }

    /// SF_STATUS_REQ_FINISHED: the connection closes once the filter's answer is written.
    public func closeAfterAnswer() { lock.withLock { afterAnswer = .closeConnection } }

    /// Whether a filter asked (FINISHED) for the connection to close after this answer.
    public var closesAfterAnswer: Bool { lock.withLock { afterAnswer == .closeConnection } }

    /// SF_REQ_SET_NEXT_READ_SIZE's size (taken: it is for the next read only), if a filter set one.
    public func takeNextReadSize() -> Int? {
        lock.withLock {
            defer { requestState.nextReadSize = nil }
            return requestState.nextReadSize
        }
    }

    /// Takes (and clears) the response headers and output the filters produced so far.
    public func takeOutput() -> FilterRequestState {
        lock.withLock {
            let state = requestState
            requestState.addedHeaders = []
            requestState.output = []
            requestState.sentResponseHead = false
            return state
        }
    }

    /// The connection ended: END_OF_NET_SESSION to the filters that asked for it, then the
    /// AllocMem blocks are freed and the contexts forgotten.
    public func close(list: FilterList) {
        let first = lock.withLock { () -> Bool in
            defer { closed = true }
            return !closed
        }
        guard first else { return }
        _ = notify(.endOfNetSession, list: list, host: nil, data: nil)
        freeConnectionState()
    }

    private func freeConnectionState() {
        let (boxes, blocks) = lock.withLock { () -> ([FilterContextBox], [UnsafeMutableRawPointer]) in
            defer {
                contexts = [:]
                allocations = []
                allocatedBytes = 0
                allocationRefused = false
            }
            return (Array(contexts.values), allocations)
        }
        for box in boxes { FilterContextTable.remove(box) }
        for block in blocks { free(block) }
    }

    /// The filter's HTTP_FILTER_CONTEXT on this connection, made at its first notification.
    private func context(for filter: FilterLibrary) -> FilterContextBox {
        lock.withLock {
            if let box = contexts[ObjectIdentifier(filter)] { return box }
            let box = FilterContextBox(filter: filter, session: self, isSecure: isSecure)
            contexts[ObjectIdentifier(filter)] = box
            FilterContextTable.add(box)
            return box
        }
    }
}

/// What the filters asked for during one request.
public struct FilterRequestState: Sendable {
    /// AddResponseHeaders: added to the response.
    public var addedHeaders: [(name: String, value: String)] = []
    /// SF_REQ_ADD_HEADERS_ON_DENIAL: added to a 401.
    public var denialHeaders: [(name: String, value: String)] = []
    /// WriteClient and SF_REQ_SEND_RESPONSE_HEADER bytes, in order.
    public var output: [UInt8] = []
    /// Whether `output` begins with a head a filter sent (SF_REQ_SEND_RESPONSE_HEADER).
    public var sentResponseHead = false
    /// SF_REQ_SET_NEXT_READ_SIZE.
    public var nextReadSize: Int?
}

/// One filter's HTTP_FILTER_CONTEXT on one connection. Its address is what the filter
/// passes back to every callback; `FilterContextTable` maps it to this box.
final class FilterContextBox: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<HTTP_FILTER_CONTEXT>
    let filter: FilterLibrary
    unowned let session: FilterSession
    /// SF_REQ_DISABLE_NOTIFICATIONS, until the end of the request (guarded by the session's lock).
    var disabled: UInt32 = 0

    init(filter: FilterLibrary, session: FilterSession, isSecure: Bool) {
        self.filter = filter
        self.session = session
        pointer = .allocate(capacity: 1)
        pointer.initialize(to: HTTP_FILTER_CONTEXT())
        pointer.pointee.cbSize = DWORD(MemoryLayout<HTTP_FILTER_CONTEXT>.size)
        pointer.pointee.Revision = DWORD((HTTP_FILTER_MAJOR << 16) | HTTP_FILTER_MINOR)
        pointer.pointee.fIsSecurePort = isSecure ? 1 : 0
        FilterCallbacks.install(in: pointer)
    }

    deinit {
        pointer.deinitialize(count: 1)
        pointer.deallocate()
    }
}

/// The HTTP_FILTER_CONTEXT addresses handed to filters, and their boxes: a callback with
/// an address not in the table (a stale or forged one) gets FALSE and
/// ERROR_INVALID_PARAMETER, never a crash. Only the address is compared: an unknown one
/// is never dereferenced.
enum FilterContextTable {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var boxes: [UInt: FilterContextBox] = [:]

    static func add(_ box: FilterContextBox) {
        lock.withLock { boxes[UInt(bitPattern: box.pointer)] = box }
    }

    static func remove(_ box: FilterContextBox) {
        _ = lock.withLock { boxes.removeValue(forKey: UInt(bitPattern: box.pointer)) }
    }

    static func box(_ pointer: UnsafeMutableRawPointer?) -> FilterContextBox? {
        guard let pointer else { return nil }
        return lock.withLock { boxes[UInt(bitPattern: pointer)] }
    }
}
