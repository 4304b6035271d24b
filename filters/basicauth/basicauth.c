/*
 * basicauth - an ISAPI filter that protects "/private/" with Basic authentication
 * against a file of "user:password" lines: "basicauth.users" beside the filter
 * (SF_NOTIFY_AUTHENTICATION + SF_NOTIFY_ACCESS_DENIED).
 *
 * AUTHENTICATION: a request for /private/ without a listed user and password fails
 * with ERROR_ACCESS_DENIED (IIS then answers 401); ACCESS_DENIED adds the
 * WWW-Authenticate challenge to that 401. Built against httpfilt.h only (and libc).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include "httpfilt.h"

static char users_file[4096];

BOOL WINAPI GetFilterVersion(HTTP_FILTER_VERSION *version)
{
    Dl_info info;
    if (!dladdr((void *)&GetFilterVersion, &info) || !info.dli_fname)
        return FALSE;
    snprintf(users_file, sizeof users_file, "%s", info.dli_fname);
    char *slash = strrchr(users_file, '/');
    snprintf(slash ? slash + 1 : users_file, sizeof users_file - (size_t)(slash ? slash + 1 - users_file : 0),
             "basicauth.users");
    version->dwFilterVersion = HTTP_FILTER_REVISION;
    strncpy(version->lpszFilterDesc, "basicauth sample filter", SF_MAX_FILTER_DESC_LEN - 1);
    version->dwFlags = SF_NOTIFY_AUTHENTICATION | SF_NOTIFY_ACCESS_DENIED | SF_NOTIFY_ORDER_HIGH;
    return TRUE;
}

/* Whether "user:password" is a line of the users file. */
static BOOL listed(const char *user, const char *password)
{
    FILE *file = fopen(users_file, "r");
    if (file == NULL)
        return FALSE;
    char wanted[600], line[600];
    snprintf(wanted, sizeof wanted, "%s:%s", user, password);
    BOOL found = FALSE;
    while (!found && fgets(line, sizeof line, file)) {
        line[strcspn(line, "\r\n")] = '\0';
        found = strcmp(line, wanted) == 0;
    }
    fclose(file);
    return found;
}

DWORD WINAPI HttpFilterProc(HTTP_FILTER_CONTEXT *pfc, DWORD notification, VOID *data)
{
    if (notification == SF_NOTIFY_AUTHENTICATION) {
        HTTP_FILTER_AUTHENT *auth = data;
        char url[2048];
        DWORD size = sizeof url;
        if (!pfc->GetServerVariable(pfc, "URL", url, &size) || strncmp(url, "/private/", 9) != 0)
            return SF_STATUS_REQ_NEXT_NOTIFICATION;
        if (auth->pszUser[0] != '\0' && listed(auth->pszUser, auth->pszPassword))
            return SF_STATUS_REQ_NEXT_NOTIFICATION;
        SetLastError(ERROR_ACCESS_DENIED);
        return SF_STATUS_REQ_ERROR;
    }
    if (notification == SF_NOTIFY_ACCESS_DENIED) {
        pfc->ServerSupportFunction(pfc, SF_REQ_ADD_HEADERS_ON_DENIAL,
                                   "WWW-Authenticate: Basic realm=\"private\"\r\n", 0, 0);
    }
    return SF_STATUS_REQ_NEXT_NOTIFICATION;
}
