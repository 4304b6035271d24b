import CCrashBoard
import Glibc

/// Which extension call each serving thread is inside, kept in memory shared by the
/// supervising parent and the serving child, so that when an extension crashes the
/// child the parent can say which extension and which request did it.
///
/// The child attaches (which also installs its fault handlers) and marks each call;
/// the parent creates the board and reads it after the child died.
public enum CrashBoard {
    /// Parent: creates the board; the descriptor is close-on-exec (the spawner passes it on).
    public static func create() throws(CrashBoardError) -> Int32 {
        let descriptor = isapid_crashboard_create()
        guard descriptor >= 0 else { throw CrashBoardError(operation: "memfd_create/mmap", errno: errno) }
        return descriptor
    }

    /// Child: maps the parent's board and installs the fault handlers.
    public static func attach(descriptor: Int32) throws(CrashBoardError) {
        guard isapid_crashboard_attach(descriptor) == 0 else {
            throw CrashBoardError(operation: "mmap/sigaction", errno: errno)
        }
    }

    /// Child: it has started serving (a crash from now on is not a start-up crash), or
    /// a reload ended, applied or refused. Either raises `servingCount`.
    public static func markServing() { isapid_crashboard_mark_serving() }

    /// Parent: how many times a child marked serving (kept when the board is emptied);
    /// a change tells the parent a configuration serves (systemd's READY=1).
    public static var servingCount: UInt32 { UInt32(isapid_crashboard_serving_count()) }

    /// Whether this process has a board (a child of the supervising parent; not `-X`):
    /// for a caller whose note would cost something to gather before `during`.
    public static var isAttached: Bool { isapid_crashboard_attached() != 0 }

    /// Marks the calling thread as inside `extensionPath` for `request` until `body`
    /// returns. Costs two short copies when attached, nothing otherwise.
    /// The request text is built only when a board is attached.
    public static func during<Result>(
        extensionPath: String, request: @autoclosure () -> String, _ body: () throws -> Result
    ) rethrows -> Result {
        guard isAttached else { return try body() }
        isapid_crashboard_enter(extensionPath, request())
        defer { isapid_crashboard_leave() }
        return try body()
    }

    /// The same for a call serving a request, named by its parts: the board reads
    /// "LEADMETHOD TARGET HTTP/MAJOR.MINOR from CLIENT" (a filter's lead names it and its
    /// notification), composed in C, so that a call builds no Swift string for it (the
    /// request line and client interpolated into one, and its C string, cost ~3.6k
    /// instructions a call: 5 % of a hello.dll request).
    public static func during<Result>(
        extensionPath: String, lead: String? = nil, method: String, target: String, versionMajor: Int,
        versionMinor: Int, client: String, _ body: () throws -> Result
    ) rethrows -> Result {
        guard isAttached else { return try body() }
        isapid_crashboard_enter_request(extensionPath, lead, method, target, CInt(clamping: versionMajor),
                                        CInt(clamping: versionMinor), client)
        defer { isapid_crashboard_leave() }
        return try body()
    }

    /// Parent, after the child died: what the board says, then an empty board for the
    /// next child.
    public static func takeReport() -> CrashReport {
        var calls: [CrashReport.Call] = []
        var crashed: CrashReport.Call?
        let faultSlot = isapid_crashboard_fault_slot()
        var extensionText = [CChar](repeating: 0, count: 1024)
        var requestText = [CChar](repeating: 0, count: 2048)
        for index in 0..<isapid_crashboard_slot_count() {
            guard isapid_crashboard_read_slot(index, &extensionText, extensionText.count, &requestText, requestText.count) != 0
            else { continue }
            let call = CrashReport.Call(
                extensionPath: String(decoding: extensionText.prefix { $0 != 0 }.map(UInt8.init(bitPattern:)), as: UTF8.self),
                request: String(decoding: requestText.prefix { $0 != 0 }.map(UInt8.init(bitPattern:)), as: UTF8.self))
            if index == faultSlot { crashed = call } else { calls.append(call) }
        }
        let signal = isapid_crashboard_fault_signal()
        let serving = isapid_crashboard_was_serving() != 0
        isapid_crashboard_clear()
        return CrashReport(faultSignal: signal == 0 ? nil : signal, crashedCall: crashed, otherCalls: calls,
                           wasServing: serving)
    }
}

/// What the crash board held when the serving child died.
public struct CrashReport: Sendable, Equatable {
    public struct Call: Sendable, Equatable {
        public let extensionPath: String
        public let request: String
    }

    /// The signal the child's fault handler caught, nil when no handler ran (SIGKILL).
    public let faultSignal: Int32?
    /// The extension call on the thread that faulted, when that thread was inside one.
    public let crashedCall: Call?
    /// The other extension calls in progress, lost with the child.
    public let otherCalls: [Call]
    /// The child had started serving (false: it died starting up, e.g. in an
    /// `ISAPICacheFile` extension's GetExtensionVersion).
    public let wasServing: Bool
}

public struct CrashBoardError: Error, CustomStringConvertible {
    public let operation: String
    public let errno: Int32
    public var description: String { "crash board: \(operation): \(String(cString: strerror(errno)))" }
}
