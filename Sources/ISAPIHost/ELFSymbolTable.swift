#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A small, careful reader of an ELF64 file's static symbol table (`.symtab`), for the
/// one question the dynamic loader cannot answer: does the library *define* a function
/// of this name that it does not *export*? An extension built with `-fvisibility=hidden`
/// (PHP's configure adds it) keeps its `DllMain` local: `dlsym` does not find it, the
/// host never calls it, and the extension crashes on its first request with no hint.
///
/// Only what that needs is read: the ELF header, the section headers, the `SHT_SYMTAB`
/// section and the string table it links to. `.dynsym` is not consulted (what it holds,
/// `dlsym` already finds). Only little-endian ELF64 for x86-64 and AArch64 is read;
/// anything else, and any offset, size or count that does not fit inside the file,
/// answers `.unreadable`: a truncated or hostile file never crashes the reader.
/// It runs once per load, never per request.
public enum ELFSymbolTable {
    /// What the symbol table says about a function name.
    public enum Lookup: Equatable, Sendable {
        /// `.symtab` defines a function (`STT_FUNC`) of that name; `exported` when its
        /// binding is global or weak and its visibility default or protected.
        case definedFunction(exported: Bool)
        /// `.symtab` has no defined function of that name.
        case absent
        /// The file has no `.symtab` (stripped, `cc -s`): nothing can be said.
        case stripped
        /// Not a little-endian x86-64/AArch64 ELF64 file, or not readable, or malformed.
        case unreadable
    }

    /// Looks `name` up in the `.symtab` of the file at `path`, read with `pread`
    /// (never mapped: a file truncated meanwhile gives a short read, not SIGBUS).
    public static func lookUpFunction(named name: String, inFileAt path: String) -> Lookup {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return .unreadable }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_size > 0 else {
            return .unreadable
        }
        return lookUpFunction(named: name, size: UInt64(info.st_size)) { offset, count in
            readFully(descriptor, offset: offset, count: count)
        }
    }

    /// The same lookup in bytes held in memory (the tests' truncated and garbage files).
    public static func lookUpFunction(named name: String, in bytes: [UInt8]) -> Lookup {
        lookUpFunction(named: name, size: UInt64(bytes.count)) { offset, count in
            Array(bytes[Int(offset)..<Int(offset) + count])
        }
    }

    // MARK: - The format (the ELF-64 Object File Format, version 1.5)

    private static let headerSize = 64
    private static let sectionHeaderSize = 64
    private static let symbolSize = 24
    private static let machineX86_64: UInt16 = 62
    private static let machineAArch64: UInt16 = 183
    private static let sectionTypeSymbolTable: UInt32 = 2
    private static let sectionTypeStringTable: UInt32 = 3
    private static let symbolTypeFunction: UInt8 = 2
    /// Sections and table sizes beyond these are taken as hostile, not read.
    private static let maxSections = 1 << 16
    private static let maxTableBytes = 1 << 28

    /// The lookup over any byte source. `read(offset, count)` is only called with
    /// `offset + count <= size`, and may still fail (nil).
    static func lookUpFunction(named name: String, size: UInt64, read: (UInt64, Int) -> [UInt8]?) -> Lookup {
        /// `count` bytes at `offset`, when they lie inside the file and `count` is sane.
        func bytes(at offset: UInt64, count: UInt64) -> LittleEndian? {
            guard count <= UInt64(maxTableBytes), count <= size, offset <= size - count,
                  let data = read(offset, Int(count)), data.count == Int(count) else { return nil }
            return LittleEndian(data)
        }

        guard let header = bytes(at: 0, count: UInt64(headerSize)),
              header.bytes.starts(with: [0x7F, 0x45, 0x4C, 0x46]),  // \x7fELF
              header.bytes[4] == 2, header.bytes[5] == 1, header.bytes[6] == 1,  // ELF64, little-endian, version 1
              let machine = header.u16(18), machine == machineX86_64 || machine == machineAArch64,
              let tableOffset = header.u64(40), let entrySize = header.u16(58), let count16 = header.u16(60)
        else { return .unreadable }
        guard tableOffset != 0 else { return .stripped }  // no section headers at all
        guard Int(entrySize) == sectionHeaderSize else { return .unreadable }

        // More than 0xff00 sections: e_shnum is 0 and section 0's sh_size holds the count.
        var sectionCount = UInt64(count16)
        if sectionCount == 0 {
            guard let first = bytes(at: tableOffset, count: UInt64(sectionHeaderSize)), let real = first.u64(32)
            else { return .unreadable }
            sectionCount = real
        }
        guard sectionCount <= UInt64(maxSections),
              let sections = bytes(at: tableOffset, count: sectionCount * UInt64(sectionHeaderSize))
        else { return .unreadable }

        /// (type, offset, size, link, entry size) of section `index`.
        func section(_ index: Int) -> (type: UInt32, offset: UInt64, size: UInt64, link: UInt32, entrySize: UInt64)? {
            let base = index * sectionHeaderSize
            guard let type = sections.u32(base + 4), let offset = sections.u64(base + 24),
                  let size = sections.u64(base + 32), let link = sections.u32(base + 40),
                  let entrySize = sections.u64(base + 56) else { return nil }
            return (type, offset, size, link, entrySize)
        }

        guard let symtabIndex = (0..<Int(sectionCount)).first(where: { section($0)?.type == sectionTypeSymbolTable })
        else { return .stripped }
        guard let symtab = section(symtabIndex), symtab.entrySize == UInt64(symbolSize),
              UInt64(symtab.link) < sectionCount, let strtab = section(Int(symtab.link)),
              strtab.type == sectionTypeStringTable,
              let symbols = bytes(at: symtab.offset, count: symtab.size - symtab.size % UInt64(symbolSize)),
              let strings = bytes(at: strtab.offset, count: strtab.size)
        else { return .unreadable }

        let wanted = Array(name.utf8) + [0]
        var found: Lookup = .absent
        for base in stride(from: 0, to: symbols.bytes.count, by: symbolSize) {
            guard let nameOffset = symbols.u32(base), let sectionIndex = symbols.u16(base + 6) else { break }
            let info = symbols.bytes[base + 4]
            let other = symbols.bytes[base + 5]
            guard info & 0xF == symbolTypeFunction, sectionIndex != 0,  // a function, defined here
                  strings.matches(wanted, at: Int(nameOffset)) else { continue }
            let binding = info >> 4  // 0 local, 1 global, 2 weak
            let visibility = other & 0x3  // 0 default, 1 internal, 2 hidden, 3 protected
            let exported = (binding == 1 || binding == 2) && (visibility == 0 || visibility == 3)
            if exported { return .definedFunction(exported: true) }
            found = .definedFunction(exported: false)
        }
        return found
    }

    /// `count` bytes at `offset` of an open file, or nil on an error or a short file.
    private static func readFully(_ descriptor: Int32, offset: UInt64, count: Int) -> [UInt8]? {
        var data = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let got = data.withUnsafeMutableBytes { buffer in
                pread(descriptor, buffer.baseAddress! + done, count - done, off_t(offset) + off_t(done))
            }
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else { return nil }
            done += got
        }
        return data
    }
}

/// Little-endian integers read from bytes, each access bounds-checked (nil outside).
private struct LittleEndian {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func u16(_ offset: Int) -> UInt16? { value(offset, 2).map { UInt16(truncatingIfNeeded: $0) } }
    func u32(_ offset: Int) -> UInt32? { value(offset, 4).map { UInt32(truncatingIfNeeded: $0) } }
    func u64(_ offset: Int) -> UInt64? { value(offset, 8) }

    private func value(_ offset: Int, _ width: Int) -> UInt64? {
        guard offset >= 0, offset <= bytes.count - width else { return nil }
        var result: UInt64 = 0
        for index in (0..<width).reversed() { result = result << 8 | UInt64(bytes[offset + index]) }
        return result
    }

    /// Whether `wanted` (a name and its NUL) is at `offset`.
    func matches(_ wanted: [UInt8], at offset: Int) -> Bool {
        guard offset >= 0, offset <= bytes.count - wanted.count else { return false }
        return bytes[offset..<offset + wanted.count].elementsEqual(wanted)
    }
}
