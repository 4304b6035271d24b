import ServerConfig

extension Pipeline {
    /// The default handler: a regular file with validators, conditionals and ranges; a
    /// directory gets its slash (301) or its DirectoryIndex; nothing else is served.
    func serveStaticFile(_ context: inout RequestContext) -> PhaseResult {
        guard let filePath = context.filePath, let status = context.fileStatus, context.pathInfo.isEmpty else {
            logger.info("File does not exist: \(context.filePath ?? context.path)\(context.pathInfo)",
                        metadata: context.logMetadata(id: "IS00128"))
            return .respond(errorResponse(404, &context))
        }
        if status.isDirectory { return serveDirectory(filePath, &context) }
        guard status.isRegularFile else {
            logger.error("Cannot serve \(filePath): not a regular file", metadata: context.logMetadata(id: "IS00132"))
            return .respond(errorResponse(403, &context))
        }
        switch context.method {
        // POST is served as GET, its body read and discarded, as Apache's default handler does.
        case "GET", "HEAD", "POST": break
        case "OPTIONS": return .respond(Response(status: 200, headers: ["Allow": Self.allowedMethods(context)]))
        case let method where !RegisteredMethods.contains(method):
            // Apache's default handler: a method nobody registered is not implemented.
            logger.info("Invalid method in request \(context.request.requestLine)", metadata: context.logMetadata(id: "IS00422"))
            return .respond(errorResponse(501, &context))
        default:
            return .respond(errorResponse(405, &context, headers: ["Allow": Self.allowedMethods(context)]))
        }
        return .respond(fileResponse(filePath, status, &context))
    }

    private func serveDirectory(_ directory: String, _ context: inout RequestContext) -> PhaseResult {
        guard context.path.hasSuffix("/") else {
            var location = URIPath.escape(context.path) + "/"
            if let query = context.query { location += "?" + query }
            return .respond(errorResponse(301, &context, location: selfURL(location, context)))
        }
        let names = context.directoryConfig.effectiveDirectoryIndex
        for name in names {
            let candidate = directory.hasSuffix("/") ? directory + name : directory + "/" + name
            if let found = fileSystem.status(candidate), found.isRegularFile {
                // The restart takes a URL: the decoded path is escaped again, as mod_dir does.
                let target = URIPath.escape(context.path) + name + (context.query.map { "?" + $0 } ?? "")
                return .restart(target)
            }
        }
        let indexes = names.joined(separator: ",")
        logger.error("Cannot serve directory \(directory)/: No matching DirectoryIndex (\(indexes)) found, and server-generated directory index forbidden by Options directive",
                     metadata: context.logMetadata(id: "IS01276"))
        return .respond(errorResponse(403, &context))
    }

    private func fileResponse(_ path: String, _ status: FileStatus, _ context: inout RequestContext) -> Response {
        let now = context.request.receivedAtMicroseconds
        // The file cache has the validators formatted, and a small file's bytes.
        let cached = context.cachedFile.flatMap { $0.path == path && $0.status == status ? $0 : nil }
        let etag = cached?.etag(at: now) ?? EntityTag.forFile(
            inode: status.inode, size: status.size, mtimeMicroseconds: status.modificationMicroseconds,
            requestTimeMicroseconds: now)
        func validators() -> HeaderFields {
            [
                "Last-Modified": cached?.lastModified ?? HTTPDate.format(status.modificationSeconds),
                "ETag": etag.headerValue,
                "Accept-Ranges": "bytes",
            ]
        }
        let request = context.headers
        switch ConditionalRequest.evaluate(
            method: context.method, ifMatch: request["If-Match"], ifNoneMatch: request["If-None-Match"],
            ifModifiedSince: request["If-Modified-Since"], ifUnmodifiedSince: request["If-Unmodified-Since"],
            etag: etag, lastModified: status.modificationSeconds, now: now / 1_000_000)
        {
        case .notModified:
            var headers = validators()
            headers.remove("Accept-Ranges")
            return Response(status: 304, headers: headers)
        case .preconditionFailed:
            return errorResponse(412, &context)
        case .proceed:
            break
        }
        let mapped = context.currentMappedPath
        let contentType = mediaType(of: context, mapped: mapped)
        let range = ByteRange.evaluate(
            rangeHeader: context.method == "GET" ? request["Range"] : nil, ifRange: request["If-Range"],
            size: status.size, etag: etag, lastModified: status.modificationSeconds)
        switch range {
        case .full:
            func fields() -> HeaderFields {
                var headers = validators()
                if let contentType { headers.set("Content-Type", contentType) }
                return headers
            }
            // A cached file's fields are encoded once, while its tag is strong (a weak
            // one, within a second of a change, is not for keeping).
            let headers: HeaderFields
            if let stored = mapped?.okFields(for: status), !etag.weak {
                headers = stored
            } else if cached != nil, !etag.weak, let mapped {
                headers = fields().encodingOnce()
                mapped.storeOKFields(headers, for: status)
            } else {
                headers = fields()
            }
            // A cached small file goes from memory: no open, read or close.
            let whole: FileSegment = cached?.content.map { .bytes($0) } ?? .slice(offset: 0, length: status.size)
            return Response(status: 200, headers: headers, body: .file(path: path, segments: [whole]))
        case .partial(let offset, let length):
            var headers = validators()
            if let contentType { headers.set("Content-Type", contentType) }
            headers.set("Content-Range", ByteRange.contentRange(ByteSpan(offset: offset, length: length), size: status.size))
            return Response(status: 206, headers: headers, body: .file(path: path, segments: [.slice(offset: offset, length: length)]))
        case .multiple(let spans):
            let multipart = MultipartByteranges(spans: spans, contentType: contentType, size: status.size)
            var headers = validators()
            headers.set("Content-Type", multipart.contentType)
            return Response(status: 206, headers: headers, body: .file(path: path, segments: multipart.segments))
        case .unsatisfiable:
            return errorResponse(416, &context, headers: ["Content-Range": ByteRange.unsatisfiedContentRange(size: status.size)])
        }
    }

    /// The media type of the request's file, from its cached mapping (`currentMappedPath`,
    /// which the caller may have at hand already) when that still describes the request.
    @inline(__always)
    func mediaType(of context: RequestContext, mapped: MappedPath?) -> String? {
        if let mapped { return mapped.mediaType }
        return context.filePath.flatMap { mediaType(for: $0, context.directoryConfig) }
    }

    /// mod_mime's media type: ForceType, else AddType or TypesConfig by extension (the
    /// last extension that maps wins), with AddDefaultCharset for text/plain and text/html.
    func mediaType(for path: String, _ config: DirectoryConfig) -> String? {
        var type: String?
        if let forced = config.forceType, !forced.isEmpty {
            type = forced
        } else if let name = URIPath.lastComponent(path) {
            name.forEachFileNameExtension { ext in
                let key = ext.asciiLowercased()
                // AddType wins; RemoveType (a nil entry) falls back to TypesConfig, as in mod_mime.
                if let added = config.typesByExtension[key] ?? nil {
                    type = added
                } else if let known = configuration.mimeTypes[key] {
                    type = known
                }
            }
        }
        if let base = type, base == "text/plain" || base == "text/html", let charset = config.addDefaultCharset ?? nil {
            return "\(base); charset=\(charset)"
        }
        return type
    }
}
