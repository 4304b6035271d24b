/*
 * template.c - a small template engine run through a script map.
 *
 * An *engine* does not answer for itself: the server maps files of one
 * extension to it (isapid: "ISAPIScriptMap .tpl template.dll verify", or
 * Apache's "Action" + "AddHandler"), exactly as IIS maps .php to PHP's ISAPI
 * module. The engine opens the file named by lpszPathTranslated (the script,
 * not the engine itself), replaces every ${NAME} with the server variable
 * NAME (HTML-escaped; an unknown variable is empty), and sends the result as
 * text/html with a Content-Length. "$$" writes one "$".
 *
 * A missing script is 404, an unreadable one 403 (with "verify" the server
 * answers 404 itself before the engine runs).
 *
 * Build:  cc -std=c11 -shared -fPIC -I <isapid>/Sources/CISAPI/include \
 *            template.c -o template.dll
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <httpext.h>

/* Scripts are read whole: a template larger than this is an error (500). */
#define TEMPLATE_MAX_BYTES (4 * 1024 * 1024)

BOOL WINAPI GetExtensionVersion(HSE_VERSION_INFO *pVer)
{
    pVer->dwExtensionVersion = MAKELONG(HSE_VERSION_MINOR, HSE_VERSION_MAJOR);
    strncpy(pVer->lpszExtensionDesc, "isapid sample: template engine",
            HSE_MAX_EXT_DLL_NAME_LEN - 1);
    pVer->lpszExtensionDesc[HSE_MAX_EXT_DLL_NAME_LEN - 1] = '\0';
    return TRUE;
}

/* A growable output buffer. */
typedef struct {
    char *data;
    size_t length;
    size_t capacity;
} Output;

static int output_append(Output *out, const char *bytes, size_t count)
{
    if (out->length + count > out->capacity) {
        size_t capacity = out->capacity ? out->capacity : 1024;
        while (capacity < out->length + count) capacity *= 2;
        char *grown = realloc(out->data, capacity);
        if (grown == NULL) return 0;
        out->data = grown;
        out->capacity = capacity;
    }
    memcpy(out->data + out->length, bytes, count);
    out->length += count;
    return 1;
}

/* Appends text with &, <, > and " escaped for HTML. */
static int output_append_escaped(Output *out, const char *text)
{
    for (; *text; text++) {
        const char *entity = NULL;
        switch (*text) {
        case '&': entity = "&amp;"; break;
        case '<': entity = "&lt;"; break;
        case '>': entity = "&gt;"; break;
        case '"': entity = "&quot;"; break;
        }
        if (!(entity ? output_append(out, entity, strlen(entity)) : output_append(out, text, 1))) return 0;
    }
    return 1;
}

/* Appends the server variable `name` (escaped); unknown variables add nothing. */
static int append_variable(EXTENSION_CONTROL_BLOCK *pECB, Output *out, const char *name)
{
    char small[256];
    DWORD size = sizeof small;
    if (pECB->GetServerVariable(pECB->ConnID, (LPSTR)name, small, &size))
        return output_append_escaped(out, small);
    if (GetLastError() != ERROR_INSUFFICIENT_BUFFER) return 1;
    /* size now holds what the value needs, NUL included. */
    char *large = malloc(size);
    if (large == NULL) return 0;
    int ok = 1;
    if (pECB->GetServerVariable(pECB->ConnID, (LPSTR)name, large, &size))
        ok = output_append_escaped(out, large);
    free(large);
    return ok;
}

/* Expands ${NAME} (NAME: letters, digits, '_') and "$$" in `text`. */
static int expand(EXTENSION_CONTROL_BLOCK *pECB, const char *text, size_t length, Output *out)
{
    size_t i = 0;
    while (i < length) {
        const char *dollar = memchr(text + i, '$', length - i);
        size_t literal = dollar ? (size_t)(dollar - (text + i)) : length - i;
        if (!output_append(out, text + i, literal)) return 0;
        i += literal;
        if (i >= length) break;
        /* text[i] == '$' */
        if (i + 1 < length && text[i + 1] == '$') {
            if (!output_append(out, "$", 1)) return 0;
            i += 2;
            continue;
        }
        size_t end = i + 2;
        while (end < length && end - i - 2 < 128 &&
               (text[end] == '_' || (text[end] >= 'A' && text[end] <= 'Z') ||
                (text[end] >= 'a' && text[end] <= 'z') || (text[end] >= '0' && text[end] <= '9')))
            end++;
        if (i + 1 < length && text[i + 1] == '{' && end > i + 2 && end < length && text[end] == '}') {
            char name[129];
            memcpy(name, text + i + 2, end - i - 2);
            name[end - i - 2] = '\0';
            if (!append_variable(pECB, out, name)) return 0;
            i = end + 1;
        } else {
            if (!output_append(out, "$", 1)) return 0;  /* not a reference: kept as written */
            i += 1;
        }
    }
    return 1;
}

static DWORD send_status(EXTENSION_CONTROL_BLOCK *pECB, DWORD code, const char *status)
{
    char headers[96];
    snprintf(headers, sizeof headers, "Content-Type: text/plain\r\nContent-Length: %zu\r\n\r\n", strlen(status));
    HSE_SEND_HEADER_EX_INFO hdr;
    memset(&hdr, 0, sizeof hdr);
    hdr.pszStatus = status;
    hdr.cchStatus = (DWORD)strlen(status);
    hdr.pszHeader = headers;
    hdr.cchHeader = (DWORD)strlen(headers);
    hdr.fKeepConn = TRUE;
    pECB->dwHttpStatusCode = code;
    if (!pECB->ServerSupportFunction(pECB->ConnID, HSE_REQ_SEND_RESPONSE_HEADER_EX, &hdr, NULL, NULL))
        return HSE_STATUS_ERROR;
    DWORD length = (DWORD)strlen(status);
    pECB->WriteClient(pECB->ConnID, (LPVOID)status, &length, HSE_IO_SYNC);
    return HSE_STATUS_SUCCESS;
}

/* Reads the whole script; NULL with errno set on failure. */
static char *read_script(const char *path, size_t *length)
{
    FILE *file = fopen(path, "rb");
    if (file == NULL) return NULL;
    char *data = NULL;
    size_t used = 0, capacity = 0;
    for (;;) {
        if (used == capacity) {
            capacity = capacity ? capacity * 2 : 4096;
            if (capacity > TEMPLATE_MAX_BYTES + 1) capacity = TEMPLATE_MAX_BYTES + 1;
            if (used == capacity) { errno = EFBIG; break; }
            char *grown = realloc(data, capacity);
            if (grown == NULL) { errno = ENOMEM; break; }
            data = grown;
        }
        size_t got = fread(data + used, 1, capacity - used, file);
        used += got;
        if (got == 0) {
            if (ferror(file)) break;
            fclose(file);
            *length = used;
            return data;
        }
    }
    int saved = errno;
    fclose(file);
    free(data);
    errno = saved;
    return NULL;
}

DWORD WINAPI HttpExtensionProc(EXTENSION_CONTROL_BLOCK *pECB)
{
    const char *script = pECB->lpszPathTranslated;
    if (script == NULL || script[0] == '\0')
        return send_status(pECB, 404, "404 Not Found");

    size_t length = 0;
    char *text = read_script(script, &length);
    if (text == NULL) {
        if (errno == ENOENT || errno == ENOTDIR || errno == EISDIR) return send_status(pECB, 404, "404 Not Found");
        if (errno == EACCES) return send_status(pECB, 403, "403 Forbidden");
        return send_status(pECB, 500, "500 Internal Server Error");
    }

    Output out = {0};
    int expanded = expand(pECB, text, length, &out);
    free(text);
    if (!expanded) {
        free(out.data);
        return send_status(pECB, 500, "500 Internal Server Error");
    }

    char headers[96];
    snprintf(headers, sizeof headers, "Content-Type: text/html; charset=utf-8\r\nContent-Length: %zu\r\n\r\n",
             out.length);
    HSE_SEND_HEADER_EX_INFO hdr;
    memset(&hdr, 0, sizeof hdr);
    hdr.pszStatus = "200 OK";
    hdr.cchStatus = 6;
    hdr.pszHeader = headers;
    hdr.cchHeader = (DWORD)strlen(headers);
    hdr.fKeepConn = TRUE;
    pECB->dwHttpStatusCode = 200;
    DWORD status = HSE_STATUS_SUCCESS;
    if (!pECB->ServerSupportFunction(pECB->ConnID, HSE_REQ_SEND_RESPONSE_HEADER_EX, &hdr, NULL, NULL)) {
        status = HSE_STATUS_ERROR;
    } else if (out.length > 0) {
        DWORD count = (DWORD)out.length;
        if (!pECB->WriteClient(pECB->ConnID, out.data, &count, HSE_IO_SYNC)) status = HSE_STATUS_ERROR;
    }
    free(out.data);
    return status;
}

BOOL WINAPI TerminateExtension(DWORD dwFlags)
{
    (void)dwFlags;
    return TRUE;
}
