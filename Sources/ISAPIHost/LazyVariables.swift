import Synchronization

/// A request's server variables (the CGI set and IIS's own names), built the first time
/// an extension asks for one: most extensions read a few, some (hello) none, and the
/// whole CGI environment costs more to build than the rest of the ECB together. Built
/// at most once, under a lock (an extension may call GetServerVariable from several
/// threads under ISAPIFakeAsync), and then read as it was built.
public final class LazyVariables: Sendable {
    /// What GetServerVariable answers from.
    public struct Table: Sendable {
        /// The CGI variables in Apache's order (HTTP_* included; ALL_HTTP keeps this order).
        public var variables: [(name: String, value: String)]
        /// IIS's own variables (LOCAL_ADDR, HTTP_VERSION, INSTANCE_ID, ...): answered by
        /// name, but not part of ALL_HTTP, which lists request headers only.
        public var serverOnly: [(name: String, value: String)]

        public init(variables: [(name: String, value: String)], serverOnly: [(name: String, value: String)] = []) {
            self.variables = variables
            self.serverOnly = serverOnly
        }
    }

    /// Whether the table is built yet.
    private enum State: Sendable {
        /// Not yet: the builder makes it on first use.
        case pending(@Sendable () -> Table)
        case built(Table)
    }

    private let state: Mutex<State>

    /// A table built by `build` on first use.
    public init(_ build: @escaping @Sendable () -> Table) { state = Mutex(.pending(build)) }

    /// A table known already.
    public init(_ table: Table) { state = Mutex(.built(table)) }

    /// The table, built now if it was not yet.
    public var table: Table {
        state.withLock { state in
            switch state {
            case .built(let table):
                return table
            case .pending(let build):
                let table = build()
                state = .built(table)
                return table
            }
        }
    }

    /// Whether the table has been built (tests: an extension that asks for nothing costs nothing).
    public var isBuilt: Bool {
        state.withLock { state in
            if case .built = state { return true }
            return false
        }
    }
}
