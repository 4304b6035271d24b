import Glibc
import NIOCore
import NIOPosix
import RequestPipeline

/// The body of a file response as parts to write. A small file is read into memory, so
/// that its head and body leave in one `writev` (sendfile would cost a second system
/// call and a second TCP segment for a few hundred bytes); a larger one is sent from the
/// file with sendfile, never through memory.
struct FileBody {
    /// Up to this many bytes of file slices are read rather than sent with sendfile.
    static let inlineLimit: Int64 = 32 * 1024

    var parts: [IOData] = []
    /// The open file the sendfile parts read from; close it once they were written.
    var handle: NIOFileHandle?

    struct ShortRead: Error, CustomStringConvertible {
        let path: String
        var description: String { "\(path) is shorter than when it was looked at" }
    }

    init(path: String, segments: [FileSegment], allocator: ByteBufferAllocator) throws {
        let sliced = segments.reduce(Int64(0)) { total, segment in
            if case .slice(_, let length) = segment { return total + length }
            return total
        }
        if sliced <= Self.inlineLimit {
            try readInline(path: path, segments: segments, size: sliced, allocator: allocator)
        } else {
            try sendFromFile(path: path, segments: segments, allocator: allocator)
        }
    }

    /// Every segment into one buffer.
    private mutating func readInline(path: String, segments: [FileSegment], size: Int64,
                                     allocator: ByteBufferAllocator) throws {
        let total = segments.reduce(0) { $0 + Int($1.length) }
        var buffer = allocator.buffer(capacity: total)
        let descriptor = size > 0 ? open(path, O_RDONLY | O_CLOEXEC) : -1
        if size > 0 && descriptor < 0 { throw IOError(errnoCode: errno, reason: "open") }
        defer { if descriptor >= 0 { close(descriptor) } }
        for segment in segments {
            switch segment {
            case .bytes(let bytes):
                buffer.writeBytes(bytes)
            case .slice(let offset, let length):
                var done = 0
                while done < Int(length) {
                    let count = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: Int(length) - done) { space in
                        pread(descriptor, space.baseAddress, Int(length) - done, off_t(offset) + off_t(done))
                    }
                    if count < 0 && errno == EINTR { continue }
                    if count < 0 { throw IOError(errnoCode: errno, reason: "pread") }
                    if count == 0 { throw ShortRead(path: path) }
                    done += count
                }
            }
        }
        if buffer.readableBytes > 0 { parts = [.byteBuffer(buffer)] }
    }

    private mutating func sendFromFile(path: String, segments: [FileSegment], allocator: ByteBufferAllocator) throws {
        let handle = try NIOFileHandle(_deprecatedPath: path)
        self.handle = handle
        for segment in segments {
            switch segment {
            case .bytes(let bytes):
                parts.append(.byteBuffer(allocator.buffer(bytes: bytes)))
            case .slice(let offset, let length):
                guard length > 0 else { continue }
                parts.append(.fileRegion(FileRegion(
                    fileHandle: handle, readerIndex: Int(offset), endIndex: Int(offset + length))))
            }
        }
    }
}
