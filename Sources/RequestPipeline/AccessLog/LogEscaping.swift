extension LogLineWriter {
    /// `ap_escape_logitem`, or with `errorLog` `ap_escape_errorlog_item` (which leaves `"` alone).
    /// A `String` (the access log's every value): in one copy when no byte needs escaping,
    /// as is usual, else byte by byte.
    mutating func appendEscaped(_ text: String) {
        let done: Void? = text.utf8.withContiguousStorageIfAvailable { utf8 in
            var plain = true
            for byte in utf8 where byte < 0x20 || byte >= 0x7f || byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "\"") {
                plain = false
                break
            }
            if plain { bytes.append(contentsOf: utf8) } else { appendEscaped(bytes: utf8) }
        }
        if done == nil { appendEscaped(bytes: Array(text.utf8)) }
    }

    mutating func appendEscaped<S: StringProtocol>(
        _ text: S, errorLog: Bool = false, keepingBackslashes: Bool = false
    ) {
        let done: Void? = text.utf8.withContiguousStorageIfAvailable {
            appendEscaped(bytes: $0, errorLog: errorLog, keepingBackslashes: keepingBackslashes)
        }
        if done == nil {
            appendEscaped(bytes: Array(text.utf8), errorLog: errorLog, keepingBackslashes: keepingBackslashes)
        }
    }

    mutating func appendEscapedOrDash(_ text: String?) {
        if let text { appendEscaped(text) } else { appendDash() }
    }

    /// With `keepingBackslashes`, a `\\` stays single: for a message whose untrusted parts
    /// were escaped already (ISAPIHost's `LogText`), so `\\xff` is not written `\\\\xff`.
    mutating func appendEscaped<C: Collection>(bytes text: C, errorLog: Bool = false, keepingBackslashes: Bool = false)
    where C.Element == UInt8 {
        var runStart = text.startIndex
        var index = text.startIndex
        while index != text.endIndex {
            let byte = text[index]
            if byte >= 0x20 && byte < 0x7f && (keepingBackslashes || byte != UInt8(ascii: "\\"))
                && (errorLog || byte != UInt8(ascii: "\"")) {
                text.formIndex(after: &index)
                continue
            }
            bytes.append(contentsOf: text[runStart..<index])
            bytes.append(UInt8(ascii: "\\"))
            switch byte {
            case 0x08: bytes.append(UInt8(ascii: "b"))
            case 0x0a: bytes.append(UInt8(ascii: "n"))
            case 0x0d: bytes.append(UInt8(ascii: "r"))
            case 0x09: bytes.append(UInt8(ascii: "t"))
            case 0x0b: bytes.append(UInt8(ascii: "v"))
            case UInt8(ascii: "\\"), UInt8(ascii: "\""): bytes.append(byte)
            default:
                bytes.append(UInt8(ascii: "x"))
                bytes.append(Self.hexDigit(byte >> 4))
                bytes.append(Self.hexDigit(byte & 0x0f))
            }
            text.formIndex(after: &index)
            runStart = index
        }
        bytes.append(contentsOf: text[runStart..<index])
    }

    /// All values of the header `name` (lower-cased) joined with `", "`, escaped.
    /// Returns false, appending nothing, when there is none.
    mutating func appendHeader(named name: [UInt8], from headers: [(name: String, value: String)]) -> Bool {
        var found = false
        // By index: iterating copies each field out (two references).
        for index in headers.indices where Self.equalsLowercased(headers[index].name, name) {
            if found { append(", " as StaticString) }
            appendEscaped(headers[index].value)
            found = true
        }
        return found
    }
}
