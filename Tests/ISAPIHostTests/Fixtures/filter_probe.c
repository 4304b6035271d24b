/*
 * filter_probe.c - an ISAPI filter for the ISAPIHost tests: logs each entry point to
 * "<its .dll path>.log" (fixture_log.h) and exercises the callbacks. Variants come from
 * -D flags: PROBE_FLAGS (GetFilterVersion's dwFlags), PROBE_ACCEPT (its answer),
 * PROBE_RETURN (HttpFilterProc's answer), PROBE_DESC.
 */
#include "fixture_log.h"  /* first: it defines _GNU_SOURCE for dladdr */
#include <string.h>
#include <stdlib.h>
#include "httpfilt.h"

#ifndef PROBE_FLAGS
# define PROBE_FLAGS (SF_NOTIFY_PREPROC_HEADERS | SF_NOTIFY_SEND_RESPONSE | SF_NOTIFY_URL_MAP | \
                      SF_NOTIFY_AUTHENTICATION | SF_NOTIFY_LOG | SF_NOTIFY_END_OF_REQUEST | \
                      SF_NOTIFY_END_OF_NET_SESSION | SF_NOTIFY_SEND_RAW_DATA | SF_NOTIFY_ACCESS_DENIED)
#endif
#ifndef PROBE_ACCEPT
# define PROBE_ACCEPT TRUE
#endif
#ifndef PROBE_RETURN
# define PROBE_RETURN SF_STATUS_REQ_NEXT_NOTIFICATION
#endif
#ifndef PROBE_DESC
# define PROBE_DESC "probe filter"
#endif

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved)
{
    (void)instance; (void)reserved;
    fixture_note(reason == DLL_PROCESS_ATTACH ? "attach" : "detach");
    return TRUE;
}

BOOL WINAPI GetFilterVersion(HTTP_FILTER_VERSION *version)
{
    fixture_note("version server=0x%x", version->dwServerFilterVersion);
    version->dwFilterVersion = MAKELONG(0, 1);
    strncpy(version->lpszFilterDesc, PROBE_DESC, SF_MAX_FILTER_DESC_LEN - 1);
    version->dwFlags = PROBE_FLAGS;
    if (!PROBE_ACCEPT) SetLastError(5);
    return PROBE_ACCEPT;
}

BOOL WINAPI TerminateFilter(DWORD flags)
{
    fixture_note("terminate %u", flags);
    return TRUE;
}

static void note_header(HTTP_FILTER_CONTEXT *pfc, HTTP_FILTER_PREPROC_HEADERS *headers, const char *name)
{
    char value[256];
    DWORD size = sizeof value;
    if (headers->GetHeader(pfc, (LPSTR)name, value, &size))
        fixture_note("header %s=%s", name, value);
    else
        fixture_note("header %s missing (%u)", name, GetLastError());
}

DWORD WINAPI HttpFilterProc(HTTP_FILTER_CONTEXT *pfc, DWORD type, VOID *data)
{
    /* pFilterContext: one counter per connection, in AllocMem'd memory. */
    if (pfc->pFilterContext == NULL) {
        pfc->pFilterContext = pfc->AllocMem(pfc, sizeof(int), 0);
        *(int *)pfc->pFilterContext = 0;
    }
    int calls = ++*(int *)pfc->pFilterContext;
    fixture_note("notify 0x%x secure=%d calls=%d", type, pfc->fIsSecurePort, calls);

    switch (type) {
    case SF_NOTIFY_PREPROC_HEADERS: {
        HTTP_FILTER_PREPROC_HEADERS *headers = data;
        note_header(pfc, headers, "url");
        note_header(pfc, headers, "method");
        note_header(pfc, headers, "Host:");
        note_header(pfc, headers, "X-Absent:");
        headers->SetHeader(pfc, "url", "/rewritten");
        headers->AddHeader(pfc, "X-Probe:", "1");
        char address[64];
        DWORD size = sizeof address;
        if (pfc->GetServerVariable(pfc, "REMOTE_ADDR", address, &size)) fixture_note("REMOTE_ADDR=%s", address);
        size = 1;
        BOOL small = pfc->GetServerVariable(pfc, "REMOTE_ADDR", address, &size);
        fixture_note("small buffer: %d %u needed=%u", small, GetLastError(), size);
        pfc->AddResponseHeaders(pfc, "X-Added: yes\r\n", 0);
        DWORD connection = 0;
        pfc->ServerSupportFunction(pfc, SF_REQ_GET_CONNID, &connection, 0, 0);
        fixture_note("connid nonzero=%d", connection != 0);
        BOOL odd = pfc->ServerSupportFunction(pfc, (enum SF_REQ_TYPE)99, NULL, 0, 0);
        fixture_note("unsupported: %d %u", odd, GetLastError());
        BOOL certificate = pfc->ServerSupportFunction(pfc, SF_REQ_SET_CERTIFICATE_INFO, NULL, 0, 0);
        fixture_note("certificate: %d", certificate);
        char url[] = "/a/./b/../c%41";
        if (pfc->ServerSupportFunction(pfc, SF_REQ_NORMALIZE_URL, url, 0, 0)) fixture_note("normalized %s", url);
        break;
    }
    case SF_NOTIFY_SEND_RESPONSE: {
        HTTP_FILTER_SEND_RESPONSE *response = data;
        fixture_note("status %u", response->HttpStatus);
        response->SetHeader(pfc, "X-Seen:", "probe");
        break;
    }
    case SF_NOTIFY_URL_MAP: {
        HTTP_FILTER_URL_MAP *map = data;
        fixture_note("map %s -> %s (%u)", map->pszURL, map->pszPhysicalPath, map->cbPathBuff);
        strcpy(map->pszPhysicalPath, "/srv/mapped.txt");
        break;
    }
    case SF_NOTIFY_AUTHENTICATION: {
        HTTP_FILTER_AUTHENT *auth = data;
        fixture_note("user '%s' password '%s' (%u)", auth->pszUser, auth->pszPassword, auth->cbUserBuff);
        strcpy(auth->pszUser, "alice");
        break;
    }
    case SF_NOTIFY_LOG: {
        HTTP_FILTER_LOG *log = data;
        fixture_note("log %s %s %s %u", log->pszOperation, log->pszTarget, log->pszClientHostName, log->dwHttpStatus);
#ifdef PROBE_DISABLE
        pfc->ServerSupportFunction(pfc, SF_REQ_DISABLE_NOTIFICATIONS, NULL, SF_NOTIFY_LOG, 0);
#endif
#ifdef PROBE_ALLOC_ABUSE
        int granted = 0;
        for (int i = 0; i < 20; i++)
            if (pfc->AllocMem(pfc, 1 << 20, 0)) granted++;
        fixture_note("alloc granted %d last error %u", granted, GetLastError());
#endif
        log->pszClientHostName = "0.0.0.0";
        log->dwHttpStatus = 299;
        break;
    }
    case SF_NOTIFY_SEND_RAW_DATA: {
        HTTP_FILTER_RAW_DATA *raw = data;
        char *bytes = raw->pvInData;
        for (DWORD i = 0; i < raw->cbInData; i++)
            if (bytes[i] >= 'a' && bytes[i] <= 'z') bytes[i] -= 32;
        break;
    }
    case SF_NOTIFY_ACCESS_DENIED: {
        HTTP_FILTER_ACCESS_DENIED *denied = data;
        fixture_note("denied %s reason %u", denied->pszURL, denied->dwReason);
        pfc->ServerSupportFunction(pfc, SF_REQ_SEND_RESPONSE_HEADER, "401 Go Away", (ULONG_PTR)"X-Why: probe\r\n", 0);
        DWORD length = 4;
        pfc->WriteClient(pfc, "nope", &length, 0);
        return SF_STATUS_REQ_FINISHED;
    }
    default:
        break;
    }
    return PROBE_RETURN;
}
