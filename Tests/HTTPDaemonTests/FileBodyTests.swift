import Foundation
@testable import HTTPDaemon
import NIOCore
import RequestPipeline
import Testing

/// Small files are read into the head's buffer (head and body leave in one write);
/// large ones are sent from the file with sendfile.
@Suite struct FileBodyTests {
    static func file(_ size: Int) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("isapid-filebody-\(UUID().uuidString)").path
        let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        return path
    }

    @Test func aSmallFileIsOneBufferWithItsBytes() throws {
        let path = try Self.file(300)
        defer { unlink(path) }
        var buffer = ByteBuffer(string: "HEAD")
        let body = try FileBody(path: path, segments: [.slice(offset: 0, length: 300)], appendingTo: &buffer)
        #expect(body.handle == nil)
        #expect(body.parts.isEmpty)
        #expect(Array(buffer.readableBytesView) == Array("HEAD".utf8) + (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 7) })
    }

    /// Byte ranges: literal delimiters and slices, in order, in one buffer.
    @Test func slicesAndLiteralPartsAreJoinedInOrder() throws {
        let path = try Self.file(100)
        defer { unlink(path) }
        var buffer = ByteBuffer()
        let body = try FileBody(path: path, segments: [.bytes(Array("--a\r\n".utf8)), .slice(offset: 10, length: 3),
                                                        .bytes(Array("\r\n--a--".utf8)), .slice(offset: 0, length: 0)],
                                appendingTo: &buffer)
        #expect(body.parts.isEmpty)
        #expect(Array(buffer.readableBytesView) == Array("--a\r\n".utf8) + [70, 77, 84] + Array("\r\n--a--".utf8))
    }

    @Test func aLargeFileIsSentWithSendfile() throws {
        let size = Int(FileBody.inlineLimit) + 1
        let path = try Self.file(size)
        defer { unlink(path) }
        var buffer = ByteBuffer(string: "HEAD")
        let body = try FileBody(path: path, segments: [.slice(offset: 0, length: Int64(size))], appendingTo: &buffer)
        defer { try? body.handle?.close() }
        #expect(String(buffer: buffer) == "HEAD")
        #expect(body.handle != nil)
        guard body.parts.count == 1, case .fileRegion(let region) = body.parts[0] else {
            Issue.record("parts: \(body.parts)")
            return
        }
        #expect(region.readerIndex == 0 && region.endIndex == size)
    }

    /// A file that shrank after it was looked at is an error, not a short body under a
    /// Content-Length promising more.
    @Test func aFileShorterThanItsSlicesIsAnError() throws {
        let path = try Self.file(10)
        defer { unlink(path) }
        #expect(throws: FileBody.ShortRead.self) {
            var buffer = ByteBuffer()
            try FileBody(path: path, segments: [.slice(offset: 0, length: 20)], appendingTo: &buffer)
        }
        unlink(path)
        #expect(throws: IOError.self) {
            var buffer = ByteBuffer()
            try FileBody(path: path, segments: [.slice(offset: 0, length: 20)], appendingTo: &buffer)
        }
    }
}
