/// The `O` flag's "IIS normalisation" of a URL (spec §1.7): the path only (the query
/// is dropped), `%XX` and `%uXXXX` decoded once, `\` turned into `/`, runs of `/`
/// collapsed, `.` and `..` segments resolved (never above the root), and control
/// characters removed.
public enum IISNormalization {
    public static func normalize(_ url: [UInt8]) -> [UInt8] {
        let path = url.firstIndex(of: UInt8(ascii: "?")).map { url[..<$0] } ?? url[...]
        var decoded: [UInt8] = []
        decoded.reserveCapacity(path.count)
        var index = path.startIndex
        while index < path.endIndex {
            let byte = path[index]
            if byte == UInt8(ascii: "%") {
                if let value = hexValue(path, from: index + 1, digits: 2) {
                    decoded.append(UInt8(value))
                    index += 3
                    continue
                }
                if index + 1 < path.endIndex, path[index + 1] | 0x20 == UInt8(ascii: "u"),
                   let value = hexValue(path, from: index + 2, digits: 4), let scalar = Unicode.Scalar(value) {
                    decoded.append(contentsOf: String(Character(scalar)).utf8)
                    index += 6
                    continue
                }
            }
            decoded.append(byte)
            index += 1
        }
        var segments: [ArraySlice<UInt8>] = []
        let cleaned = decoded.compactMap { byte -> UInt8? in
            if byte < 0x20 || byte == 0x7F { return nil }
            return byte == UInt8(ascii: "\\") ? UInt8(ascii: "/") : byte
        }
        let endsWithSlash = cleaned.last == UInt8(ascii: "/")
        for segment in cleaned.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true) {
            if segment.elementsEqual([UInt8(ascii: ".")]) { continue }
            if segment.elementsEqual([UInt8(ascii: "."), UInt8(ascii: ".")]) {
                _ = segments.popLast()
                continue
            }
            segments.append(segment)
        }
        var result: [UInt8] = [UInt8(ascii: "/")]
        for (position, segment) in segments.enumerated() {
            if position > 0 { result.append(UInt8(ascii: "/")) }
            result.append(contentsOf: segment)
        }
        let lastIsDot = cleaned.split(separator: UInt8(ascii: "/")).last.map {
            $0.elementsEqual([UInt8(ascii: ".")]) || $0.elementsEqual([UInt8(ascii: "."), UInt8(ascii: ".")])
        } ?? false
        if (endsWithSlash || lastIsDot), !segments.isEmpty { result.append(UInt8(ascii: "/")) }
        return result
    }

    private static func hexValue(_ bytes: ArraySlice<UInt8>, from start: Int, digits: Int) -> UInt32? {
        guard start + digits <= bytes.endIndex else { return nil }
        var value: UInt32 = 0
        for byte in bytes[start..<(start + digits)] {
            let nibble: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value * 16 + UInt32(nibble)
        }
        return value
    }
}
