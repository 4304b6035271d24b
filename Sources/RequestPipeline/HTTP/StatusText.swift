/// Reason phrases and the built-in error pages, worded as Apache words them.
public enum StatusText {
    public static func reason(_ status: Int) -> String {
        switch status {
        case 100: return "Continue"
        case 200: return "OK"
        case 201: return "Created"
        case 202: return "Accepted"
        case 204: return "No Content"
        case 206: return "Partial Content"
        case 300: return "Multiple Choices"
        case 301: return "Moved Permanently"
        case 302: return "Found"
        case 303: return "See Other"
        case 304: return "Not Modified"
        case 307: return "Temporary Redirect"
        case 308: return "Permanent Redirect"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 410: return "Gone"
        case 411: return "Length Required"
        case 412: return "Precondition Failed"
        case 413: return "Content Too Large"
        case 414: return "URI Too Long"
        case 415: return "Unsupported Media Type"
        case 416: return "Range Not Satisfiable"
        case 417: return "Expectation Failed"
        case 421: return "Misdirected Request"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        case 505: return "HTTP Version Not Supported"
        default:
            switch status / 100 {
            case 1: return "Informational"
            case 2: return "Success"
            case 3: return "Redirection"
            case 4: return "Client Error"
            default: return "Server Error"
            }
        }
    }

    /// The explanation paragraph of Apache's built-in page for a status.
    static func explanation(_ status: Int, location: String?, method: String) -> String {
        switch status {
        case 301, 302, 303, 307, 308:
            return "The document has moved <a href=\"\(escapeHTML(location ?? ""))\">here</a>."
        case 400: return "Your browser sent a request that this server could not understand."
        case 403: return "You don't have permission to access this resource."
        case 404: return "The requested URL was not found on this server."
        case 405: return "The requested method \(escapeHTML(method)) is not allowed for this URL."
        case 408: return "Server timeout waiting for the HTTP request from the client."
        case 410: return "The requested resource is no longer available on this server and there is no forwarding address. Please remove all references to this resource."
        case 411: return "A request of the requested method \(escapeHTML(method)) requires a valid Content-length."
        case 412: return "The precondition on the request for this URL evaluated to false."
        case 413: return "The requested resource does not allow request data with \(escapeHTML(method)) requests, or the amount of data provided in the request exceeds the capacity limit."
        case 414: return "The requested URL's length exceeds the capacity limit for this server."
        case 416: return "None of the range-specifier values in the Range request-header field overlap the current extent of the selected resource."
        case 417: return "The expectation given in the Expect request-header field could not be met by this server."
        case 431: return "Your browser sent a request with header fields that are too large for this server."
        case 501: return "\(escapeHTML(method)) not supported for current URL."
        case 503: return "The server is temporarily unable to service your request due to maintenance downtime or capacity problems. Please try again later."
        case 504: return "The gateway did not receive a timely response from the upstream server or application."
        case 505: return "The server does not support the HTTP protocol version used in the request."
        default:
            return "The server encountered an internal error or misconfiguration and was unable to complete your request."
        }
    }

    /// Apache's built-in HTML page for an error or redirect.
    public static func page(_ status: Int, location: String? = nil, method: String = "GET", signature: String? = nil,
                            additional: String? = nil) -> [UInt8] {
        var html = """
            <!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">
            <html><head>
            <title>\(status) \(reason(status))</title>
            </head><body>
            <h1>\(reason(status))</h1>
            <p>\(explanation(status, location: location, method: method))<br />
            </p>

            """
        if let additional { html += "<p>Additionally, \(additional)</p>\n" }
        if let signature { html += "<hr>\n\(signature)\n" }
        html += "</body></html>\n"
        return Array(html.utf8)
    }

    static func escapeHTML(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text {
            switch c {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }
}
