import CISAPI
import Foundation
import Logging

/// Runs one request through an extension's HttpExtensionProc, on the calling (pool)
/// thread, and ends the response according to its return code (spec §2.9, without the
/// bugs of §4: PENDING never depends on a logging switch, and waits with a timeout).
public enum ExtensionRunner {
    /// How a call ended, for server-status's error count.
    public enum CallEnd: Sendable {
        case succeeded
        /// HSE_STATUS_ERROR, an unrecognised result, a PENDING never completed, or a 500.
        case failed
    }

    @discardableResult
    public static func run(
        _ httpExtensionProc: (UnsafeMutablePointer<EXTENSION_CONTROL_BLOCK>) -> DWORD,
        extensionPath: String, request: consuming ISAPIRequest, connection: any ISAPIConnection,
        settings: ISAPISettings, logger: Logger
    ) -> CallEnd {
        let session = ExtensionSession(
            request: consume request, connection: connection, settings: settings, extensionPath: extensionPath, logger: logger)
        let connID = SessionTable.register(session)
        defer { SessionTable.remove(connID) }
        guard session.fillECB(connID: connID) else {
            logger.info("client failed while the request body was read ahead for \(extensionPath)", metadata: ["id": "IS02003"])
            connection.finish(closeConnection: true)
            return .succeeded
        }
        let outer = session.output.attachToThread()
        let result = httpExtensionProc(session.ecb)
        SessionOutput.restore(outer)
        let logData = session.logData
        if !logData.isEmpty {
            logger.info("\(extensionPath): \(LogText.escaped(logData))", metadata: LogText.metadata(id: "IS02004"))
        }

        var failed = false
        switch Int(result) {
        case 0, Int(HSE_STATUS_SUCCESS), Int(HSE_STATUS_SUCCESS_AND_KEEP_CONN):
            break
        case Int(HSE_STATUS_PENDING):
            if settings.fakeAsync {
                if session.done.wait(timeout: .now() + settings.pendingTimeoutSeconds) == .timedOut {
                    logger.error("no HSE_REQ_DONE_WITH_SESSION \(Int(settings.pendingTimeoutSeconds))s after HSE_STATUS_PENDING from \(extensionPath)",
                                 metadata: ["id": "IS02006"])
                    failed = true
                }
            } else {
                logger.error("asynch I/O result HSE_STATUS_PENDING from HttpExtensionProc() is not supported (ISAPIFakeAsync Off): \(extensionPath)",
                             metadata: ["id": "IS02007"])
                failed = true
            }
        case Int(HSE_STATUS_ERROR):
            logger.warning("HSE_STATUS_ERROR result from HttpExtensionProc(): \(extensionPath)", metadata: ["id": "IS02008"])
            failed = true
        default:
            logger.warning("unrecognized result code \(result) from HttpExtensionProc(): \(extensionPath)", metadata: ["id": "IS02009"])
            failed = true
        }
        // What the extension wrote and the host held goes out before the end; with it (one
        // write, one return to the event loop) when the response ends normally below.
        let state = session.withState { $0 }
        session.endHolding(beforeEnd: !state.answered && connection.headSent)
        if state.answered { return failed ? .failed : .succeeded }
        if connection.headSent {
            // A failure after the head (PHP returns HSE_STATUS_ERROR after every `exit()`)
            // ends the response as its framing says: the head offered keep-alive, and only
            // HSE_REQ_CLOSE_CONNECTION withdraws that.
            connection.finish(closeConnection: state.closeConnection)
        } else if failed || state.headRefused {
            connection.respond(status: 500)
        } else if let status = session.requestedStatus {
            connection.respond(status: status)
        } else {
            _ = session.sendHead(ResponseHead(status: 200, reason: nil, headers: [("Content-Length", "0")]))
            connection.finish(closeConnection: state.closeConnection)
        }
        return failed || state.headRefused || session.requestedStatus == 500 ? .failed : .succeeded
    }
}
