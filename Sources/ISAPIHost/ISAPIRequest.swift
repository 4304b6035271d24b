/// One request as an extension sees it: the ECB strings and the server variables.
public struct ISAPIRequest: Sendable {
    public var method: String
    public var queryString: String
    public var pathInfo: String
    public var pathTranslated: String
    public var contentType: String
    /// Content-Length; nil for a chunked body (`cbTotalBytes` 0xFFFFFFFF) or no body.
    public var contentLength: Int64?
    public var isChunked: Bool
    /// The server variables, built when the extension first asks for one.
    public var lazyVariables: LazyVariables
    /// The request headers as the client sent them (ALL_RAW, HEADER_name).
    public var rawHeaders: [(name: String, value: String)]
    /// The certificate the client presented on a TLS connection, for
    /// HSE_REQ_GET_CERT_INFO_EX; nil on plain HTTP or without one.
    public var clientCertificate: ISAPIClientCertificate?

    public init(method: String, queryString: String, pathInfo: String, pathTranslated: String, contentType: String,
                contentLength: Int64?, isChunked: Bool, variables: [(name: String, value: String)],
                rawHeaders: [(name: String, value: String)]) {
        let table = LazyVariables.Table(variables: variables)
        self.init(method: method, queryString: queryString, pathInfo: pathInfo, pathTranslated: pathTranslated,
                  contentType: contentType, contentLength: contentLength, isChunked: isChunked, rawHeaders: rawHeaders,
                  buildVariables: { table })
    }

    /// A request whose server variables `buildVariables` makes when the extension first
    /// asks for one.
    public init(method: String, queryString: String, pathInfo: String, pathTranslated: String, contentType: String,
                contentLength: Int64?, isChunked: Bool, rawHeaders: [(name: String, value: String)],
                buildVariables: @escaping @Sendable () -> LazyVariables.Table) {
        self.method = method
        self.queryString = queryString
        self.pathInfo = pathInfo
        self.pathTranslated = pathTranslated
        self.contentType = contentType
        self.contentLength = contentLength
        self.isChunked = isChunked
        self.lazyVariables = LazyVariables(buildVariables)
        self.rawHeaders = rawHeaders
    }

    /// The CGI variables in Apache's order (HTTP_* included), looked up ignoring case.
    /// Reading builds the table; setting replaces it.
    public var variables: [(name: String, value: String)] {
        get { lazyVariables.table.variables }
        set { replace(\.variables, with: newValue) }
    }

    /// IIS's own variables (LOCAL_ADDR, HTTP_VERSION, INSTANCE_ID, ...): answered by
    /// name, but not part of ALL_HTTP, which lists request headers only.
    public var serverOnlyVariables: [(name: String, value: String)] {
        get { lazyVariables.table.serverOnly }
        set { replace(\.serverOnly, with: newValue) }
    }

    /// Sets one list of the table (built first if it was not), keeping the other.
    private mutating func replace(_ list: WritableKeyPath<LazyVariables.Table, [(name: String, value: String)]>,
                                  with newValue: [(name: String, value: String)]) {
        var table = lazyVariables.table
        table[keyPath: list] = newValue
        lazyVariables = LazyVariables(table)
    }
}

/// A client certificate as HSE_REQ_GET_CERT_INFO_EX hands it over.
public struct ISAPIClientCertificate: Sendable, Equatable {
    /// The certificate's DER encoding (`CertContext.pbCertEncoded`).
    public var derEncoded: [UInt8]
    /// IIS's CERT_FLAGS (`dwCertificateFlags`): bit 0 present, bit 1 issuer not trusted.
    public var flags: UInt32

    public init(derEncoded: [UInt8], flags: UInt32) {
        self.derEncoded = derEncoded
        self.flags = flags
    }
}

/// mod_isapi's per-directory directives, as they apply to one request.
public struct ISAPISettings: Sendable, Equatable {
    public var readAheadBuffer: Int = 49_152
    public var logNotSupported = false
    public var appendLogToErrors = false
    public var appendLogToQuery = true
    public var fakeAsync = false
    /// How long a PENDING request waits for DONE_WITH_SESSION under ISAPIFakeAsync while
    /// its extension makes no callback (the server's `Timeout` when run by the pipeline).
    public var pendingTimeoutSeconds: Double = 300

    public init() {}
}
