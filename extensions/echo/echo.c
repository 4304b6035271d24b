/*
 * echo.c - sends the request body back to the client.
 *
 * How an ISAPI extension reads the request body (same as IIS):
 *   1. The host has already read up to ISAPIReadAheadBuffer bytes (default
 *      48 KiB) before calling HttpExtensionProc; they are in
 *      pECB->lpbData[0 .. pECB->cbAvailable).
 *   2. The rest is fetched with ReadClient until it returns TRUE with
 *      *lpdwSize == 0 (end of body). FALSE means a read error
 *      (GetLastError() == ERROR_READ_FAULT on isapid).
 *
 * pECB->cbTotalBytes is the Content-Length, or 0xFFFFFFFF when the length is
 * unknown. Unlike Apache's mod_isapi (which answers chunked uploads with 411),
 * isapid accepts "Transfer-Encoding: chunked" and passes cbTotalBytes ==
 * 0xFFFFFFFF. So do not loop "while (read < cbTotalBytes)": loop until
 * ReadClient reports end of body, as below. This also works on IIS.
 *
 * The response echoes the request's Content-Type (application/octet-stream
 * if the request had none). Headers are sent before the body is read, so the
 * response is streamed (chunked on HTTP/1.1) and never buffered whole.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <httpext.h>

#define ECHO_BUFSIZE (64 * 1024)

BOOL WINAPI GetExtensionVersion(HSE_VERSION_INFO *pVer)
{
    pVer->dwExtensionVersion = MAKELONG(HSE_VERSION_MINOR, HSE_VERSION_MAJOR);
    strncpy(pVer->lpszExtensionDesc, "isapid sample: echo",
            HSE_MAX_EXT_DLL_NAME_LEN - 1);
    pVer->lpszExtensionDesc[HSE_MAX_EXT_DLL_NAME_LEN - 1] = '\0';
    return TRUE;
}

/* Writes all of buf; WriteClient is synchronous, one call is enough, but a
 * zero-length write is skipped (it would be a no-op anyway). */
static BOOL write_all(EXTENSION_CONTROL_BLOCK *pECB, const void *buf, DWORD n)
{
    if (n == 0)
        return TRUE;
    DWORD len = n;
    return pECB->WriteClient(pECB->ConnID, (LPVOID)buf, &len, HSE_IO_SYNC);
}

/* A Content-Type value is copied into a header line: refuse CR/LF so a
 * malicious request cannot inject response headers. */
static int safe_header_value(const char *s)
{
    return s != NULL && *s != '\0' && strpbrk(s, "\r\n") == NULL;
}

DWORD WINAPI HttpExtensionProc(EXTENSION_CONTROL_BLOCK *pECB)
{
    /* isapid never passes NULL strings in the ECB (it passes ""), but
     * mod_isapi and IIS may pass NULL for lpszContentType: check both. */
    const char *ctype = safe_header_value(pECB->lpszContentType)
                            ? pECB->lpszContentType
                            : "application/octet-stream";

    char headers[1024];
    int hlen = snprintf(headers, sizeof headers,
                        "Content-Type: %s\r\n\r\n", ctype);
    if (hlen < 0 || (size_t)hlen >= sizeof headers)
        hlen = snprintf(headers, sizeof headers,
                        "Content-Type: application/octet-stream\r\n\r\n");

    HSE_SEND_HEADER_EX_INFO hdr;
    memset(&hdr, 0, sizeof hdr);
    hdr.pszStatus = "200 OK";
    hdr.cchStatus = 6;
    hdr.pszHeader = headers;
    hdr.cchHeader = (DWORD)hlen;
    hdr.fKeepConn = TRUE;
    pECB->dwHttpStatusCode = 200;
    if (!pECB->ServerSupportFunction(pECB->ConnID,
                                     HSE_REQ_SEND_RESPONSE_HEADER_EX,
                                     &hdr, NULL, NULL))
        return HSE_STATUS_ERROR;

    /* 1. The read-ahead bytes. lpbData may be NULL when cbAvailable is 0. */
    if (pECB->cbAvailable > 0 && pECB->lpbData != NULL) {
        if (!write_all(pECB, pECB->lpbData, pECB->cbAvailable))
            return HSE_STATUS_ERROR;
    }

    /* 2. Everything else. If the whole body was in the read-ahead, the first
     *    ReadClient already returns TRUE with 0 bytes. The buffer is on the
     *    heap: worker threads may have small stacks. */
    unsigned char *buf = malloc(ECHO_BUFSIZE);
    if (buf == NULL)
        return HSE_STATUS_ERROR;

    DWORD rc = HSE_STATUS_SUCCESS_AND_KEEP_CONN;
    for (;;) {
        DWORD n = ECHO_BUFSIZE;
        if (!pECB->ReadClient(pECB->ConnID, buf, &n)) {
            /* Client went away or timed out mid-body. */
            rc = HSE_STATUS_ERROR;
            break;
        }
        if (n == 0)          /* TRUE + 0 bytes: end of the request body */
            break;
        if (!write_all(pECB, buf, n)) {
            rc = HSE_STATUS_ERROR;
            break;
        }
    }

    free(buf);
    return rc;
}

BOOL WINAPI TerminateExtension(DWORD dwFlags)
{
    (void)dwFlags;
    return TRUE;
}
