import Glibc
import ServerConfig

/// What the supervising parent hands to the serving child it spawns: the listening
/// sockets it holds (so connections wait in their backlog while a crashed child is
/// replaced), the crash board, and the read end of a pipe whose end of file tells the
/// child that the parent is gone. Passed as inherited descriptors named in one
/// environment variable.
public struct Supervision: Sendable, Equatable {
    public var listeners: [ListenAddress: Int32]
    public var crashBoard: Int32
    public var parentWatch: Int32

    static let environmentName = "ISAPID_SUPERVISION"

    /// One line per item: `board FD`, `watch FD`, `listen FD HOST PORT` (HOST `*` for any).
    var environmentValue: String {
        var lines = ["board \(crashBoard)", "watch \(parentWatch)"]
        for (address, descriptor) in listeners.sorted(by: { $0.value < $1.value }) {
            lines.append("listen \(descriptor) \(address.host ?? "*") \(address.port)")
        }
        return lines.joined(separator: "\n")
    }

    init(listeners: [ListenAddress: Int32], crashBoard: Int32, parentWatch: Int32) {
        self.listeners = listeners
        self.crashBoard = crashBoard
        self.parentWatch = parentWatch
    }

    init?(environmentValue: String) {
        var listeners: [ListenAddress: Int32] = [:]
        var board: Int32?
        var watch: Int32?
        for line in environmentValue.split(separator: "\n") {
            let words = line.split(separator: " ").map(String.init)
            switch (words.first, words.count) {
            case ("board", 2): board = Int32(words[1])
            case ("watch", 2): watch = Int32(words[1])
            case ("listen", 4):
                guard let descriptor = Int32(words[1]), let port = Int(words[3]) else { return nil }
                listeners[ListenAddress(host: words[2] == "*" ? nil : words[2], port: port)] = descriptor
            default: return nil
            }
        }
        guard let board, let watch else { return nil }
        self.init(listeners: listeners, crashBoard: board, parentWatch: watch)
    }

    /// The child's side: reads and removes the variable (so extensions and the programs
    /// they start do not see it). Call in `main` before any thread exists.
    public static func takeFromEnvironment() -> Supervision? {
        guard let raw = getenv(environmentName) else { return nil }
        let value = String(cString: raw)
        unsetenv(environmentName)
        return Supervision(environmentValue: value)
    }
}
