import Foundation
import Logging

/// This process's standard error (fd 2) pointed at the main ErrorLog, as Apache's
/// `ap_open_logs` does (it dup2()s the main error log onto stderr once the logs are
/// open, and again at every restart). Whatever an extension writes to stderr —
/// `fprintf(stderr, …)`, `perror`, C++'s `std::terminate` message, a failed `assert`,
/// PHP's start-up errors — and what the Swift runtime prints when it traps then land in
/// the error log, not on the terminal isapid was started from.
///
/// Start-up points fd 2 there once the logs are open and start-up can no longer fail
/// for reasons the admin must read on the terminal; errors before that (a configuration
/// error, a log file that cannot be opened) stay on the terminal, and a failed start
/// (an address that cannot be bound) points fd 2 back there before it says why. Each
/// reload points it again: at the reopened file after a rotation, at the new file when
/// ErrorLog changed. With no ErrorLog (the log is standard error) it is the terminal.
///
/// fd 2 then shares the log writer's open file (O_APPEND): every logged line is one
/// `write`, so an extension's lines and isapid's own interleave whole, never mixed.
final class StandardErrorRedirect: Sendable {
    /// What fd 2 was when this process started (a duplicate, close-on-exec), to point
    /// back to; -1 if it could not be duplicated (fd 2 was closed).
    private let terminal: Int32

    init() {
        terminal = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3)
    }

    deinit {
        if terminal >= 0 { close(terminal) }
    }

    /// fd 2 onto the file `errorLog` writes (after any reopen queued before), or back to
    /// the terminal when the error log is standard error itself. A failure is logged
    /// (IS00092, Apache's AH00092) and leaves fd 2 as it was.
    func point(at errorLog: LogFileWriter, logger: Logger) {
        guard errorLog.path != nil else {
            pointBackAtTerminal()
            return
        }
        if let failure = errorLog.duplicateDescriptor(onto: STDERR_FILENO) {
            logger.critical("unable to replace stderr with error_log: \(String(cString: strerror(failure)))",
                            metadata: ["id": "IS00092"])
        }
    }

    /// fd 2 back to what it was at start: for a start-up that fails after `point(at:)`,
    /// so that its last words reach the terminal.
    func pointBackAtTerminal() {
        guard terminal >= 0 else { return }
        while dup2(terminal, STDERR_FILENO) < 0 && errno == EINTR {}
    }
}
