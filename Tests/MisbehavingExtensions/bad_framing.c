/*
 * bad_framing.c - MISBEHAVES: gives heads whose framing or fields the host must
 * correct, each followed by body bytes that must not all reach the client as
 * written. The query string picks the trick:
 *
 *   nocontent-body  "204 No Content" with a Content-Length, then a body
 *   notmod-body     "304 Not Modified" with Transfer-Encoding: chunked, then a body
 *   own-fields      its own Date, Server, Keep-Alive and Connection fields, then "fine"
 *   length-long     Content-Length: 3, then six bytes ("abc" and "DEF")
 *
 * Every call's result is left in lpszLogData ("MODE head=0/1 body=0/1").
 */

#include <stdio.h>
#include <string.h>
#include <httpext.h>

BOOL WINAPI GetExtensionVersion(HSE_VERSION_INFO *v)
{
    v->dwExtensionVersion = MAKELONG(HSE_VERSION_MINOR, HSE_VERSION_MAJOR);
    strcpy(v->lpszExtensionDesc, "bad_framing");
    return TRUE;
}

static const struct {
    const char *mode;
    const char *status;
    const char *headers;
    const char *body;
} kTricks[] = {
    { "nocontent-body", "204 No Content", "Content-Type: text/plain\r\nContent-Length: 18\r\n\r\n",
      "should not appear\n" },
    { "notmod-body", "304 Not Modified", "ETag: \"a\"\r\nTransfer-Encoding: chunked\r\n\r\n", "should not appear\n" },
    { "own-fields", "200 OK",
      "Date: Tue, 01 Jan 2000 00:00:00 GMT\r\nServer: probe/1\r\nKeep-Alive: timeout=99\r\n"
      "Connection: keep-alive\r\nContent-Type: text/plain\r\n\r\n",
      "fine" },
    { "length-long", "200 OK", "Content-Type: text/plain\r\nContent-Length: 3\r\n\r\n", "abcDEF" },
};

DWORD WINAPI HttpExtensionProc(EXTENSION_CONTROL_BLOCK *ecb)
{
    const char *mode = ecb->lpszQueryString ? ecb->lpszQueryString : "";
    for (size_t i = 0; i < sizeof kTricks / sizeof kTricks[0]; i++) {
        if (strcmp(mode, kTricks[i].mode) != 0)
            continue;
        HSE_SEND_HEADER_EX_INFO info;
        memset(&info, 0, sizeof info);
        info.pszStatus = kTricks[i].status;
        info.cchStatus = (DWORD)strlen(kTricks[i].status);
        info.pszHeader = kTricks[i].headers;
        info.cchHeader = (DWORD)strlen(kTricks[i].headers);
        info.fKeepConn = TRUE;
        BOOL head = ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_SEND_RESPONSE_HEADER_EX, &info, NULL, NULL);
        DWORD length = (DWORD)strlen(kTricks[i].body);
        BOOL body = ecb->WriteClient(ecb->ConnID, (LPVOID)kTricks[i].body, &length, HSE_IO_SYNC);
        snprintf(ecb->lpszLogData, HSE_LOG_BUFFER_LEN, "%.20s head=%d body=%d", mode, (int)head, (int)body);
        return HSE_STATUS_SUCCESS_AND_KEEP_CONN;
    }
    return HSE_STATUS_ERROR;
}
