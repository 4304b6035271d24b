/*
 * keepconn.c - answers the way PHP's ISAPI module does: the head goes out through
 * HSE_REQ_SEND_RESPONSE_HEADER_EX with fKeepConn = FALSE. isapid treats fKeepConn as
 * advice (as mod_isapi does): keep-alive follows the response's framing.
 *
 *   ?cl       the head carries Content-Length
 *   ?chunked  no Content-Length (chunked on HTTP/1.1, to the close on HTTP/1.0)
 *   ?close    HSE_REQ_CLOSE_CONNECTION first: the head must say Connection: close
 *   ?lateclose HSE_REQ_CLOSE_CONNECTION after the head (Content-Length): the connection
 *             closes once the response is complete, the one close a keep-alive head allows
 *
 * The body reports what HSE_REQ_IS_KEEP_CONN answered after the head: "keep=1" or "keep=0".
 */
#include <stdio.h>
#include <string.h>
#include <httpext.h>

BOOL WINAPI GetExtensionVersion(HSE_VERSION_INFO *pVer)
{
    pVer->dwExtensionVersion = MAKELONG(HSE_VERSION_MINOR, HSE_VERSION_MAJOR);
    strncpy(pVer->lpszExtensionDesc, "fKeepConn FALSE, as PHP sends it", HSE_MAX_EXT_DLL_NAME_LEN - 1);
    return TRUE;
}

DWORD WINAPI HttpExtensionProc(EXTENSION_CONTROL_BLOCK *pECB)
{
    const char *qs = pECB->lpszQueryString ? pECB->lpszQueryString : "";
    char headers[256];
    if (strcmp(qs, "close") == 0
        && !pECB->ServerSupportFunction(pECB->ConnID, HSE_REQ_CLOSE_CONNECTION, NULL, NULL, NULL))
        return HSE_STATUS_ERROR;
    if (strcmp(qs, "cl") == 0 || strcmp(qs, "lateclose") == 0)
        snprintf(headers, sizeof headers, "Content-Type: text/plain\r\nContent-Length: 6\r\n\r\n");
    else
        snprintf(headers, sizeof headers, "Content-Type: text/plain\r\n\r\n");

    HSE_SEND_HEADER_EX_INFO info;
    memset(&info, 0, sizeof info);
    info.pszStatus = "200 OK";
    info.cchStatus = 6;
    info.pszHeader = headers;
    info.cchHeader = (DWORD)strlen(headers);
    info.fKeepConn = FALSE;
    if (!pECB->ServerSupportFunction(pECB->ConnID, HSE_REQ_SEND_RESPONSE_HEADER_EX, &info, NULL, NULL))
        return HSE_STATUS_ERROR;

    if (strcmp(qs, "lateclose") == 0
        && !pECB->ServerSupportFunction(pECB->ConnID, HSE_REQ_CLOSE_CONNECTION, NULL, NULL, NULL))
        return HSE_STATUS_ERROR;
    BOOL keep = 7;
    if (!pECB->ServerSupportFunction(pECB->ConnID, HSE_REQ_IS_KEEP_CONN, &keep, NULL, NULL))
        return HSE_STATUS_ERROR;
    char body[16];
    snprintf(body, sizeof body, "keep=%d", keep ? 1 : 0);
    DWORD len = (DWORD)strlen(body);
    return pECB->WriteClient(pECB->ConnID, body, &len, HSE_IO_SYNC) ? HSE_STATUS_SUCCESS : HSE_STATUS_ERROR;
}
