/// Why an ISAPI extension or filter could not be loaded (or used), with the file it
/// concerns. `description` is the line for the error log, in the words of its kind.
public struct ModuleLoadError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The kind of library: the log line names it.
    public enum Module: Equatable, Sendable {
        case `extension`, filter
    }

    public enum Kind: Equatable, Sendable {
        /// `dlopen` failed; `reason` is `dlerror()`.
        case openFailed
        /// A required export (`GetExtensionVersion`, `HttpExtensionProc`; `GetFilterVersion`,
        /// `HttpFilterProc`) is absent; `reason` is `dlerror()`.
        case missingExport(symbol: String)
        /// The library's `DllMain(DLL_PROCESS_ATTACH)` returned FALSE.
        case attachRefused
        /// `GetExtensionVersion` or `GetFilterVersion` returned FALSE; `lastError` is
        /// `GetLastError()` after it (IIS marks such a filter failed and serves without it).
        case versionRefused(lastError: UInt32)
        /// The extension registry is shutting down and loads nothing more.
        case shutDown
    }

    public let module: Module
    /// The library's file, as it was asked for.
    public let path: String
    public let kind: Kind
    /// The operating system's words (`dlerror()`), or a short explanation.
    public let reason: String

    public init(_ module: Module, path: String, kind: Kind, reason: String) {
        self.module = module
        self.path = path
        self.kind = kind
        self.reason = reason
    }

    public var description: String {
        let named = module == .filter ? "ISAPI filter \(path)" : path
        switch kind {
        case .openFailed:
            return "failed to load \(named): \(reason)"
        case .missingExport(let symbol):
            return "missing \(symbol)() in \(named) (is it exported? build without -fvisibility=hidden "
                + "or mark it __attribute__((visibility(\"default\"))))"
        case .attachRefused:
            return "DllMain(DLL_PROCESS_ATTACH) returned FALSE in \(named)"
        case .versionRefused(let lastError):
            let getVersion = module == .filter ? "GetFilterVersion" : "GetExtensionVersion"
            return "\(getVersion)() returned FALSE in \(named) (last error \(lastError))"
        case .shutDown:
            return "not loading \(named): the ISAPI host is shutting down"
        }
    }
}
