/// What the conditional request headers say to do with a request for an existing file.
public enum ConditionalOutcome: Sendable, Equatable {
    /// No precondition stops the request: go on (Range is evaluated afterwards).
    case proceed
    /// 304 Not Modified: the client's cached copy is current (GET and HEAD only).
    case notModified
    /// 412 Precondition Failed.
    case preconditionFailed
}

/// Evaluation of If-Match, If-Unmodified-Since, If-None-Match and If-Modified-Since
/// against a file's validators, in the order RFC 9110 §13.2.2 prescribes. If-Range is
/// part of range handling (`ByteRange.evaluate`), not of this step.
public enum ConditionalRequest {
    /// Applies the preconditions of RFC 9110 §13.2.2 to a representation that exists:
    ///
    /// 1. If-Match present: unless `*` or a listed tag matches `etag` by strong
    ///    comparison, 412.
    /// 2. Otherwise If-Unmodified-Since present and a valid HTTP-date: if `lastModified`
    ///    is later than that date, 412.
    /// 3. If-None-Match present: if `*` or a listed tag matches `etag` by weak comparison,
    ///    304 for GET and HEAD and 412 for any other method.
    /// 4. Otherwise, for GET and HEAD only, If-Modified-Since present and a valid
    ///    HTTP-date: if `lastModified` is not later than that date, 304.
    /// 5. Otherwise proceed.
    ///
    /// A date header that does not parse is ignored (RFC 9110 §13.1.3, §13.1.4).
    ///
    /// - Parameters:
    ///   - method: the request method, case-sensitive (`GET`, `HEAD`, ...).
    ///   - lastModified: the file's modification time in whole seconds since the epoch,
    ///     the value sent in Last-Modified.
    ///   - now: the request time in seconds since the epoch. When given, an
    ///     If-Modified-Since date later than it is ignored, as Apache does: a date in the
    ///     future cannot come from this server's Last-Modified. Nil skips that check.
    public static func evaluate(
        method: String, ifMatch: String?, ifNoneMatch: String?,
        ifModifiedSince: String?, ifUnmodifiedSince: String?,
        etag: EntityTag, lastModified: Int64, now: Int64? = nil
    ) -> ConditionalOutcome {
        let isGetOrHead = method == "GET" || method == "HEAD"

        if let ifMatch {
            if !EntityTag.parseList(ifMatch).containsStrong(etag) { return .preconditionFailed }
        } else if let ifUnmodifiedSince, let date = HTTPDate.parse(ifUnmodifiedSince) {
            if lastModified > date { return .preconditionFailed }
        }

        if let ifNoneMatch {
            if EntityTag.parseList(ifNoneMatch).containsWeak(etag) {
                return isGetOrHead ? .notModified : .preconditionFailed
            }
        } else if isGetOrHead, let ifModifiedSince, let date = HTTPDate.parse(ifModifiedSince) {
            let inFuture = now.map { date > $0 } ?? false
            if !inFuture, lastModified <= date { return .notModified }
        }

        return .proceed
    }
}
