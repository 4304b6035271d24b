/*
 * logscrub - an ISAPI filter that keeps secrets out of the access log
 * (SF_NOTIFY_LOG): a "password=" query parameter's value becomes "***".
 * The scrubbed string lives in AllocMem'd memory, freed when the connection ends.
 * Built against httpfilt.h only.
 */
#include <string.h>
#include "httpfilt.h"

BOOL WINAPI GetFilterVersion(HTTP_FILTER_VERSION *version)
{
    version->dwFilterVersion = HTTP_FILTER_REVISION;
    strncpy(version->lpszFilterDesc, "logscrub sample filter", SF_MAX_FILTER_DESC_LEN - 1);
    version->dwFlags = SF_NOTIFY_LOG;
    return TRUE;
}

DWORD WINAPI HttpFilterProc(HTTP_FILTER_CONTEXT *pfc, DWORD notification, VOID *data)
{
    if (notification != SF_NOTIFY_LOG)
        return SF_STATUS_REQ_NEXT_NOTIFICATION;
    HTTP_FILTER_LOG *log = data;
    const char *query = log->pszParameters;
    const char *secret = query ? strstr(query, "password=") : NULL;
    if (secret == NULL)
        return SF_STATUS_REQ_NEXT_NOTIFICATION;
    size_t length = strlen(query);
    char *scrubbed = pfc->AllocMem(pfc, (DWORD)length + 4, 0);
    if (scrubbed == NULL)
        return SF_STATUS_REQ_NEXT_NOTIFICATION;
    size_t prefix = (size_t)(secret - query) + strlen("password=");
    memcpy(scrubbed, query, prefix);
    strcpy(scrubbed + prefix, "***");
    const char *rest = strchr(query + prefix, '&');
    if (rest) strcat(scrubbed, rest);
    log->pszParameters = scrubbed;
    return SF_STATUS_REQ_NEXT_NOTIFICATION;
}
