/*
 * echo.c - the echo program of the rewrite differential suite (run.py).
 *
 * One source, two builds, so both servers print exactly the same thing:
 *
 *   Apache (CGI):   cc -DECHO_CGI -o echo echo.c
 *   isapid (ISAPI): cc -shared -fPIC -I Sources/CISAPI/include echo.c -o echo.dll
 *
 * It answers 200 text/plain with the line "ECHO" and then one "NAME=value" line
 * for each variable of kVariables that is set and not empty (an unset variable
 * and an empty one are the same here: Apache's CGI leaves PATH_INFO unset where
 * isapid's GetServerVariable answers ""). Values are written byte for byte
 * except '\' (written "\\") and bytes below 0x20, 0x7f and above (written
 * "\xHH"), so a value is always one line and nothing is lost.
 *
 * Reached as the ErrorDocument for 404 it shows where the failed request went
 * (REDIRECT_URL, REDIRECT_QUERY_STRING, REDIRECT_STATUS); installed in the
 * DocumentRoot (index.php, app.php, ...) it shows what a front controller sees.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kVariables[] = {
    "SCRIPT_NAME",
    "PATH_INFO",
    "QUERY_STRING",
    "REDIRECT_URL",
    "REDIRECT_QUERY_STRING",
    "REDIRECT_STATUS",
    /* set by suites with [E=RW_A:...] and [E=RW_B:...]; REDIRECT_ after an
       internal redirect */
    "RW_A",
    "RW_B",
    "REDIRECT_RW_A",
    "REDIRECT_RW_B",
    /* front controllers' [E=HTTP_AUTHORIZATION:%{HTTP:Authorization}] (neither
       server passes the Authorization header itself to scripts) */
    "HTTP_AUTHORIZATION",
    "REDIRECT_HTTP_AUTHORIZATION",
};

#define VARIABLE_COUNT (sizeof kVariables / sizeof kVariables[0])

/* A growable output buffer. */
struct out {
    char *data;
    size_t length;
    size_t capacity;
};

static void out_append(struct out *o, const char *bytes, size_t n)
{
    if (o->length + n + 1 > o->capacity) {
        size_t capacity = o->capacity ? o->capacity : 1024;
        while (o->length + n + 1 > capacity) capacity *= 2;
        char *grown = realloc(o->data, capacity);
        if (grown == NULL) return;
        o->data = grown;
        o->capacity = capacity;
    }
    memcpy(o->data + o->length, bytes, n);
    o->length += n;
    o->data[o->length] = '\0';
}

static void out_string(struct out *o, const char *s) { out_append(o, s, strlen(s)); }

static void out_value(struct out *o, const char *name, const char *value)
{
    static const char hex[] = "0123456789abcdef";
    if (value == NULL || value[0] == '\0') return;
    out_string(o, name);
    out_string(o, "=");
    for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
        if (*p == '\\') {
            out_string(o, "\\\\");
        } else if (*p < 0x20 || *p >= 0x7f) {
            char escaped[4] = { '\\', 'x', hex[*p >> 4], hex[*p & 15] };
            out_append(o, escaped, 4);
        } else {
            out_append(o, (const char *)p, 1);
        }
    }
    out_string(o, "\n");
}

#ifdef ECHO_CGI

int main(void)
{
    struct out o = { 0 };
    out_string(&o, "ECHO\n");
    for (size_t i = 0; i < VARIABLE_COUNT; i++) out_value(&o, kVariables[i], getenv(kVariables[i]));
    printf("Content-Type: text/plain\r\nContent-Length: %zu\r\n\r\n", o.length);
    fwrite(o.data, 1, o.length, stdout);
    return 0;
}

#else

#include <httpext.h>

BOOL WINAPI GetExtensionVersion(HSE_VERSION_INFO *pVer)
{
    pVer->dwExtensionVersion = MAKELONG(HSE_VERSION_MINOR, HSE_VERSION_MAJOR);
    strncpy(pVer->lpszExtensionDesc, "rewrite differential echo", HSE_MAX_EXT_DLL_NAME_LEN - 1);
    pVer->lpszExtensionDesc[HSE_MAX_EXT_DLL_NAME_LEN - 1] = '\0';
    return TRUE;
}

/* The variable as a malloc'd string, or NULL when it is not available. */
static char *get_variable(EXTENSION_CONTROL_BLOCK *pECB, const char *name)
{
    DWORD capacity = 256;
    char *buffer = malloc(capacity);
    for (int attempt = 0; buffer != NULL && attempt < 4; attempt++) {
        DWORD size = capacity;
        if (pECB->GetServerVariable(pECB->ConnID, (LPSTR)name, buffer, &size)) return buffer;
        if (GetLastError() != ERROR_INSUFFICIENT_BUFFER || size <= capacity) break;
        capacity = size;
        char *grown = realloc(buffer, capacity);
        if (grown == NULL) break;
        buffer = grown;
    }
    free(buffer);
    return NULL;
}

DWORD WINAPI HttpExtensionProc(EXTENSION_CONTROL_BLOCK *pECB)
{
    struct out o = { 0 };
    out_string(&o, "ECHO\n");
    for (size_t i = 0; i < VARIABLE_COUNT; i++) {
        char *value = get_variable(pECB, kVariables[i]);
        out_value(&o, kVariables[i], value);
        free(value);
    }

    static const char status[] = "200 OK";
    char headers[128];
    snprintf(headers, sizeof headers, "Content-Type: text/plain\r\nContent-Length: %zu\r\n\r\n", o.length);
    HSE_SEND_HEADER_EX_INFO header;
    memset(&header, 0, sizeof header);
    header.pszStatus = status;
    header.cchStatus = (DWORD)(sizeof status - 1);
    header.pszHeader = headers;
    header.cchHeader = (DWORD)strlen(headers);
    header.fKeepConn = TRUE;
    pECB->dwHttpStatusCode = 200;
    DWORD result = HSE_STATUS_SUCCESS;
    if (!pECB->ServerSupportFunction(pECB->ConnID, HSE_REQ_SEND_RESPONSE_HEADER_EX, &header, NULL, NULL)) {
        result = HSE_STATUS_ERROR;
    } else {
        DWORD length = (DWORD)o.length;
        if (length > 0 && !pECB->WriteClient(pECB->ConnID, o.data, &length, HSE_IO_SYNC)) result = HSE_STATUS_ERROR;
    }
    free(o.data);
    return result;
}

BOOL WINAPI TerminateExtension(DWORD dwFlags)
{
    (void)dwFlags;
    return TRUE;
}

#endif
