import Foundation
import ISAPIHost
import Logging

/// The pipeline's calls of the filter notifications (issue 17), each behind the bit test
/// of `RequestFilters.wants`. The phases call these; nothing else here decides order.
extension Pipeline {
    /// Before phase 1: the request's filters, and SF_NOTIFY_PREPROC_HEADERS on the request
    /// as it arrived (its changes are what every later phase sees). The list is the site's
    /// the request would go to as it arrived; later phases use the site finally selected.
    func beginFilters(_ request: inout IncomingRequest) -> (RequestFilters, Response?)? {
        guard let host = filterHost, let session = request.connection.filterSession, let set = host.current
        else { return nil }
        var scratch = RequestContext(request: request, host: configuration.mainHost)
        selectVirtualHost(&scratch)
        let filters = RequestFilters(session: session, set: set, list: set.list(forSite: scratch.host.id))
        session.siteID = scratch.host.id + 1
        guard filters.wants(.preprocHeaders) else { return (filters, nil) }
        let headersHost = RequestHeadersFilterHost(request, pipeline: self)
        let outcome = session.preprocHeaders(list: filters.list, host: headersHost)
        request = headersHost.request
        var context = RequestContext(request: request, host: configuration.mainHost)
        return (filters, filterAnswer(outcome, .preprocHeaders, &context))
    }

    /// After phase 2: the filters of the site finally selected (SF_PROPERTY_INSTANCE_NUM_ID too).
    func selectFilters(_ filters: RequestFilters, _ context: inout RequestContext) {
        let siteID = context.host.id
        context.filters?.list = filters.set.list(forSite: siteID)
        filters.session.siteID = siteID + 1
    }

    /// After phase 4 (mapToStorage): SF_NOTIFY_URL_MAP with the URL and the physical
    /// path; a path the filter changed is served (and stat'ed) instead.
    func filterURLMap(_ context: inout RequestContext) -> PhaseResult {
        guard let filters = context.filters, filters.wants(.urlMap), let original = context.filePath else {
            return .next
        }
        var path = original + context.pathInfo
        let host = ContextFilterHost(context, pipeline: self)
        let outcome = filters.session.urlMap(
            url: context.path, physicalPath: &path,
            scriptMapEntry: context.scriptMap?.engine, list: filters.list, host: host)
        if let answer = filterAnswer(outcome, .urlMap, &context) { return .respond(answer) }
        if path != original + context.pathInfo {
            context.filePath = path
            context.pathInfo = ""
            context.fileStatus = fileSystem.status(path)
        }
        return .next
    }

    /// Before phase 5 (checkAccess), as IIS authenticates before authorising:
    /// SF_NOTIFY_AUTHENTICATION with the Basic user and password (empty for an anonymous
    /// request), both writable (a change is the request's Authorization from then on), then
    /// SF_NOTIFY_AUTH_COMPLETE on the request's headers.
    func filterAuthentication(_ context: inout RequestContext) -> PhaseResult {
        guard let filters = context.filters else { return .next }
        // Once per request: an internal redirect keeps the user the first pass left.
        if filters.wants(.authentication), case .notYet = filters.authentication {
            let (user, password) = BasicCredentials.parse(context.headers["Authorization"]) ?? ("", "")
            var (newUser, newPassword) = (user, password)
            let host = ContextFilterHost(context, pipeline: self)
            let outcome = filters.session.authentication(
                user: &newUser, password: &newPassword, list: filters.list,
                host: host)
            context.filters?.authentication = .done(user: newUser, password: newPassword)
            if let answer = filterAnswer(outcome, .authentication, &context) { return .respond(answer) }
            if (newUser, newPassword) != (user, password) {
                context.headers.set("Authorization", BasicCredentials.header(user: newUser, password: newPassword))
            }
        }
        if filters.wants(.authComplete) {
            let host = RequestHeadersFilterHost(context.request, pipeline: self)
            host.request.headers = context.headers
            let outcome = filters.session.authComplete(list: filters.list, host: host)
            if let answer = filterAnswer(outcome, .authComplete, &context) { return .respond(answer) }
            context.headers = host.request.headers
        }
        return .next
    }

    /// Once the answer is decided: for every kind (files, errors, redirects) at once; for
    /// an answer a blocking handler streams (an extension, the proxy) when it sends its
    /// head, through `FilteringChannel`.
    func filterResponse(_ response: inout Response, _ context: inout RequestContext) {
        guard context.filters != nil else { return }
        if case .handOff(let handler) = response.body {
            response.body = .handOff(FilteringHandler(inner: handler))
            return
        }
        if case .proxy(var plan) = response.body {
            plan.responseFilter = ProxyResponseFilter(context: context, pipeline: self)
            response.body = .proxy(plan)
            return
        }
        applyResponseFilters(&response, &context)
    }

    /// SF_NOTIFY_ACCESS_DENIED for a 401, then SF_NOTIFY_SEND_RESPONSE with the status and
    /// headers writable, then the headers the filters added (AddResponseHeaders, and on a
    /// 401 those of SF_REQ_ADD_HEADERS_ON_DENIAL). A filter that FINISHED replaces the answer.
    func applyResponseFilters(_ response: inout Response, _ context: inout RequestContext) {
        guard let filters = context.filters else { return }
        if response.status == 401 && filters.wants(.accessDenied) {
            let host = ContextFilterHost(context, pipeline: self)
            let outcome = filters.session.accessDenied(
                url: context.path, physicalPath: context.filePath ?? "", reason: 0x0001 /* SF_DENIED_LOGON */,
                list: filters.list, host: host)
            if let answer = filterAnswer(outcome, .accessDenied, &context) { response = answer }
        }
        if filters.wants(.sendResponse) {
            let host = ContextFilterHost(context, headers: response.headers, pipeline: self)
            var status = response.status
            let outcome = filters.session.sendResponse(status: &status, list: filters.list, host: host)
            if let answer = filterAnswer(outcome, .sendResponse, &context) {
                response = answer
            } else {
                response.status = status
                response.headers = host.headers
            }
        }
        let added = filters.session.takeOutput()
        for (name, value) in added.addedHeaders { response.headers.add(name, value) }
        if response.status == 401 { for (name, value) in added.denialHeaders { response.headers.add(name, value) } }
        filterSendRawData(&response, filters)
    }

    /// What a notification's outcome means for the request: nil to go on; otherwise the
    /// answer (the filter's own output for FINISHED, a 500 for ERROR or a bad code).
    func filterAnswer(
        _ outcome: FilterOutcome, _ notification: FilterNotification,
        _ context: inout RequestContext
    ) -> Response? {
        switch outcome {
        case .proceed, .readNext:
            return nil
        case .error(let lastError):
            // IIS: ERROR with ERROR_ACCESS_DENIED is a 401 (which raises ACCESS_DENIED).
            return errorResponse(lastError == 5 ? 401 : 500, &context)
        case .finished(let keepConnection):
            guard let session = context.filters?.session ?? context.request.connection.filterSession else { return nil }
            // IIS: FINISHED closes the session after the answer; FINISHED_KEEP_CONN keeps it.
            if !keepConnection { session.closeAfterAnswer() }
            let output = session.takeOutput()
            if let response = FilterOutput.response(output.output) { return response }
            logger.error(
                "an ISAPI filter finished the request in \(notification.name) without sending anything; answering 500",
                metadata: context.logMetadata(id: "IS02307"))
            return errorResponse(500, &context)
        }
    }

    /// Phase 8, before the access log is written: SF_NOTIFY_LOG with the record's fields
    /// (every one writable), then SF_NOTIFY_END_OF_REQUEST.
    public func filterLog(_ record: inout AccessLogRecord, _ context: RequestContext) {
        guard let filters = context.filters else { return }
        let host = ContextFilterHost(context, pipeline: self)
        // %u: the user AUTHENTICATION left (IIS logs the logged-on user).
        if let user = filters.user { record.remoteUser = user }
        if filters.wants(.log) {
            var fields = FilterLogFields(
                clientHostName: record.remoteIP, clientUserName: record.remoteUser ?? "",
                serverName: record.serverName, operation: record.method, target: record.urlPath,
                parameters: String(record.query.dropFirst()), httpStatus: record.finalStatus,
                bytesSent: record.bodyBytesSent, bytesReceived: record.bytesReceived ?? 0,
                milliseconds: record.durationMicroseconds / 1000)
            _ = filters.session.log(&fields, list: filters.list, host: host)
            record.remoteIP = fields.clientHostName
            record.remoteUser = fields.clientUserName.isEmpty ? nil : fields.clientUserName
            record.serverName = fields.serverName
            record.method = fields.operation
            record.urlPath = fields.target
            record.query = fields.parameters.isEmpty ? "" : "?" + fields.parameters
            record.finalStatus = fields.httpStatus
            record.bodyBytesSent = fields.bytesSent
            record.requestLine = "\(fields.operation) \(fields.target)\(record.query) \(record.protocolVersion)"
        }
        filters.session.endOfRequest(list: filters.list, host: host)
    }

    /// The connection ended: SF_NOTIFY_END_OF_NET_SESSION, and the filters' memory freed.
    public func closeFilterSession(_ session: FilterSession) {
        let list = filterHost?.current.map { $0.global } ?? .empty
        session.close(list: list)
    }

    /// A session for a new connection when filters are configured, else nil.
    public func makeFilterSession(secure: Bool) -> FilterSession? {
        guard let filterHost, filterHost.current != nil else { return nil }
        return filterHost.makeSession(secure: secure)
    }
}

/// A filter's own answer (WriteClient, SF_REQ_SEND_RESPONSE_HEADER) as a response: a head
/// it sent is parsed; bytes without one are a 200's body.
enum FilterOutput {
    static func response(_ bytes: [UInt8]) -> Response? {
        guard !bytes.isEmpty else { return nil }
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        guard bytes.starts(with: Array("HTTP/".utf8)),
            let end = bytes.indices.dropLast(3).first(where: { bytes[$0..<($0 + 4)].elementsEqual(separator) })
        else { return Response(status: 200, body: .bytes(bytes)) }
        let lines = String(decoding: bytes[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusWords = lines[0].split(separator: " ", maxSplits: 2)
        let status = statusWords.count > 1 ? Int(statusWords[1]) ?? 200 : 200
        var headers = HeaderFields()
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.add(String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        headers.remove("Content-Length")
        headers.remove("Transfer-Encoding")
        let body = Array(bytes[(end + 4)...])
        return Response(status: status, headers: headers, body: body.isEmpty ? .empty : .bytes(body))
    }
}

/// `Authorization: Basic` credentials, as SF_NOTIFY_AUTHENTICATION shows them.
enum BasicCredentials {
    static func parse(_ header: String?) -> (String, String)? {
        guard let header, header.lowercased().hasPrefix("basic "),
            let data = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
            let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":")
        else { return nil }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }

    static func header(user: String, password: String) -> String {
        "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }
}

extension Pipeline {
    /// Whether the filters in force want any request-phase notification: the daemon then
    /// runs the request's phases on the pool (a filter may block). Asked only on
    /// connections that have a filter session (filters are configured).
    public var filtersWantRequestPhases: Bool {
        guard let set = filterHost?.current else { return false }
        return set.interest & FilterNotification.requestPhaseFlags != 0
    }
}

extension Pipeline {
    /// Whether a global filter asked for SF_NOTIFY_READ_RAW_DATA (the daemon then puts
    /// its raw-read handler in front of the decoder).
    public var filtersWantRawReads: Bool { filterHost?.current?.global.wants(.readRawData) ?? false }

    /// SF_NOTIFY_READ_RAW_DATA on bytes just read, before parsing (global filters only).
    public func filterRawRead(_ bytes: inout [UInt8], session: ConnectionFilters) -> FilterOutcome {
        guard let list = filterHost?.current?.global, list.wants(.readRawData) else { return .proceed }
        return session.rawData(&bytes, sending: false, list: list, host: nil)
    }

    /// SF_NOTIFY_SEND_RAW_DATA on a complete answer's body (read into memory for a file):
    /// the filter may rewrite it, grow or shrink it; the body's length is then what the
    /// daemon frames. The head itself is not shown to the filter (unlike IIS).
    func filterSendRawData(_ response: inout Response, _ filters: RequestFilters) {
        guard filters.wants(.sendRawData) else { return }
        var bytes: [UInt8]
        switch response.body {
        case .empty, .handOff, .proxy: return
        case .bytes(let body): bytes = body
        case .file(let path, let segments):
            guard let data = FileManager.default.contents(atPath: path) else { return }
            bytes = []
            for segment in segments {
                switch segment {
                case .bytes(let literal): bytes += literal
                case .slice(let offset, let length):
                    let end = min(Int(offset + length), data.count)
                    bytes += data[Int(offset)..<max(Int(offset), end)]
                }
            }
        }
        _ = filters.session.rawData(&bytes, sending: true, list: filters.list, host: nil)
        response.headers.remove("Content-Length")
        response.body = bytes.isEmpty ? .empty : .bytes(bytes)
    }
}

extension Pipeline {
    /// SF_NOTIFY_SEND_RESPONSE (ACCESS_DENIED first for a 401, SEND_RAW_DATA after) on an
    /// answer the daemon makes outside the phases for a request whose head it parsed: 417,
    /// 413, 408 on a slow body, the 400s of a parsed but invalid request. A request that
    /// never reached the phases runs the global filters. Runs on the connection's event
    /// loop (these answers are made there). A request whose head could not be parsed at all
    /// (garbage bytes) is answered without filters: there is no request to show them.
    public func filterDaemonAnswer(
        _ response: inout Response, _ context: inout RequestContext, session: FilterSession?
    ) {
        guard let session, let set = filterHost?.current else { return }
        if context.filters == nil {
            context.filters = RequestFilters(session: session, set: set, list: set.global)
        }
        applyResponseFilters(&response, &context)
    }
}
