import Foundation
@testable import ISAPIHost

/// A connection that records what the host does with it.
final class FakeConnection: ISAPIConnection, @unchecked Sendable {
    private let lock = NSLock()
    private var body: [UInt8]
    private var bodyOffset = 0
    var failReads = false
    var connected = true
    private(set) var head: (status: Int, reason: String?, headers: [(name: String, value: String)])?
    private(set) var sent: [UInt8] = []
    /// How many times body bytes were handed over (`sendBody` and its timer variant).
    private(set) var bodyHandOvers = 0
    /// The body sent when `readBody` was first called.
    private(set) var sentBeforeFirstRead: String?
    /// `finish(closeConnection:)`'s argument, once called.
    private(set) var finished: Bool?
    private(set) var respondedStatus: Int?
    private(set) var redirectedTo: String?
    private(set) var internallyRedirectedTo: String?
    private(set) var logParameters: [(String, Bool)] = []
    var mappings: [String: (String, Bool)] = [:]

    init(body: [UInt8] = []) { self.body = body }

    func readBody(into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        if failReads { return nil }
        if sentBeforeFirstRead == nil { sentBeforeFirstRead = String(decoding: sent, as: UTF8.self) }
        // Deliver in small pieces, as a socket would.
        let count = min(buffer.count, body.count - bodyOffset, 7000)
        buffer.copyBytes(from: body[bodyOffset..<(bodyOffset + count)])
        bodyOffset += count
        return count
    }

    func sendHead(status: Int, reason: String?, headers: [(name: String, value: String)]) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard head == nil, connected else { return false }
        head = (status, reason, headers)
        return true
    }

    func sendBody(_ bytes: UnsafeRawBufferPointer) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard connected, head != nil else { return false }
        bodyHandOvers += 1
        sent += bytes
        return true
    }

    func sendBodyWithoutWaiting(_ bytes: UnsafeRawBufferPointer) -> Bool { sendBody(bytes) }

    func finish(closeConnection: Bool) { lock.withLock { finished = closeConnection } }
    func respond(status: Int) { lock.withLock { respondedStatus = status } }
    func redirect(to url: String) { lock.withLock { redirectedTo = url } }
    func internalRedirect(to url: String) { lock.withLock { internallyRedirectedTo = url } }
    func mapURLToPath(_ url: String) -> (path: String, isDirectory: Bool)? { mappings[url] }
    func appendLogParameter(_ text: String, toQuery: Bool) { lock.withLock { logParameters.append((text, toQuery)) } }
    var headSent: Bool { lock.withLock { head != nil } }
    var isConnected: Bool { lock.withLock { connected } }
    var keepsConnection: Bool { true }
    var sentText: String { lock.withLock { String(decoding: sent, as: UTF8.self) } }
}

extension ISAPIRequest {
    static func make(method: String = "GET", query: String = "", pathInfo: String = "", contentLength: Int64? = nil,
                     chunked: Bool = false, variables: [(String, String)] = [], headers: [(String, String)] = []) -> ISAPIRequest {
        ISAPIRequest(
            method: method, queryString: query, pathInfo: pathInfo, pathTranslated: pathInfo.isEmpty ? "" : "/srv" + pathInfo,
            contentType: "", contentLength: contentLength, isChunked: chunked,
            variables: variables.map { (name: $0.0, value: $0.1) }, rawHeaders: headers.map { (name: $0.0, value: $0.1) })
    }
}
