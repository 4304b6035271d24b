import Glibc
import NIOCore

/// How much of a large file a connection's socket may hold unsent while the file goes out
/// with sendfile (TCP_NOTSENT_LOWAT), and back to the system's setting once it went.
///
/// Why: the file is in the page cache, so nothing is gained by queuing megabytes of it in
/// the socket. A full send buffer is drained by the acknowledgements' processing on the
/// core that receives them (on loopback, the client's), where a socket that asks for more
/// once it has sent what it held has the server's loop send each next part itself; and a
/// download holds ~16 KiB of kernel memory, not the 4 MiB a send buffer grows to. A 1 GiB
/// static download with the bench's client: 0.77× nginx's rate without, 0.95× with.
///
/// Only while a file of more than one slice is sent: the two `setsockopt` calls are
/// nothing against it. Other answers keep the system's setting, under which what an
/// extension writes (copied, its thread waiting for room when the socket is full) is best
/// queued deep: an upload echoed back through WriteClient went from ~1,000 to ~750 MB/s
/// with the mark on every connection.
enum FileSendPacing {
    /// Bytes the socket holds unsent before it refuses more while a large file is sent:
    /// 16 KiB, the value commonly used for web servers' connections.
    static let unsentLowWatermark = 16 * 1024

    /// Whether an answer's file parts (sent with sendfile) are more than one slice.
    static func paces(_ fileParts: [IOData]) -> Bool {
        fileParts.reduce(0) { $0 + $1.readableBytes } > HTTPConnectionHandler.sliceSize
    }

    /// Before the file's first slice is written.
    static func begin(on channel: Channel) { set(unsentLowWatermark, on: channel) }

    /// Once its last slice was written (or failed): 0 is "the system's setting" again
    /// (`net.ipv4.tcp_notsent_lowat`).
    static func end(on channel: Channel) { set(0, on: channel) }

    /// A socket that refuses the option (not TCP: a test's embedded channel) sends as before.
    private static func set(_ value: Int, on channel: Channel) {
        try? channel.syncOptions?.setOption(.tcpOption(.init(rawValue: TCP_NOTSENT_LOWAT)), value: value)
    }
}
