/*
 * headers.c - chooses the response status from the query string and sends
 * it with HSE_REQ_SEND_RESPONSE_HEADER_EX plus a custom header.
 *
 *   /scripts/headers.dll              -> 200 OK
 *   /scripts/headers.dll?status=404   -> 404 Not Found
 *   /scripts/headers.dll?status=503   -> 503 Service Unavailable
 *
 * Notes for IIS developers:
 *   - pszStatus is "NNN Reason" (as on IIS); "HTTP/1.1 NNN Reason" is also
 *     accepted by mod_isapi-style hosts, but the short form is portable.
 *   - pszHeader is a block of "Name: value\r\n" lines that MUST end with an
 *     empty line ("\r\n\r\n"). Anything after that empty line is sent as
 *     body.
 *   - Also set pECB->dwHttpStatusCode: the host logs it, and it is what a
 *     host uses when the extension never sends headers at all. (With headers
 *     sent, the status in pszStatus wins, as in mod_isapi.)
 *   - fKeepConn is advisory: isapid, like mod_isapi, decides keep-alive from
 *     the HTTP exchange itself.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <httpext.h>

BOOL WINAPI GetExtensionVersion(HSE_VERSION_INFO *pVer)
{
    pVer->dwExtensionVersion = MAKELONG(HSE_VERSION_MINOR, HSE_VERSION_MAJOR);
    strncpy(pVer->lpszExtensionDesc, "isapid sample: headers",
            HSE_MAX_EXT_DLL_NAME_LEN - 1);
    pVer->lpszExtensionDesc[HSE_MAX_EXT_DLL_NAME_LEN - 1] = '\0';
    return TRUE;
}

static const char *reason_phrase(unsigned code)
{
    switch (code) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 418: return "I'm a teapot";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    default:  return "Status";
    }
}

/* Finds "status=NNN" among the &-separated query parameters.
 * Returns 200 when absent or out of the range 200..599. */
static unsigned status_from_query(const char *qs)
{
    if (qs == NULL)          /* never NULL on isapid; may be on other hosts */
        return 200;
    const char *p = qs;
    while (*p != '\0') {
        if (strncmp(p, "status=", 7) == 0) {
            char *end = NULL;
            unsigned long v = strtoul(p + 7, &end, 10);
            if (end != p + 7 && (*end == '\0' || *end == '&') &&
                v >= 200 && v <= 599)
                return (unsigned)v;
            return 200;
        }
        p = strchr(p, '&');
        if (p == NULL)
            break;
        p++;
    }
    return 200;
}

DWORD WINAPI HttpExtensionProc(EXTENSION_CONTROL_BLOCK *pECB)
{
    unsigned code = status_from_query(pECB->lpszQueryString);
    /* 204 and 304 responses must not carry a body. */
    int no_body = (code == 204 || code == 304);

    char status[64];
    snprintf(status, sizeof status, "%u %s", code, reason_phrase(code));

    char headers[256];
    if (no_body)
        snprintf(headers, sizeof headers,
                 "X-ISAPI-Sample: headers\r\n\r\n");
    else
        snprintf(headers, sizeof headers,
                 "Content-Type: text/plain\r\n"
                 "X-ISAPI-Sample: headers\r\n"
                 "\r\n");

    HSE_SEND_HEADER_EX_INFO hdr;
    memset(&hdr, 0, sizeof hdr);
    hdr.pszStatus = status;
    hdr.cchStatus = (DWORD)strlen(status);
    hdr.pszHeader = headers;
    hdr.cchHeader = (DWORD)strlen(headers);
    hdr.fKeepConn = TRUE;

    pECB->dwHttpStatusCode = code;
    if (!pECB->ServerSupportFunction(pECB->ConnID,
                                     HSE_REQ_SEND_RESPONSE_HEADER_EX,
                                     &hdr, NULL, NULL))
        return HSE_STATUS_ERROR;

    if (!no_body) {
        char body[160];
        int n = snprintf(body, sizeof body,
                         "This response has status %s.\n"
                         "Try ?status=404 or ?status=503.\n", status);
        DWORD len = (DWORD)n;
        if (!pECB->WriteClient(pECB->ConnID, body, &len, HSE_IO_SYNC))
            return HSE_STATUS_ERROR;
    }
    return HSE_STATUS_SUCCESS_AND_KEEP_CONN;
}

BOOL WINAPI TerminateExtension(DWORD dwFlags)
{
    (void)dwFlags;
    return TRUE;
}
