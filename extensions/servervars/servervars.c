/*
 * servervars.c - prints server variables as text/plain "NAME=value" lines,
 * then the full ALL_HTTP and ALL_RAW blocks.
 *
 * Shows the safe way to call GetServerVariable:
 *   - start with a modest buffer;
 *   - on FALSE + ERROR_INSUFFICIENT_BUFFER, *lpdwSize holds the size needed
 *     (including the terminating NUL): grow the buffer to that and retry;
 *   - on FALSE with any other error, the variable is not available
 *     (mod_isapi: ERROR_INVALID_INDEX for unknown/unset names).
 * On success *lpdwSize is strlen(value) + 1.
 *
 * Differences worth knowing when porting:
 *   - isapid returns TRUE with "" for a standard variable that is simply
 *     unset (CONTENT_LENGTH on a GET, PATH_INFO without extra path), the
 *     way IIS does; Apache's mod_isapi returns FALSE/ERROR_INVALID_INDEX.
 *     Code that must run on both should accept either.
 *   - GetLastError() is provided by the host (isapid exports it); there is
 *     no kernel32. It holds Windows error numbers (122, 1413, ...).
 *   - ALL_HTTP lines are "HTTP_NAME:value\r\n" (no space); ALL_RAW lines
 *     are "Name: value\r\n". Parse on CR or LF and skip spaces after ':'.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <httpext.h>

static const char *const kVariables[] = {
    "REQUEST_METHOD", "QUERY_STRING", "PATH_INFO", "PATH_TRANSLATED",
    "SCRIPT_NAME", "SCRIPT_FILENAME", "SERVER_NAME", "SERVER_PORT",
    "SERVER_PROTOCOL", "SERVER_SOFTWARE", "GATEWAY_INTERFACE",
    "REMOTE_ADDR", "REMOTE_PORT", "CONTENT_LENGTH", "CONTENT_TYPE",
    "DOCUMENT_ROOT", "REQUEST_URI", "URL", "SERVER_PORT_SECURE", "HTTPS",
    "LOCAL_ADDR", "HTTP_VERSION", "INSTANCE_ID", "APPL_PHYSICAL_PATH",
    "HTTP_HOST", "HTTP_USER_AGENT",
};

BOOL WINAPI GetExtensionVersion(HSE_VERSION_INFO *pVer)
{
    pVer->dwExtensionVersion = MAKELONG(HSE_VERSION_MINOR, HSE_VERSION_MAJOR);
    strncpy(pVer->lpszExtensionDesc, "isapid sample: servervars",
            HSE_MAX_EXT_DLL_NAME_LEN - 1);
    pVer->lpszExtensionDesc[HSE_MAX_EXT_DLL_NAME_LEN - 1] = '\0';
    return TRUE;
}

/*
 * Fetches a server variable into a malloc'd, NUL-terminated string.
 * Returns NULL and stores the Windows error in *err if it is not available.
 * The caller frees the result.
 */
static char *get_var(EXTENSION_CONTROL_BLOCK *pECB, const char *name,
                     DWORD *err)
{
    DWORD cap = 64;                 /* deliberately small: exercise growing */
    char *buf = malloc(cap);
    if (buf == NULL) {
        *err = ERROR_NOT_ENOUGH_MEMORY;
        return NULL;
    }
    for (int attempt = 0; attempt < 4; attempt++) {
        DWORD size = cap;
        /* lpszVariableName is LPSTR (non-const) in Microsoft's prototype. */
        if (pECB->GetServerVariable(pECB->ConnID, (LPSTR)name, buf, &size)) {
            /* The host wrote value + NUL (size = strlen + 1 <= cap). Be
             * defensive anyway: the last byte of the buffer is always a
             * valid place for a terminator and cannot cut a correct value. */
            buf[cap - 1] = '\0';
            return buf;
        }
        DWORD e = GetLastError();
        if (e != ERROR_INSUFFICIENT_BUFFER || size <= cap) {
            /* Not available, or a host that did not report the needed size
             * (then we cannot know how much to grow: give up). */
            *err = e;
            free(buf);
            return NULL;
        }
        /* *lpdwSize now holds the size needed, NUL included. */
        char *bigger = realloc(buf, size);
        if (bigger == NULL) {
            *err = ERROR_NOT_ENOUGH_MEMORY;
            free(buf);
            return NULL;
        }
        buf = bigger;
        cap = size;
    }
    /* The value kept growing between calls; should not happen. */
    *err = ERROR_INSUFFICIENT_BUFFER;
    free(buf);
    return NULL;
}

static BOOL put(EXTENSION_CONTROL_BLOCK *pECB, const char *s)
{
    DWORD len = (DWORD)strlen(s);
    if (len == 0)
        return TRUE;
    return pECB->WriteClient(pECB->ConnID, (LPVOID)s, &len, HSE_IO_SYNC);
}

/* Writes "NAME=value\n" or "NAME=<error N>\n". */
static BOOL put_var_line(EXTENSION_CONTROL_BLOCK *pECB, const char *name)
{
    DWORD err = 0;
    char *value = get_var(pECB, name, &err);
    BOOL ok = put(pECB, name) && put(pECB, "=");
    if (ok) {
        if (value != NULL) {
            ok = put(pECB, value);
        } else {
            char msg[32];
            snprintf(msg, sizeof msg, "<error %lu>", (unsigned long)err);
            ok = put(pECB, msg);
        }
    }
    ok = ok && put(pECB, "\n");
    free(value);
    return ok;
}

/* Writes "NAME:\n" followed by the full multi-line value. */
static BOOL put_block(EXTENSION_CONTROL_BLOCK *pECB, const char *name)
{
    DWORD err = 0;
    char *value = get_var(pECB, name, &err);
    BOOL ok = put(pECB, "\n") && put(pECB, name) && put(pECB, ":\n");
    if (ok) {
        if (value != NULL) {
            ok = put(pECB, value);
        } else {
            char msg[32];
            snprintf(msg, sizeof msg, "<error %lu>\n", (unsigned long)err);
            ok = put(pECB, msg);
        }
    }
    free(value);
    return ok;
}

DWORD WINAPI HttpExtensionProc(EXTENSION_CONTROL_BLOCK *pECB)
{
    static const char headers[] = "Content-Type: text/plain\r\n\r\n";
    HSE_SEND_HEADER_EX_INFO hdr;
    memset(&hdr, 0, sizeof hdr);
    hdr.pszStatus = "200 OK";
    hdr.cchStatus = 6;
    hdr.pszHeader = headers;
    hdr.cchHeader = (DWORD)(sizeof headers - 1);
    hdr.fKeepConn = TRUE;
    pECB->dwHttpStatusCode = 200;
    if (!pECB->ServerSupportFunction(pECB->ConnID,
                                     HSE_REQ_SEND_RESPONSE_HEADER_EX,
                                     &hdr, NULL, NULL))
        return HSE_STATUS_ERROR;

    for (size_t i = 0; i < sizeof kVariables / sizeof kVariables[0]; i++)
        if (!put_var_line(pECB, kVariables[i]))
            return HSE_STATUS_ERROR;

    if (!put_block(pECB, "ALL_HTTP") || !put_block(pECB, "ALL_RAW"))
        return HSE_STATUS_ERROR;

    return HSE_STATUS_SUCCESS_AND_KEEP_CONN;
}

BOOL WINAPI TerminateExtension(DWORD dwFlags)
{
    (void)dwFlags;
    return TRUE;
}
