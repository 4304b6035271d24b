/*
 * linkfix - an ISAPI body transformer (SF_NOTIFY_SEND_RAW_DATA): every "http://" in a
 * response body becomes "https://". The body grows, so the rewritten bytes go into an
 * AllocMem'd buffer (freed when the connection ends) and pvInData/cbInData point at it;
 * isapid then frames the body for its new length. As with any raw-data filter, a match
 * split across two writes of a streaming extension is not seen. Built against
 * httpfilt.h only.
 */
#include <string.h>
#include "httpfilt.h"

BOOL WINAPI GetFilterVersion(HTTP_FILTER_VERSION *version)
{
    version->dwFilterVersion = HTTP_FILTER_REVISION;
    strncpy(version->lpszFilterDesc, "linkfix sample filter", SF_MAX_FILTER_DESC_LEN - 1);
    version->dwFlags = SF_NOTIFY_SEND_RAW_DATA;
    return TRUE;
}

DWORD WINAPI HttpFilterProc(HTTP_FILTER_CONTEXT *pfc, DWORD notification, VOID *data)
{
    if (notification != SF_NOTIFY_SEND_RAW_DATA)
        return SF_STATUS_REQ_NEXT_NOTIFICATION;
    HTTP_FILTER_RAW_DATA *raw = data;
    const char *in = raw->pvInData;
    DWORD matches = 0;
    for (DWORD i = 0; i + 7 <= raw->cbInData; i++)
        if (memcmp(in + i, "http://", 7) == 0) matches++;
    if (matches == 0)
        return SF_STATUS_REQ_NEXT_NOTIFICATION;
    char *out = pfc->AllocMem(pfc, raw->cbInData + matches, 0);
    if (out == NULL)
        return SF_STATUS_REQ_NEXT_NOTIFICATION;  /* out of memory: send it unchanged */
    DWORD length = 0;
    for (DWORD i = 0; i < raw->cbInData; ) {
        if (i + 7 <= raw->cbInData && memcmp(in + i, "http://", 7) == 0) {
            memcpy(out + length, "https://", 8);
            length += 8;
            i += 7;
        } else {
            out[length++] = in[i++];
        }
    }
    raw->pvInData = out;
    raw->cbInData = length;
    raw->cbInBuffer = length;
    return SF_STATUS_REQ_NEXT_NOTIFICATION;
}
