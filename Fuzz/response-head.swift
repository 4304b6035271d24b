import ISAPIHost

/// Any bytes as the head an extension hands back: `status` NUL `header block` (no NUL:
/// all header block), parsed as SEND_RESPONSE_HEADER(_EX) parses it, and as a first
/// WriteClient when it looks like a head. Never crashes; a head that parses never
/// carries a control byte (CR, LF, NUL, ...) in its reason or
/// headers, so it cannot split the response, and the body starts inside the data.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzResponseHead(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let status: [UInt8]
    let block: [UInt8]
    if let nul = bytes.firstIndex(of: 0) {
        status = Array(bytes[..<nul])
        block = Array(bytes[(nul + 1)...])
    } else {
        status = []
        block = bytes
    }
    let defaultStatus: Int? = size % 3 == 0 ? nil : 404
    check(ResponseHeadParser.parse(status: status, headerBlock: block, defaultStatus: defaultStatus), block)
    if ResponseHeadParser.looksLikeHeaderBlock(bytes) {
        check(ResponseHeadParser.parse(status: [], headerBlock: bytes, defaultStatus: nil), bytes)
    }
    return 0
}

private func check(_ result: Result<ResponseHeadParser.Parsed, ResponseHeadParser.Failure>, _ block: [UInt8]) {
    guard case .success(let parsed) = result else { return }
    precondition((0...block.count).contains(parsed.bodyStart), "body start \(parsed.bodyStart) outside the block")
    precondition((100...999).contains(parsed.head.status), "status \(parsed.head.status)")
    // Checked on scalars: "\r\n" is one Character, so a Character test for "\r" misses it.
    let control: (Unicode.Scalar) -> Bool = { ($0.value < 0x20 && $0 != "\t") || $0.value == 0x7F }
    precondition(!(parsed.head.reason ?? "").unicodeScalars.contains(where: control), "control byte in the reason")
    for header in parsed.head.headers {
        precondition(!header.name.isEmpty && !header.name.unicodeScalars.contains(where: { control($0) || $0 == ":" || $0 == " " }),
                     "bad header name \(header.name.debugDescription)")
        precondition(!header.value.unicodeScalars.contains(where: control), "control byte in a header value")
    }
}
