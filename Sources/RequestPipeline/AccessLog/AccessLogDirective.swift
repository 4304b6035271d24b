extension AccessLogFormat.Directive {
    /// The directive's text for `r`. Inlined into the format's loop for the directives of
    /// the common, combined and vhost_combined formats (and `%D`, `%T`); the others are in
    /// ``appendOther(_:arguments:to:)``, out of line, so the loop's code stays small: each
    /// line logged runs through it, and what it touches must come into the instruction
    /// cache again for every request.
    @inline(__always)
    func append<Values: AccessLogValues>(_ r: Values, arguments: AccessLogFormat.Arguments, to out: inout LogLineWriter) {
        switch self {
        case .remoteHost: out.appendEscaped(r.remoteIP)
        case .remoteLogname: out.appendEscapedOrDash(r.remoteLogname)
        case .remoteUser:
            if let user = r.remoteUser {
                if user.isEmpty { out.append("\"\"" as StaticString) } else { out.appendEscaped(user) }
            } else {
                out.appendDash()
            }
        case .time(let spec): spec.append(r, arguments: arguments, to: &out)
        case .bodyBytesCLF:
            if r.bodyBytesSent == 0 { out.appendDash() } else { out.appendDecimal(r.bodyBytesSent) }
        case .bodyBytes: out.appendDecimal(r.bodyBytesSent)
        case .requestHeader(let range):
            let found = arguments.headerNames.withUnsafeBufferPointer {
                out.appendHeader(named: UnsafeBufferPointer(rebasing: $0[range]), from: r.requestHeaders)
            }
            if !found { out.appendDash() }
        case .virtualHost: out.appendEscaped(r.serverName)
        case .port(let kind):
            switch kind {
            case .canonical: out.appendDecimal(Int64(r.canonicalPort))
            case .local: out.appendDecimal(Int64(r.localPort))
            case .remote: out.appendDecimal(Int64(r.remotePort))
            }
        case .requestLine:
            if let target = r.requestTarget, r.requestLine.isEmpty {
                // Escaping goes byte by byte: the parts escaped one by one make the escaped line.
                out.appendEscaped(r.method)
                out.append(byte: UInt8(ascii: " "))
                out.appendEscaped(target)
                if r.requestLineNamesVersion {
                    out.append(byte: UInt8(ascii: " "))
                    out.appendEscaped(r.protocolVersion)
                }
            } else {
                out.appendEscaped(r.requestLine)
            }
        case .duration(let unit):
            switch unit {
            case .seconds: out.appendDecimal(r.durationMicroseconds / 1_000_000)
            case .milliseconds: out.appendDecimal(r.durationMicroseconds / 1_000)
            case .microseconds: out.appendDecimal(r.durationMicroseconds)
            }
        case .status(let original):
            let status = original ? r.originalStatus : r.finalStatus
            if status <= 0 { out.appendDash() } else { out.appendStatus(status) }
        case .ioBytes(let which):
            let value: Int64?
            switch which {
            case .received: value = r.bytesReceived
            case .sent: value = r.bytesSent
            case .combined:
                value = r.bytesReceived == nil && r.bytesSent == nil ? nil : (r.bytesReceived ?? 0) + (r.bytesSent ?? 0)
            }
            if let value { out.appendDecimal(value) } else { out.appendDash() }
        default: appendOther(r, arguments: arguments, to: &out)
        }
    }

    /// ``append(_:arguments:to:)`` of the directives the common formats do not use.
    @inline(never)
    private func appendOther<Values: AccessLogValues>(_ r: Values, arguments: AccessLogFormat.Arguments,
                                                      to out: inout LogLineWriter) {
        switch self {
        case .literal(let text): out.append(arguments.texts[text])
        case .remoteAddress: out.append(r.remoteIP)
        case .peerHost: out.appendEscaped(r.peerIP ?? r.remoteIP)
        case .peerAddress: out.append(r.peerIP ?? r.remoteIP)
        case .localAddress: out.append(r.localIP)
        case .filename: out.appendEscapedOrDash(r.filename)
        case .responseHeader(let range):
            arguments.headerNames.withUnsafeBufferPointer { names in
                let name = UnsafeBufferPointer(rebasing: names[range])
                if name.elementsEqual(Self.contentType) {
                    // mod_log_config logs r->content_type without its parameters.
                    if let value = r.responseHeaders.first(where: { LogLineWriter.equalsLowercased($0.0, name) })?.1 {
                        out.appendEscaped(Self.withoutParameters(value))
                    } else {
                        out.appendDash()
                    }
                } else if !out.appendHeader(named: name, from: r.responseHeaders) {
                    out.appendDash()
                }
            }
        case .cookie(let range):
            let value = arguments.headerNames.withUnsafeBufferPointer {
                Self.cookie(named: UnsafeBufferPointer(rebasing: $0[range]), in: r.requestHeaders)
            }
            if let value { out.appendEscaped(bytes: value) } else { out.appendDash() }
        case .note(let name): out.appendEscapedOrDash(r.notes[arguments.names[name]])
        case .environment(let name): out.appendEscapedOrDash(r.environment[arguments.names[name]])
        case .logID(let connection):
            if !connection, let id = r.logID { out.append(id) } else { out.appendDash() }
        case .requestServerName: out.appendEscaped(r.requestServerName)
        case .process(let field):
            switch field {
            case .pid: out.appendDecimal(Int64(r.pid))
            case .tid: out.appendDecimal(r.threadID)
            case .hexTid: out.appendHex(r.threadID)
            }
        case .requestProtocol: out.appendEscaped(r.protocolVersion)
        case .method: out.appendEscaped(r.method)
        case .query: out.appendEscaped(r.query)
        case .connectionStatus:
            switch r.connectionStatus {
            case .aborted: out.append(byte: UInt8(ascii: "X"))
            case .keepAlive: out.append(byte: UInt8(ascii: "+"))
            case .close: out.appendDash()
            }
        case .keepAliveCount: out.appendDecimal(Int64(r.keepAliveCount))
        case .urlPath: out.appendEscaped(r.urlPath)
        case .handler: out.appendEscapedOrDash(r.handler)
        case .timeToFirstByte:
            if let value = r.timeToFirstByteMicroseconds { out.appendDecimal(value) } else { out.appendDash() }
        case .sslVariable(let name):
            out.appendEscapedOrDash(TLSSessionInfo.variable(arguments.names[name], of: r.tls).flatMap { $0.isEmpty ? nil : $0 })
        case .sslConnectionVariable(let name):
            out.appendEscapedOrDash(r.tls?.sslVariable(arguments.names[name]).flatMap { $0.isEmpty ? nil : $0 })
        case .absent: out.appendDash()
        case .remoteHost, .remoteLogname, .remoteUser, .time, .bodyBytesCLF, .bodyBytes, .requestHeader, .virtualHost,
             .port, .ioBytes, .requestLine, .status, .duration:
            preconditionFailure("\(self) is appended by append(_:arguments:to:)")
        }
    }

    static let contentType: [UInt8] = Array("content-type".utf8)

    /// `ap_field_noparam`: the value before any `;`, trailing white space removed.
    static func withoutParameters(_ value: String) -> Substring {
        guard let semicolon = value.firstIndex(of: ";") else { return value[...] }
        var end = semicolon
        while end > value.startIndex {
            let before = value.index(before: end)
            guard value[before].isWhitespace else { break }
            end = before
        }
        return value[..<end]
    }

    /// mod_log_config's `%{Name}C`: the first `name=value` pair of the Cookie header whose
    /// name matches case-insensitively, both sides trimmed of white space.
    static func cookie(named name: UnsafeBufferPointer<UInt8>, in headers: [(name: String, value: String)]) -> ArraySlice<UInt8>? {
        var header: [UInt8] = []
        var found = false
        for (field, value) in headers where LogLineWriter.equalsLowercased(field, cookieHeader) {
            if found { header.append(contentsOf: ", ".utf8) }
            header.append(contentsOf: value.utf8)
            found = true
        }
        guard found else { return nil }
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0d) }
        for var pair in header.split(separator: UInt8(ascii: ";")) {
            // apr_strtok(cookie, "="): leading '=' are separators too.
            while pair.first == UInt8(ascii: "=") { pair = pair.dropFirst() }
            guard let equals = pair.firstIndex(of: UInt8(ascii: "=")) else { continue }
            var key = pair[..<equals]
            var value = pair[(equals + 1)...]
            guard !key.isEmpty, !value.isEmpty else { continue }
            while let b = key.first, b == 0x20 || b == 0x09 { key = key.dropFirst() }
            while let b = key.last, isSpace(b) { key = key.dropLast() }
            guard key.count == name.count, zip(key, name).allSatisfy({ LogLineWriter.lowercase($0) == $1 }) else { continue }
            while let b = value.first, b == 0x20 || b == 0x09 { value = value.dropFirst() }
            while let b = value.last, isSpace(b) { value = value.dropLast() }
            return value
        }
        return nil
    }

    static let cookieHeader: [UInt8] = Array("cookie".utf8)
}
