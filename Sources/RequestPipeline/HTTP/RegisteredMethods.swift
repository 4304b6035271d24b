/// Apache's registered methods (`ap_method_registry_init`, plus HEAD, which it folds into
/// GET). A method outside them is "not implemented" (501) where Apache's handlers meet
/// it, and `HttpProtocolOptions RegisteredMethods` refuses it before any handler runs.
public enum RegisteredMethods {
    public static let names: Set<String> = [
        "GET", "HEAD", "PUT", "POST", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "PROPFIND", "PROPPATCH",
        "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "VERSION-CONTROL", "CHECKOUT", "UNCHECKOUT", "CHECKIN", "UPDATE",
        "LABEL", "REPORT", "MKWORKSPACE", "MKACTIVITY", "BASELINE-CONTROL", "MERGE",
    ]

    public static func contains(_ method: String) -> Bool { names.contains(method) }
}
