import Foundation
import Testing
import NIOConcurrencyHelpers
import NIOPosix

@testable import HTTPDaemon

/// The bounded, batched log writer, against a temporary file or a FIFO nobody reads (a
/// log file that stops taking writes, as on a stuck NFS mount). No sockets.
@Suite final class LogFileWriterTests {
    private let directory: String = {
        let path = NSTemporaryDirectory() + "isapid-logwriter-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    // One instance per test, released when the test ends, passed or failed.
    deinit { try? FileManager.default.removeItem(atPath: directory) }

    private func contents(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }

    private func lines(_ path: String) -> [String] {
        contents(path).split(separator: "\n").map(String.init)
    }

    /// BufferedLogs Off: every line, in order, once flushed.
    @Test func promptLinesArriveInOrder() throws {
        let path = directory + "/access_log"
        let writer = try LogFileWriter(path: path)
        for i in 0..<500 { writer.write("line \(i)") }
        writer.flush()
        #expect(lines(path) == (0..<500).map { "line \($0)" })
        #expect(writer.droppedLines == 0)
    }

    /// BufferedLogs Off, from an event loop: the lines one turn of the loop logs leave in
    /// one write(2), made by the loop at the end of that turn (no flush asked for).
    @Test func anEventLoopWritesTheLinesOfItsTurnInOneWrite() throws {
        let path = directory + "/access_log"
        let writer = try LogFileWriter(path: path)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        // The writer thread parked first: else it may take the turn's first line itself.
        #expect(pollUntil { writer.isIdle })
        try group.next().submit {
            for i in 0..<3 { writer.writeFromEventLoop { $0.append("turn one \(i)") } }
        }.wait()
        #expect(pollUntil { lines(path).count == 3 })
        #expect(writer.writeCallCount == 1)
        #expect(pollUntil { writer.isIdle })
        try group.next().submit {
            for i in 0..<2 { writer.writeFromEventLoop { $0.append("turn two \(i)") } }
        }.wait()
        #expect(pollUntil { lines(path).count == 5 })
        #expect(writer.writeCallCount == 2)
        #expect(lines(path) == ["turn one 0", "turn one 1", "turn one 2", "turn two 0", "turn two 1"])
        // Off a loop, the line that starts a batch is written at once, in-line.
        #expect(pollUntil { writer.isIdle })
        writer.writeFromEventLoop { $0.append("elsewhere") }
        #expect(lines(path).last == "elsewhere")
        #expect(writer.writeCallCount == 3)
    }

    /// Lines queued while a write is in progress go out together in one write(2).
    @Test func linesQueuedDuringAWriteGoOutInOneBatch() throws {
        let fifo = try FIFO(directory: directory)
        let writer = try LogFileWriter(path: fifo.path)
        // More than a pipe holds: the writer's queue blocks in write(2) until the reader reads.
        writer.write(String(repeating: "x", count: 100_000))
        #expect(pollUntil { writer.queuedBytes == 0 })  // the drain took it and is writing
        for i in 0..<100 { writer.write("line \(i)") }
        let received = fifo.readAll()
        writer.flush()
        #expect(writer.writeCallCount == 2)
        writer.close()
        let text = received.result()
        #expect(text.split(separator: "\n").count == 101)
        #expect(text.hasSuffix("line 98\nline 99\n"))
    }

    /// A file that takes no writes: the queue stays within its bound, the lines beyond it
    /// are dropped and counted, and the owner hears when dropping starts and how many
    /// were lost when the file moves again.
    @Test func aStuckFileDropsBeyondTheBoundAndReportsIt() throws {
        let fifo = try FIFO(directory: directory)
        let writer = try LogFileWriter(path: fifo.path, limits: .init(queueBytes: 8192))
        let reports = NIOLockedValueBox<[LogFileWriter.DropReport]>([])
        writer.reportDrops { report in reports.withLockedValue { $0.append(report) } }
        let line = String(repeating: "y", count: 1000)
        for _ in 0..<300 { writer.write(line) }  // 300 kB: far beyond the pipe and the queue
        #expect(writer.queuedBytes <= 8192)
        let dropped = writer.droppedLines
        #expect(dropped > 100)
        #expect(reports.withLockedValue { $0.first } == .started(queueBytes: 8192))
        let received = fifo.readAll()
        writer.flush()
        writer.close()
        #expect(received.result().split(separator: "\n").count + dropped == 300)
        let seen = reports.withLockedValue { $0 }
        // Episodes alternate: started, then ended with that episode's count.
        let ended = seen.compactMap { report -> Int? in
            if case .ended(let lines) = report { return lines }
            return nil
        }
        #expect(ended.reduce(0, +) == dropped)
        #expect(seen.count == 2 * ended.count)
    }

    /// BufferedLogs On: lines wait for 4 KiB (or the interval), and a flush writes them.
    @Test func bufferedLinesWaitForAFullBufferOrAFlush() throws {
        let path = directory + "/buffered_log"
        let writer = try LogFileWriter(path: path, limits: .init(bufferMilliseconds: 3_600_000))
        writer.setBuffering(.buffered)
        for i in 0..<10 { writer.write("held \(i)") }
        #expect(contents(path).isEmpty, "under 4 KiB and long before the interval nothing is written")
        writer.flush()
        #expect(lines(path) == (0..<10).map { "held \($0)" })
        let long = String(repeating: "z", count: 1000)
        for _ in 0..<5 { writer.write(long) }  // 5 kB: the buffer is full
        #expect(pollUntil { lines(path).count == 15 })
    }

    @Test func bufferedLinesGoOutAfterTheInterval() throws {
        let path = directory + "/timed_log"
        let writer = try LogFileWriter(path: path, limits: .init(bufferMilliseconds: 50))
        writer.setBuffering(.buffered)
        writer.write("after a while")
        #expect(pollUntil { contents(path) == "after a while\n" })
    }

    /// Turning BufferedLogs Off (a reload) sends what waits at once.
    @Test func turningBufferingOffWritesWhatWaits() throws {
        let path = directory + "/switched_log"
        let writer = try LogFileWriter(path: path, limits: .init(bufferMilliseconds: 3_600_000))
        writer.setBuffering(.buffered)
        writer.write("waiting")
        writer.setBuffering(.prompt)
        #expect(pollUntil { contents(path) == "waiting\n" })
    }

    /// Rotation: what was buffered before the reopen goes to the renamed file, later
    /// lines to the new one.
    @Test func reopenWritesBufferedLinesToTheOldFileFirst() throws {
        let path = directory + "/rotated_log"
        let writer = try LogFileWriter(path: path, limits: .init(bufferMilliseconds: 3_600_000))
        writer.setBuffering(.buffered)
        for i in 0..<3 { writer.write("before \(i)") }
        try FileManager.default.moveItem(atPath: path, toPath: path + ".1")
        writer.reopen()
        writer.write("after")
        writer.flush()
        #expect(lines(path + ".1") == ["before 0", "before 1", "before 2"])
        #expect(lines(path) == ["after"])
    }

    private func pollUntil(timeout: Double = 5, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            usleep(10_000)
        }
        return condition()
    }
}

/// A named pipe with its read end open (so the writer's open does not block) and nobody
/// reading until `readAll()`: a log file that takes no writes.
private final class FIFO {
    let path: String
    private let readEnd: Int32

    init(directory: String) throws {
        path = directory + "/fifo-" + UUID().uuidString
        guard mkfifo(path, 0o600) == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        readEnd = open(path, O_RDONLY | O_NONBLOCK)
        guard readEnd >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
    }

    deinit { close(readEnd) }

    /// Reads on a thread of its own until every writer has closed.
    func readAll() -> Received {
        let received = Received()
        let descriptor = readEnd
        _ = fcntl(descriptor, F_SETFL, 0)  // blocking reads from now on
        let thread = Thread {
            var buffer = [UInt8](repeating: 0, count: 65536)
            var data: [UInt8] = []
            while true {
                let n = read(descriptor, &buffer, buffer.count)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                data += buffer[0..<n]
            }
            received.finish(String(decoding: data, as: UTF8.self))
        }
        thread.start()
        return received
    }

    final class Received: @unchecked Sendable {
        private let done = DispatchSemaphore(value: 0)
        private var text = ""

        func finish(_ text: String) {
            self.text = text
            done.signal()
        }

        /// What was read, once the writer closed (at most 10 s).
        func result() -> String { done.wait(timeout: .now() + 10) == .success ? text : "" }
    }
}
