import CISAPI
import Foundation

/// The body bytes a session holds back, as Apache's core output filter holds small
/// writes: WriteClient's fast path (`isapi_write_client`, in C) copies a small write of the
/// extension's own thread here with no lock, system call or thread hop, and the host
/// hands what is held to the connection in one piece, in order — when the next write
/// does not fit, before any other callback (ReadClient, ServerSupportFunction), when the
/// extension is done, and at the latest `OutputFlusher.interval` after it was written.
///
/// A WriteClient that returned TRUE here had its bytes accepted: they will be sent (or
/// the client went away, which the next call that reaches the connection reports).
final class SessionOutput: @unchecked Sendable {
    /// Small writes are held until this many bytes (Apache's core output filter: 8 KB).
    static let capacity = 8192

    /// Whether small writes are held, or every write goes to the connection as it comes.
    enum Mode {
        /// No head yet, or the response is over: nothing is held.
        case passThrough
        /// The head went out: small writes are held.
        case holding
    }

    /// The C side: the fast path reads it; `busy` (C atomics) guards `used` and `open`.
    let raw: UnsafeMutablePointer<isapi_output>
    /// Orders every hand-over of held bytes (with the write that caused it) against
    /// the others: taking the bytes out and passing them on happen under it.
    let handOver = NSLock()

    /// The ConnID (`conn_id`) is set when the session gets it.
    init() {
        raw = .allocate(capacity: 1)
        raw.initialize(to: isapi_output())
        raw.pointee.capacity = DWORD(Self.capacity)
        raw.pointee.bytes = UnsafeMutablePointer<UInt8>.allocate(capacity: Self.capacity)
    }

    deinit {
        raw.pointee.bytes!.deallocate()
        raw.deinitialize(count: 1)
        raw.deallocate()
    }

    /// The fast path serves the calling thread (the pool thread, inside HttpExtensionProc)
    /// until `restore` gets the returned value (the outer call's, when SEND_URL or an
    /// ErrorDocument runs another extension inside a support call).
    func attachToThread() -> UnsafeMutablePointer<isapi_output>? { isapi_output_swap(raw) }
    static func restore(_ previous: UnsafeMutablePointer<isapi_output>?) { _ = isapi_output_swap(previous) }

    /// Changes the mode; the caller holds `handOver` (and has handed over what was held
    /// when leaving `holding`).
    func setMode(_ mode: Mode) {
        isapi_output_take(raw)
        raw.pointee.open = mode == .holding ? 1 : 0
        isapi_output_give(raw)
    }

    /// Appends a small write while holding; false when the mode or the room says no (the
    /// caller holds `handOver` and has emptied the buffer if it wants room).
    func hold(_ bytes: UnsafeRawBufferPointer) -> Bool {
        isapi_output_take(raw)
        defer { isapi_output_give(raw) }
        let used = Int(raw.pointee.used)
        guard raw.pointee.open != 0, bytes.count <= Self.capacity - used else { return false }
        if let base = bytes.baseAddress, bytes.count > 0 {
            (raw.pointee.bytes! + used).update(from: base.assumingMemoryBound(to: UInt8.self), count: bytes.count)
        }
        raw.pointee.used = DWORD(used + bytes.count)
        return true
    }

    /// Passes what is held to `send` and empties the buffer; the caller holds `handOver`.
    /// False when `send` failed (the bytes are dropped: the client is gone).
    func handOverHeld(_ send: (UnsafeRawBufferPointer) -> Bool) -> Bool {
        isapi_output_take(raw)
        defer { isapi_output_give(raw) }
        let used = Int(raw.pointee.used)
        guard used > 0 else { return true }
        raw.pointee.used = 0
        return send(UnsafeRawBufferPointer(start: raw.pointee.bytes!, count: used))
    }

    /// Whether bytes are held (a hint for the flush timer; no lock).
    var mayHoldBytes: Bool { raw.pointee.used > 0 }
}
