import Glibc
import NIOCore
import NIOPosix
import RequestPipeline

/// The body of a file response. A small file is read into the buffer that holds the
/// response head, so that both leave in one write (sendfile would cost a second system
/// call and a second TCP segment for a few hundred bytes); a larger one becomes parts
/// to write after that buffer, sent from the file with sendfile, never through memory.
struct FileBody {
    /// Up to this many bytes of file slices are read rather than sent with sendfile.
    static let inlineLimit: Int64 = 32 * 1024

    /// What to write after the buffer (empty when the body went into it).
    var parts: [IOData] = []
    /// The open file the sendfile parts read from; close it once they were written.
    var handle: NIOFileHandle?

    struct ShortRead: Error, CustomStringConvertible {
        let path: String
        var description: String { "\(path) is shorter than when it was looked at" }
    }

    init(path: String, segments: [FileSegment], appendingTo buffer: inout ByteBuffer) throws {
        let sliced = segments.reduce(Int64(0)) { total, segment in
            if case .slice(_, let length) = segment { return total + length }
            return total
        }
        if sliced <= Self.inlineLimit {
            try Self.readInline(path: path, segments: segments, size: sliced, into: &buffer)
        } else {
            try sendFromFile(path: path, segments: segments)
        }
    }

    /// Every segment into the buffer.
    private static func readInline(path: String, segments: [FileSegment], size: Int64, into buffer: inout ByteBuffer) throws {
        buffer.reserveCapacity(minimumWritableBytes: segments.reduce(0) { $0 + Int($1.length) })
        let descriptor = size > 0 ? open(path, O_RDONLY | O_CLOEXEC) : -1
        if size > 0 && descriptor < 0 { throw IOError(errnoCode: errno, reason: "open") }
        defer { if descriptor >= 0 { close(descriptor) } }
        for segment in segments {
            switch segment {
            case .bytes(let bytes):
                buffer.writeBytes(bytes)
            case .slice(let offset, let length):
                try read(descriptor, offset: Int(offset), length: Int(length), into: &buffer, path: path)
            }
        }
    }

    /// `length` bytes of the file at `offset` appended to `buffer` (pread, EINTR retried);
    /// a file shorter than that is a `ShortRead`.
    static func read(
        _ descriptor: CInt, offset: Int, length: Int, into buffer: inout ByteBuffer, path: String
    ) throws {
        var done = 0
        while done < length {
            let count = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: length - done) { space in
                pread(descriptor, space.baseAddress, length - done, off_t(offset + done))
            }
            if count < 0 && errno == EINTR { continue }
            if count < 0 { throw IOError(errnoCode: errno, reason: "pread") }
            if count == 0 { throw ShortRead(path: path) }
            done += count
        }
    }

    private mutating func sendFromFile(path: String, segments: [FileSegment]) throws {
        let handle = try NIOFileHandle(_deprecatedPath: path)
        self.handle = handle
        for segment in segments {
            switch segment {
            case .bytes(let bytes):
                parts.append(.byteBuffer(ByteBuffer(bytes: bytes)))
            case .slice(let offset, let length):
                guard length > 0 else { continue }
                parts.append(.fileRegion(FileRegion(
                    fileHandle: handle, readerIndex: Int(offset), endIndex: Int(offset + length))))
            }
        }
    }
}
