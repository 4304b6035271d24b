/*
 * addheader - an ISAPI filter that adds "X-Filtered-By: isapid addheader" to every
 * response (SF_NOTIFY_SEND_RESPONSE): static files, extensions, errors, redirects.
 * Built against httpfilt.h only.
 */
#include <string.h>
#include "httpfilt.h"

BOOL WINAPI GetFilterVersion(HTTP_FILTER_VERSION *version)
{
    version->dwFilterVersion = HTTP_FILTER_REVISION;
    strncpy(version->lpszFilterDesc, "addheader sample filter", SF_MAX_FILTER_DESC_LEN - 1);
    version->dwFlags = SF_NOTIFY_SEND_RESPONSE | SF_NOTIFY_ORDER_DEFAULT;
    return TRUE;
}

DWORD WINAPI HttpFilterProc(HTTP_FILTER_CONTEXT *pfc, DWORD notification, VOID *data)
{
    if (notification == SF_NOTIFY_SEND_RESPONSE) {
        HTTP_FILTER_SEND_RESPONSE *response = data;
        response->AddHeader(pfc, "X-Filtered-By:", "isapid addheader");
    }
    return SF_STATUS_REQ_NEXT_NOTIFICATION;
}
