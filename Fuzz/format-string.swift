import PCRE2Regex
import RewriteEngine

/// Any text as an ISAPI_Rewrite 2 format string, and as a mod_rewrite template:
/// parsing and expanding against a fixed match never crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFormatString(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let regex = try? RegexPattern("\\A(a)(b)?(c)\\z"), let match = regex.firstMatch(in: "ac") else { return 0 }
    if let format = try? V2FormatString(text) { _ = format.expand(match) }
    _ = RewriteTemplate(text)
    return 0
}
