import Synchronization

/// What an open connection is doing, as Apache's scoreboard letters.
///
/// isapid serves connections on event loops, not one worker each, so its scoreboard
/// has a position per connection (as Apache's event MPM shows the connections its
/// workers serve): `R` its request head is being read (also a new connection before
/// its first byte), `W` a request is being answered (the handler, an extension on the
/// pool, or the response being written), `L` its access-log line is being written, `K`
/// idle between keep-alive requests, `C` closing, `G` finishing after a graceful stop
/// began. `_` is a free position (the connection could be accepted), `.` is never shown
/// (one serving process, its slots always open).
public enum ConnectionState: UInt8, Sendable, CaseIterable {
    case reading = 82  // R
    case sending = 87  // W
    case logging = 76  // L
    case keepAlive = 75  // K
    case closing = 67  // C
    case gracefullyFinishing = 71  // G

    public var letter: Character { Character(UnicodeScalar(rawValue)) }
}

/// One connection's state, set by its event loop with relaxed stores, read by the status
/// page from any thread.
public final class ConnectionSlot: Sendable {
    private let state = Atomic<UInt8>(ConnectionState.reading.rawValue)

    @inline(__always) public func set(_ newState: ConnectionState) {
        state.store(newState.rawValue, ordering: .relaxed)
    }

    public var current: ConnectionState { ConnectionState(rawValue: state.load(ordering: .relaxed)) ?? .reading }
}

/// The open connections' slots. A connection takes one when it opens and gives it back
/// when it closes (a short lock per connection, none per request); TLS handshakes and
/// the connections accepted since start are counted here too.
public final class ConnectionBoard: Sendable {
    private let slots = Mutex<[ObjectIdentifier: ConnectionSlot]>([:])
    /// Connections accepted by this process.
    public let accepted = Atomic<Int>(0)

    public init() {}

    public func open() -> ConnectionSlot {
        let slot = ConnectionSlot()
        accepted.add(1, ordering: .relaxed)
        slots.withLock { $0[ObjectIdentifier(slot)] = slot }
        return slot
    }

    public func close(_ slot: ConnectionSlot) {
        _ = slots.withLock { $0.removeValue(forKey: ObjectIdentifier(slot)) }
    }

    /// The open connections' states, in no particular order.
    public var states: [ConnectionState] { slots.withLock { $0.values.map(\.current) } }
}
