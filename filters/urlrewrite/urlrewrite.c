/*
 * urlrewrite - an ISAPI filter that rewrites request URLs before anything else sees
 * them (SF_NOTIFY_PREPROC_HEADERS, SetHeader("url")): "/old/<rest>" becomes
 * "/new/<rest>", as ISAPI_Rewrite 2 and IIRF do. Built against httpfilt.h only.
 */
#include <stdio.h>
#include <string.h>
#include "httpfilt.h"

BOOL WINAPI GetFilterVersion(HTTP_FILTER_VERSION *version)
{
    version->dwFilterVersion = HTTP_FILTER_REVISION;
    strncpy(version->lpszFilterDesc, "urlrewrite sample filter", SF_MAX_FILTER_DESC_LEN - 1);
    version->dwFlags = SF_NOTIFY_PREPROC_HEADERS | SF_NOTIFY_ORDER_HIGH;
    return TRUE;
}

DWORD WINAPI HttpFilterProc(HTTP_FILTER_CONTEXT *pfc, DWORD notification, VOID *data)
{
    if (notification != SF_NOTIFY_PREPROC_HEADERS)
        return SF_STATUS_REQ_NEXT_NOTIFICATION;
    HTTP_FILTER_PREPROC_HEADERS *headers = data;
    char url[2048];
    DWORD size = sizeof url;
    if (!headers->GetHeader(pfc, "url", url, &size))
        return SF_STATUS_REQ_NEXT_NOTIFICATION;  /* too long for us: leave it */
    if (strncmp(url, "/old/", 5) == 0) {
        char rewritten[2048];
        snprintf(rewritten, sizeof rewritten, "/new/%s", url + 5);
        if (!headers->SetHeader(pfc, "url", rewritten))
            return SF_STATUS_REQ_ERROR;
    }
    return SF_STATUS_REQ_NEXT_NOTIFICATION;
}
