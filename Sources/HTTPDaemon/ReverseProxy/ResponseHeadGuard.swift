import NIOCore

/// Looks at an upstream's raw response bytes before NIO's decoder does, and refuses what
/// Apache's mod_proxy refuses but llhttp accepts in a response: obs-fold (a header line
/// that begins with a space or tab continues the previous field; Apache answers 502), and
/// a head larger than `maxHeadSize`. Only heads are scanned; body bytes pass untouched.
final class ResponseHeadGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    /// What was wrong with a head; the connection handler turns it into a 502.
    enum Violation: Error, Equatable {
        case obsFold
        case headTooLarge(Int)
    }

    /// Where the scan is.
    private enum State {
        /// Inside a head: `lineLength` bytes of the current line (CR excluded) seen so far,
        /// `headBytes` of the head in all, and the status line's first digit once known.
        case head(lineLength: Int, lineNumber: Int, headBytes: Int, statusLine: [UInt8])
        /// Between heads: a body, or nothing (the next request re-arms the scan).
        case body
        /// A violation was reported: nothing more is passed on.
        case failed
    }

    static let defaultMaxHeadSize = 64 * 1024
    private var state = State.head(lineLength: 0, lineNumber: 0, headBytes: 0, statusLine: [])
    private let maxHeadSize: Int

    init(maxHeadSize: Int = ResponseHeadGuard.defaultMaxHeadSize) {
        self.maxHeadSize = maxHeadSize
    }

    /// A request was sent: the next bytes are a response head.
    func expectHead() {
        if case .body = state { state = .head(lineLength: 0, lineNumber: 0, headBytes: 0, statusLine: []) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        if case .failed = state { return }
        if case .head = state, let violation = scan(buffer) {
            state = .failed
            context.fireErrorCaught(violation)
            return
        }
        context.fireChannelRead(data)
    }

    /// Scans the bytes of `buffer` that belong to heads; a 1xx head is followed by another.
    private func scan(_ buffer: ByteBuffer) -> Violation? {
        for byte in buffer.readableBytesView {
            guard case .head(var lineLength, var lineNumber, var headBytes, var statusLine) = state else { return nil }
            headBytes += 1
            if headBytes > maxHeadSize { return .headTooLarge(maxHeadSize) }
            switch byte {
            case 0x0A:
                if lineLength == 0 && lineNumber > 0 {
                    // The empty line: the head ends; an interim (1xx) head is followed by another.
                    let interim = statusLine.count > 9 && statusLine[9] == UInt8(ascii: "1")
                    state = interim ? .head(lineLength: 0, lineNumber: 0, headBytes: 0, statusLine: []) : .body
                    continue
                }
                lineNumber += 1
                lineLength = 0
            case 0x0D:
                break
            case 0x20 where lineLength == 0 && lineNumber > 0, 0x09 where lineLength == 0 && lineNumber > 0:
                return .obsFold
            default:
                if lineNumber == 0 && statusLine.count < 16 { statusLine.append(byte) }
                lineLength += 1
            }
            state = .head(lineLength: lineLength, lineNumber: lineNumber, headBytes: headBytes, statusLine: statusLine)
        }
        return nil
    }
}
