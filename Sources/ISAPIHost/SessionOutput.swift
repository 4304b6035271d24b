import CISAPI
import Foundation
import Synchronization

/// The body bytes a session holds back, as Apache's core output filter holds small
/// writes: WriteClient's fast path (`isapi_write_client`, in C) copies a small write of the
/// extension's own thread into a ring here with no lock, atomic read-modify-write, system
/// call or thread hop, and the host hands what is held to the connection, in order —
/// when the next write does not fit, before any other callback (ReadClient,
/// ServerSupportFunction), when the extension is done, and at the latest
/// `OutputFlusher.interval` after it was written.
///
/// The ring has one producer, the thread it is attached to (the pool thread inside
/// HttpExtensionProc), and one consumer at a time: whoever holds `handOver`.
///
/// A WriteClient that returned TRUE here had its bytes accepted: they will be sent (or
/// the client went away, which the next call that reaches the connection reports).
final class SessionOutput: @unchecked Sendable {
    /// Small writes are held until this many bytes (Apache's core output filter: 8 KB);
    /// a power of two, and the C side's constant.
    static let capacity = Int(ISAPI_OUTPUT_CAPACITY)

    /// Whether small writes are held, or every write goes to the connection as it comes.
    enum Mode {
        /// No head yet, or the response is over: nothing is held.
        case passThrough
        /// The head went out: small writes are held.
        case holding
    }

    /// The C side, which the fast path reads.
    let raw: UnsafeMutablePointer<isapi_output>
    /// Makes the holder the ring's one consumer, and orders every hand-over (with the
    /// write that caused it) against the others.
    /// Inline (no allocation per call, as an NSLock made two).
    let handOver = Mutex(())

    /// The ConnID (`conn_id`) is set when the session gets it.
    init() {
        raw = .allocate(capacity: 1)
        raw.initialize(to: isapi_output())
        raw.pointee.bytes = Self.spareRings.take()
    }

    deinit {
        Self.spareRings.give(raw.pointee.bytes!)
        raw.deinitialize(count: 1)
        raw.deallocate()
    }

    /// Rings of finished sessions, for the next ones: a fresh 8 KiB `malloc` per extension
    /// call is a large-bin request, which makes glibc consolidate its fast bins first
    /// (~1k instructions a call with the allocation and its `free`).
    private static let spareRings = SpareRings()

    /// At most `slots.count` rings kept (one per pool thread at the default
    /// ThreadsPerChild); more come and go through `malloc`.
    ///
    /// Lock-free: every extension call's session takes a ring and gives it back, from
    /// many threads at once. Under a `Mutex` (on Linux it spins, then sleeps on a
    /// priority-inheritance futex that hands the lock to the waiter it wakes) one thread
    /// preempted inside the few instructions it held it for started a convoy: every later
    /// take or give spun, slept and switched threads, up to ~13 % of a busy core in S5
    /// (perf, `wrk -c32`, 32 pool threads on one core).
    private final class SpareRings: Sendable {
        /// A kept ring's address in each slot, or 0. A slot changes hands in one atomic
        /// exchange (take) or compare-and-exchange (give), so a ring is never in two
        /// hands; release and acquire order the last owner's use before the next one's.
        private let slots: InlineArray<64, Atomic<UInt>>

        init() {
            slots = InlineArray { _ in Atomic(0) }
        }

        func take() -> UnsafeMutablePointer<UInt8> {
            for i in slots.indices where slots[i].load(ordering: .relaxed) != 0 {
                if let ring = UnsafeMutablePointer<UInt8>(bitPattern: slots[i].exchange(0, ordering: .acquiring)) {
                    return ring
                }
            }
            return .allocate(capacity: SessionOutput.capacity)
        }

        func give(_ ring: UnsafeMutablePointer<UInt8>) {
            let address = UInt(bitPattern: ring)
            for i in slots.indices where slots[i].load(ordering: .relaxed) == 0 {
                if slots[i].compareExchange(expected: 0, desired: address, ordering: .releasing).exchanged { return }
            }
            ring.deallocate()
        }
    }

    /// The fast path serves the calling thread (the pool thread, inside HttpExtensionProc)
    /// until `restore` gets the returned value (the outer call's, when SEND_URL or an
    /// ErrorDocument runs another extension inside a support call).
    func attachToThread() -> UnsafeMutablePointer<isapi_output>? { isapi_output_swap(raw) }
    static func restore(_ previous: UnsafeMutablePointer<isapi_output>?) { _ = isapi_output_swap(previous) }

    func setMode(_ mode: Mode) { isapi_output_set_open(raw, mode == .holding ? 1 : 0) }

    /// Appends a small write while holding; false when the mode or the room says no, or
    /// when the caller is not the ring's producer (another thread's write goes to the
    /// connection after what is held).
    func hold(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress, bytes.count > 0, isapi_output_is_current(raw) != 0 else { return false }
        return isapi_output_append(raw, base, DWORD(bytes.count)) != 0
    }

    /// Passes what is held to `send` (in at most two pieces: the ring wraps) and frees
    /// the room; the caller holds `handOver`. False when `send` failed (the bytes are
    /// dropped: the client is gone).
    func handOverHeld(_ send: (UnsafeRawBufferPointer) -> Bool) -> Bool {
        let tail = isapi_output_tail(raw)
        let head = raw.pointee.head
        guard tail != head else { return true }
        defer { isapi_output_consumed(raw, tail) }
        let bytes = UnsafeRawPointer(raw.pointee.bytes!)
        let start = Int(head) & (Self.capacity - 1)
        let count = Int(tail &- head)
        let first = min(count, Self.capacity - start)
        guard send(UnsafeRawBufferPointer(start: bytes + start, count: first)) else { return false }
        return first == count || send(UnsafeRawBufferPointer(start: bytes, count: count - first))
    }

    /// Whether bytes are held (for the flush timer).
    var mayHoldBytes: Bool { isapi_output_tail(raw) != raw.pointee.head }
}
