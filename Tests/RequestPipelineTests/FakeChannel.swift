import Foundation
import Logging
@testable import RequestPipeline

/// A client connection as a blocking handler (an extension) sees it: a scripted request body in, and
/// a record of what the handler answered.
final class FakeChannel: ResponseChannel, @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = NSLock()
    private let requestBody: [UInt8]
    private var bodyOffset = 0
    private let readPiece: Int
    private let bodyFails: Bool
    private let clientLeavesAfter: Int?
    private var sentHead = false
    private var connected = true
    private(set) var largestBodyRead = 0
    private(set) var status: Int?
    private(set) var reason: String?
    private(set) var headers = HeaderFields()
    private(set) var body: [UInt8] = []
    private(set) var response: Response?
    private(set) var finishedClosing: Bool?

    /// - Parameters:
    ///   - requestBody: what `readBody` returns, `readPiece` bytes at a time.
    ///   - bodyFails: `readBody` fails (nil) after the body instead of ending.
    ///   - clientLeavesAfter: `sendBody` fails once this many body bytes were sent.
    init(requestBody: [UInt8] = [], readPiece: Int = 10_000, bodyFails: Bool = false, clientLeavesAfter: Int? = nil) {
        self.requestBody = requestBody
        self.readPiece = readPiece
        self.bodyFails = bodyFails
        self.clientLeavesAfter = clientLeavesAfter
    }

    var text: String { String(decoding: body, as: UTF8.self) }

    func readBody(into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        lock.withLock {
            largestBodyRead = max(largestBodyRead, buffer.count)
            let count = min(buffer.count, readPiece, requestBody.count - bodyOffset)
            if count == 0 { return bodyFails ? nil : 0 }
            requestBody[bodyOffset..<(bodyOffset + count)].withUnsafeBytes { buffer.copyMemory(from: $0) }
            bodyOffset += count
            return count
        }
    }

    func sendHead(status: Int, reason: String?, headers: HeaderFields) -> Bool {
        lock.withLock {
            guard !sentHead, connected else { return false }
            sentHead = true
            self.status = status
            self.reason = reason
            self.headers = headers
            return true
        }
    }

    func sendBody(_ bytes: UnsafeRawBufferPointer) -> Bool {
        lock.withLock {
            guard sentHead, connected else { return false }
            body += bytes
            if let clientLeavesAfter, body.count >= clientLeavesAfter { connected = false }
            return connected
        }
    }

    func respond(_ response: Response) -> Bool {
        lock.withLock {
            guard !sentHead else { return false }
            sentHead = true
            self.response = response
            status = response.status
            return true
        }
    }

    func finish(closeConnection: Bool) { lock.withLock { finishedClosing = closeConnection } }
    var headSent: Bool { lock.withLock { sentHead } }
    var isConnected: Bool { lock.withLock { connected } }
    var keepsConnection: Bool { true }
    func annotateLog(note name: String, value: String, appendToQuery: Bool) {}
}

/// Error-log lines with their message ids.
final class ProxyLogs: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [(id: String, message: String)] = []
    func append(id: String, message: String) { lock.withLock { stored.append((id, message)) } }
    var ids: [String] { lock.withLock { stored.map(\.id) } }
    var messages: [String] { lock.withLock { stored.map(\.message) } }
}

struct ProxyLogHandler: LogHandler {
    let logs: ProxyLogs
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        logs.append(id: event.metadata?["id"]?.description ?? "", message: event.message.description)
    }
}
