/*
 * preproc.c - the S9 benchmark's ISAPI filter: registers for SF_NOTIFY_PREPROC_HEADERS
 * only and reads the request's url, as a URL-rewriting filter would before deciding to
 * change nothing. What one request-phase filter costs a static file.
 */
#include <string.h>
#include "httpfilt.h"

BOOL WINAPI GetFilterVersion(HTTP_FILTER_VERSION *version)
{
    version->dwFilterVersion = HTTP_FILTER_REVISION;
    strncpy(version->lpszFilterDesc, "bench preproc filter", SF_MAX_FILTER_DESC_LEN - 1);
    version->dwFlags = SF_NOTIFY_PREPROC_HEADERS;
    return TRUE;
}

DWORD WINAPI HttpFilterProc(HTTP_FILTER_CONTEXT *pfc, DWORD notification, VOID *data)
{
    if (notification == SF_NOTIFY_PREPROC_HEADERS) {
        HTTP_FILTER_PREPROC_HEADERS *headers = data;
        char url[1024];
        DWORD size = sizeof url;
        headers->GetHeader(pfc, "url", url, &size);
    }
    return SF_STATUS_REQ_NEXT_NOTIFICATION;
}
