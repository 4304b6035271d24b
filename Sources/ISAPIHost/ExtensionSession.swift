import CISAPI
import Foundation
import Logging
import Synchronization

/// One request inside one extension: owns the ECB and every string it points to for
/// exactly the length of the call, and carries what the callbacks change.
final class ExtensionSession: @unchecked Sendable {
    // Immutable after init, except `state`, a mutex: an extension may call back from
    // several threads (ISAPIFakeAsync).
    let request: ISAPIRequest
    let connection: any ISAPIConnection
    let settings: ISAPISettings
    let extensionPath: String
    let logger: Logger
    let ecb: UnsafeMutablePointer<EXTENSION_CONTROL_BLOCK>
    /// DONE_WITH_SESSION's signal for a PENDING request, and the clock of the
    /// extension's silence while it is pending: only under ISAPIFakeAsync, where alone
    /// PENDING is waited for (DONE_WITH_SESSION is refused without it); other sessions
    /// share `PendingCompletion.unused`, which nothing signals or waits on.
    let done: PendingCompletion
    /// The small writes held back until they are worth a hand-over (`SessionOutput`).
    let output = SessionOutput()

    /// Sendable by hand: `completion` is the extension's own function and context,
    /// handed back only to it.
    struct State: @unchecked Sendable {
        /// SEND_URL or a redirect answered the request: nothing more is sent.
        var answered = false
        /// The extension's head was refused (bad header): the answer is a 500, and
        /// every later head or body write is refused too.
        var headRefused = false
        var closeConnection = false
        var completion: (callback: PFN_HSE_IO_COMPLETION, context: UnsafeMutableRawPointer?)?
    }
    /// Inline (no allocation per call, as an NSLock made two).
    private let state = Mutex(State())

    /// The ECB's strings, NUL-terminated one after another in one allocation.
    private var ecbStrings: UnsafeMutableRawBufferPointer?
    private let readAhead: UnsafeMutableRawBufferPointer
    private(set) var connID: UInt = 0

    init(request: consuming ISAPIRequest, connection: any ISAPIConnection, settings: ISAPISettings, extensionPath: String,
         logger: Logger) {
        request.removeBackslashClimb()
        self.request = request
        self.connection = connection
        self.settings = settings
        self.extensionPath = extensionPath
        self.logger = logger
        done = settings.fakeAsync ? PendingCompletion() : .unused
        ecb = .allocate(capacity: 1)
        ecb.initialize(to: EXTENSION_CONTROL_BLOCK())
        let hasBody = self.request.isChunked || (self.request.contentLength ?? 0) > 0
        let aheadSize = hasBody ? max(0, settings.readAheadBuffer) : 0
        // One byte more than the data, zeroed: lpbData is NUL-terminated after cbAvailable.
        readAhead = .allocate(byteCount: aheadSize + 1, alignment: 1)
        readAhead.initializeMemory(as: UInt8.self, repeating: 0)
    }

    deinit {
        ecbStrings?.deallocate()
        readAhead.deallocate()
        ecb.deinitialize(count: 1)
        ecb.deallocate()
    }

    func withState<T: Sendable>(_ body: (inout State) -> T) -> T {
        state.withLock { body(&$0) }
    }

    /// Points the ECB's strings (method, query, path info, path translated, content type)
    /// at copies in one allocation, alive until the session ends; never NULL.
    private func fillECBStrings() {
        let total = request.method.utf8.count + request.queryString.utf8.count + request.pathInfo.utf8.count
            + request.pathTranslated.utf8.count + request.contentType.utf8.count + 5
        let block = UnsafeMutableRawBufferPointer.allocate(byteCount: total, alignment: 1)
        ecbStrings = block
        var offset = 0
        func copy(_ text: String) -> UnsafeMutablePointer<CChar> {
            let start = offset
            let count = text.utf8.count
            let target = UnsafeMutableRawBufferPointer(rebasing: block[start..<(start + count)])
            if text.utf8.withContiguousStorageIfAvailable({ target.copyMemory(from: UnsafeRawBufferPointer($0)) }) == nil {
                target.copyBytes(from: Array(text.utf8))
            }
            block[start + count] = 0
            offset = start + count + 1
            return (block.baseAddress! + start).assumingMemoryBound(to: CChar.self)
        }
        ecb.pointee.lpszMethod = copy(request.method)
        ecb.pointee.lpszQueryString = copy(request.queryString)
        ecb.pointee.lpszPathInfo = copy(request.pathInfo)
        ecb.pointee.lpszPathTranslated = copy(request.pathTranslated)
        ecb.pointee.lpszContentType = copy(request.contentType)
    }

    /// Reads ahead up to ISAPIReadAheadBuffer body bytes; false when the client failed.
    func fillECB(connID: UInt) -> Bool {
        self.connID = connID
        output.raw.pointee.conn_id = UnsafeMutableRawPointer(bitPattern: connID)
        let capacity = readAhead.count - 1
        guard let available = read(into: UnsafeMutableRawBufferPointer(rebasing: readAhead[0..<capacity])) else {
            return false
        }
        // cbTotalBytes: Content-Length (lowered when the body ended early), or 0xFFFFFFFF
        // for a chunked body, whose length nobody knows yet.
        let total: UInt32
        if request.isChunked {
            total = 0xFFFF_FFFF
        } else if available < capacity {
            total = UInt32(available)
        } else {
            total = UInt32(clamping: min(request.contentLength ?? 0, Int64(UInt32.max)))
        }
        ecb.pointee.cbSize = UInt32(MemoryLayout<EXTENSION_CONTROL_BLOCK>.size)
        ecb.pointee.dwVersion = 0x0002_0000
        ecb.pointee.ConnID = UnsafeMutableRawPointer(bitPattern: connID)
        ecb.pointee.dwHttpStatusCode = 200
        fillECBStrings()
        ecb.pointee.cbTotalBytes = total
        ecb.pointee.cbAvailable = UInt32(available)
        ecb.pointee.lpbData = readAhead.baseAddress!.assumingMemoryBound(to: UInt8.self)
        ECBCallbacks.install(in: ecb)
        return true
    }

    /// `lpszLogData` as the extension left it: its bytes up to the first NUL (escape them
    /// with `LogText` for a log).
    var logData: [UInt8] {
        withUnsafeBytes(of: &ecb.pointee.lpszLogData) { bytes in
            Array(bytes.prefix { $0 != 0 })
        }
    }

    /// `dwHttpStatusCode` when the extension changed it to something meaningful.
    var requestedStatus: Int? {
        let code = Int(ecb.pointee.dwHttpStatusCode)
        return (100...999).contains(code) && code != 200 ? code : nil
    }
}
