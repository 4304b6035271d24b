/// Why an ISAPI extension could not be loaded (or used), with the file it
/// concerns. `description` is the line for the error log.
public struct ExtensionLoadError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        /// `dlopen` failed; `reason` is `dlerror()`.
        case openFailed
        /// A required export (`GetExtensionVersion`, `HttpExtensionProc`) is
        /// absent; `reason` is `dlerror()`.
        case missingExport(symbol: String)
        /// The library's `DllMain(DLL_PROCESS_ATTACH)` returned FALSE.
        case attachRefused
        /// `GetExtensionVersion` returned FALSE; `lastError` is `GetLastError()` after it.
        case versionRefused(lastError: UInt32)
        /// The registry is shutting down and loads nothing more.
        case shutDown
    }

    /// The extension's file, as it was asked for.
    public let path: String
    public let kind: Kind
    /// The operating system's words (`dlerror()`), or a short explanation.
    public let reason: String

    public init(path: String, kind: Kind, reason: String) {
        self.path = path
        self.kind = kind
        self.reason = reason
    }

    public var description: String {
        switch kind {
        case .openFailed:
            return "failed to load \(path): \(reason)"
        case .missingExport(let symbol):
            return "missing \(symbol)() in \(path) (is it exported? build without -fvisibility=hidden "
                + "or mark it __attribute__((visibility(\"default\"))))"
        case .attachRefused:
            return "DllMain(DLL_PROCESS_ATTACH) returned FALSE in \(path)"
        case .versionRefused(let lastError):
            return "GetExtensionVersion() returned FALSE in \(path) (last error \(lastError))"
        case .shutDown:
            return "not loading \(path): the ISAPI host is shutting down"
        }
    }
}
