extension HTTPRequestDecoder {
    /// `chunk-size [ chunk-ext ]`: returns the size; extensions are validated and ignored.
    /// As in Apache, whitespace may follow the size (and precede `;`) but not lead it;
    /// unlike Apache, an extension must be well-formed (`2;` or an unclosed quoted
    /// value is 400: RFC 9112 §7.1.1), and leading zeros are allowed in any number.
    static func parseChunkSizeLine(_ line: UnsafeRawBufferPointer) throws -> Int64 {
        let count = line.count
        var index = 0
        var size: UInt64 = 0
        while index < count, let digit = Byte.hexValue(line[index]) {
            guard size >> 59 == 0 else { throw HTTPRequestError(status: 400, reason: "chunk size too large") }
            size = size << 4 | UInt64(digit)
            index += 1
        }
        guard index > 0 else { throw HTTPRequestError(status: 400, reason: "invalid chunk size") }
        guard size <= UInt64(Int64.max) else { throw HTTPRequestError(status: 400, reason: "chunk size too large") }

        // chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] )
        let invalid = HTTPRequestError(status: 400, reason: "invalid chunk extension")
        while true {
            while index < count && Byte.isWhitespace(line[index]) { index += 1 }
            if index == count { break }
            guard line[index] == Byte.semicolon else { throw invalid }
            index += 1
            while index < count && Byte.isWhitespace(line[index]) { index += 1 }
            let nameStart = index
            while index < count && Byte.isTchar(line[index]) { index += 1 }
            guard index > nameStart else { throw invalid }
            var afterName = index
            while afterName < count && Byte.isWhitespace(line[afterName]) { afterName += 1 }
            guard afterName < count && line[afterName] == Byte.equals else { continue }
            index = afterName + 1
            while index < count && Byte.isWhitespace(line[index]) { index += 1 }
            guard index < count else { throw invalid }
            if line[index] == Byte.quote {
                index += 1
                while true {
                    guard index < count else { throw invalid }
                    let byte = line[index]
                    if byte == Byte.quote {
                        index += 1
                        break
                    }
                    if byte == Byte.backslash {
                        index += 1
                        guard index < count else { throw invalid }
                    }
                    let character = line[index]
                    guard character >= Byte.space || character == Byte.tab, character != Byte.del else {
                        throw invalid
                    }
                    index += 1
                }
            } else {
                let valueStart = index
                while index < count && Byte.isTchar(line[index]) { index += 1 }
                guard index > valueStart else { throw invalid }
            }
        }
        return Int64(size)
    }
}
