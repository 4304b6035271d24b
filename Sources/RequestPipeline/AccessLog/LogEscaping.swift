extension LogLineWriter {
    /// `ap_escape_logitem` of a `String` (the access log's every value): read in place
    /// when its bytes are contiguous, as they are for a native string.
    mutating func appendEscaped(_ text: String) {
        let done: Void? = text.utf8.withContiguousStorageIfAvailable { appendEscaped(buffer: $0) }
        if done == nil { appendEscaped(bytes: text.utf8) }
    }

    mutating func appendEscaped<S: StringProtocol>(
        _ text: S, errorLog: Bool = false, keepingBackslashes: Bool = false
    ) {
        let done: Void? = text.utf8.withContiguousStorageIfAvailable {
            appendEscaped(buffer: $0, errorLog: errorLog, keepingBackslashes: keepingBackslashes)
        }
        if done == nil { appendEscaped(bytes: text.utf8, errorLog: errorLog, keepingBackslashes: keepingBackslashes) }
    }

    mutating func appendEscapedOrDash(_ text: String?) {
        if let text { appendEscaped(text) } else { appendDash() }
    }

    /// ``appendEscaped(buffer:errorLog:keepingBackslashes:)`` of bytes that may not be
    /// contiguous in memory (a slice of a cookie, a bridged string's UTF-8).
    mutating func appendEscaped<C: Collection>(bytes text: C, errorLog: Bool = false, keepingBackslashes: Bool = false)
    where C.Element == UInt8 {
        let done: Void? = text.withContiguousStorageIfAvailable {
            appendEscaped(buffer: $0, errorLog: errorLog, keepingBackslashes: keepingBackslashes)
        }
        guard done == nil else { return }
        Array(text).withUnsafeBufferPointer {
            appendEscaped(buffer: $0, errorLog: errorLog, keepingBackslashes: keepingBackslashes)
        }
    }

    /// All values of the header `name` (lower-cased) joined with `", "`, escaped.
    /// Returns false, appending nothing, when there is none.
    mutating func appendHeader(named name: UnsafeBufferPointer<UInt8>, from headers: [(name: String, value: String)]) -> Bool {
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
