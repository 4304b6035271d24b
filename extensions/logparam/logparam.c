/*
 * logparam.c - puts text into the server's logs.
 *
 * Two ISAPI mechanisms, both shown here:
 *
 *   HSE_APPEND_LOG_PARAMETER (note: no _REQ_ in the name)
 *       lpvBuffer = NUL-terminated text. On IIS it is appended to the
 *       cs-uri-query field of the W3C log. isapid follows mod_isapi: the
 *       text is stored as the request note "isapi-parameter" (log it with
 *       %{isapi-parameter}n in a LogFormat), and, with ISAPIAppendLogToQuery
 *       On, appended to the query (%q); with ISAPIAppendLogToErrors On it is
 *       also written to the error log. Each call replaces the previous text.
 *
 *   pECB->lpszLogData
 *       An 80-byte (HSE_LOG_BUFFER_LEN) buffer inside the ECB; whatever it
 *       holds when HttpExtensionProc returns is logged (mod_isapi and
 *       isapid: to the error log at info level, "<dll>: <text>").
 *       Always NUL-terminate within 80 bytes.
 */

#include <string.h>
#include <httpext.h>

BOOL WINAPI GetExtensionVersion(HSE_VERSION_INFO *pVer)
{
    pVer->dwExtensionVersion = MAKELONG(HSE_VERSION_MINOR, HSE_VERSION_MAJOR);
    strncpy(pVer->lpszExtensionDesc, "isapid sample: logparam",
            HSE_MAX_EXT_DLL_NAME_LEN - 1);
    pVer->lpszExtensionDesc[HSE_MAX_EXT_DLL_NAME_LEN - 1] = '\0';
    return TRUE;
}

DWORD WINAPI HttpExtensionProc(EXTENSION_CONTROL_BLOCK *pECB)
{
    /* 1. The log parameter. The buffer is non-const in the prototype; use a
     *    writable array rather than casting a string literal. */
    char param[] = "sample-log-param";
    DWORD plen = (DWORD)strlen(param);
    if (!pECB->ServerSupportFunction(pECB->ConnID, HSE_APPEND_LOG_PARAMETER,
                                     param, &plen, NULL)) {
        /* Not fatal: logging is best effort. */
    }

    /* 2. lpszLogData: bounded copy, always terminated. */
    strncpy(pECB->lpszLogData, "logparam sample: lpszLogData set",
            HSE_LOG_BUFFER_LEN - 1);
    pECB->lpszLogData[HSE_LOG_BUFFER_LEN - 1] = '\0';

    /* 3. The response: "ok". */
    static const char headers[] = "Content-Type: text/plain\r\n\r\n";
    HSE_SEND_HEADER_EX_INFO hdr;
    memset(&hdr, 0, sizeof hdr);
    hdr.pszStatus = "200 OK";
    hdr.cchStatus = 6;
    hdr.pszHeader = headers;
    hdr.cchHeader = (DWORD)(sizeof headers - 1);
    hdr.fKeepConn = TRUE;
    pECB->dwHttpStatusCode = 200;
    if (!pECB->ServerSupportFunction(pECB->ConnID,
                                     HSE_REQ_SEND_RESPONSE_HEADER_EX,
                                     &hdr, NULL, NULL))
        return HSE_STATUS_ERROR;

    char body[] = "ok";
    DWORD len = (DWORD)strlen(body);
    if (!pECB->WriteClient(pECB->ConnID, body, &len, HSE_IO_SYNC))
        return HSE_STATUS_ERROR;
    return HSE_STATUS_SUCCESS_AND_KEEP_CONN;
}

BOOL WINAPI TerminateExtension(DWORD dwFlags)
{
    (void)dwFlags;
    return TRUE;
}
