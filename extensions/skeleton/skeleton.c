/*
 * skeleton.c - copy-me template for an ISAPI 2.0 extension on isapid.
 *
 * Copy this folder, rename skeleton.c, and fill in handle_request().
 *
 * BUILD
 *     cc -std=c11 -Wall -Wextra -shared -fPIC \
 *        -I <isapid>/Sources/CISAPI/include myext.c -o myext.dll
 *   The output is an ELF shared object; the ".dll" name is kept so URLs and
 *   configurations written for IIS keep working (AddHandler isapi-handler
 *   .dll). Link nothing else: GetLastError/SetLastError are resolved from
 *   the isapid process when the library is loaded.
 *
 * WHAT ISAPID DOES DIFFERENTLY FROM IIS (short list; see extensions/README.md)
 *   - No <windows.h>, no kernel32: only <httpext.h> plus libc/pthreads.
 *     WINAPI/__stdcall expand to nothing (there is one calling convention).
 *   - DWORD is uint32_t and BOOL int32_t, as on Windows; "long" is 64-bit on
 *     Linux, so never use long/unsigned long where a DWORD is meant.
 *   - Paths are Unix paths with '/', and file names are case-sensitive.
 *   - Unsupported ServerSupportFunction codes return FALSE with
 *     GetLastError() == ERROR_INVALID_PARAMETER (87); they are logged when
 *     "ISAPILogNotSupported On". Async I/O needs "ISAPIFakeAsync On".
 *   - Unless the .dll is listed in ISAPICacheFile it may be loaded and
 *     unloaded per request: keep GetExtensionVersion cheap, or (better,
 *     recommended in production) list it in ISAPICacheFile.
 *   - Unlike Apache's mod_isapi: chunked uploads reach the extension
 *     (cbTotalBytes == 0xFFFFFFFF), unset standard server variables return
 *     TRUE with "" (not FALSE), ECB strings are never NULL (""), and
 *     HSE_TERM_MUST_UNLOAD has Microsoft's value 2.
 *
 * THREADING
 *   HttpExtensionProc is called concurrently from the host's worker pool
 *   (ThreadsPerChild threads). Keep per-request state on the stack or in the
 *   heap; protect globals with a pthread mutex or C11 atomics.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <httpext.h>

/* ------------------------------------------------------------------------
 * DllMain (OPTIONAL)
 *
 * On Windows the loader calls DllMain. On Linux nothing does, except that
 * isapid looks the symbol up and, if exported, calls it itself with
 * DLL_PROCESS_ATTACH after loading and DLL_PROCESS_DETACH before unloading.
 * It must have default visibility (ISAPI_SDK_EXPORT) to be found. Delete it
 * if you do not need it; GetExtensionVersion is the better place for
 * initialisation. Do not rely on DLL_THREAD_ATTACH/DETACH.
 * ---------------------------------------------------------------------- */
ISAPI_SDK_EXPORT BOOL WINAPI DllMain(HINSTANCE hinstDLL, DWORD fdwReason,
                                     LPVOID lpvReserved)
{
    (void)hinstDLL;
    (void)lpvReserved;
    switch (fdwReason) {
    case DLL_PROCESS_ATTACH:
        /* one-time setup that cannot wait for GetExtensionVersion */
        break;
    case DLL_PROCESS_DETACH:
        /* last chance to release process-wide resources */
        break;
    default:
        break;
    }
    return TRUE;
}

/* ------------------------------------------------------------------------
 * GetExtensionVersion (REQUIRED)
 *
 * Called once after the library is loaded, before any request. Fill in the
 * ISAPI version you were written for and a description (up to 255 chars
 * plus NUL). Return FALSE to refuse to load (the request then gets a 500;
 * SetLastError() first to have the reason logged).
 *
 * The prototype is in httpext.h with default visibility, so the symbol is
 * exported even with -fvisibility=hidden. No .def file is needed.
 * ---------------------------------------------------------------------- */
BOOL WINAPI GetExtensionVersion(HSE_VERSION_INFO *pVer)
{
    pVer->dwExtensionVersion = MAKELONG(HSE_VERSION_MINOR, HSE_VERSION_MAJOR);
    strncpy(pVer->lpszExtensionDesc, "isapid sample: skeleton",
            HSE_MAX_EXT_DLL_NAME_LEN - 1);
    pVer->lpszExtensionDesc[HSE_MAX_EXT_DLL_NAME_LEN - 1] = '\0';
    return TRUE;
}

/* ------------------------------------------------------------------------
 * Helpers you will want in every extension.
 * ---------------------------------------------------------------------- */

/* Sends the status line and headers. `headers` is "Name: value\r\n" lines;
 * this adds the mandatory empty line that ends the block. */
static BOOL send_headers(EXTENSION_CONTROL_BLOCK *pECB, DWORD code,
                         const char *status, const char *headers)
{
    char block[2048];
    int n = snprintf(block, sizeof block, "%s\r\n", headers ? headers : "");
    if (n < 0 || (size_t)n >= sizeof block)
        return FALSE;

    HSE_SEND_HEADER_EX_INFO hdr;
    memset(&hdr, 0, sizeof hdr);
    hdr.pszStatus = status;                 /* e.g. "200 OK", "404 Not Found" */
    hdr.cchStatus = (DWORD)strlen(status);
    hdr.pszHeader = block;                  /* ends with "\r\n\r\n" */
    hdr.cchHeader = (DWORD)n;
    hdr.fKeepConn = TRUE;                   /* advisory only on isapid */

    pECB->dwHttpStatusCode = code;          /* what the host logs */
    return pECB->ServerSupportFunction(pECB->ConnID,
                                       HSE_REQ_SEND_RESPONSE_HEADER_EX,
                                       &hdr, NULL, NULL);
    /* Older code uses HSE_REQ_SEND_RESPONSE_HEADER instead:
     *   ServerSupportFunction(ConnID, HSE_REQ_SEND_RESPONSE_HEADER,
     *                         "200 OK", NULL, (LPDWORD)"Content-Type: ...\r\n\r\n");
     * (status in lpvBuffer, header block in lpdwDataType). Works too. */
}

/* Writes bytes of body. WriteClient is synchronous unless HSE_IO_ASYNC is
 * passed (which needs ISAPIFakeAsync On). The buffer may be reused as soon
 * as the call returns. */
static BOOL write_body(EXTENSION_CONTROL_BLOCK *pECB, const void *data,
                       DWORD len)
{
    if (len == 0)
        return TRUE;
    DWORD n = len;
    return pECB->WriteClient(pECB->ConnID, (LPVOID)data, &n, HSE_IO_SYNC);
}

static BOOL write_str(EXTENSION_CONTROL_BLOCK *pECB, const char *s)
{
    return write_body(pECB, s, (DWORD)strlen(s));
}

/* Reads a server variable into a malloc'd string (free it), or NULL if
 * unavailable. Handles ERROR_INSUFFICIENT_BUFFER by growing to the size the
 * host returns in *lpdwSize (which includes the NUL). */
static char *get_server_variable(EXTENSION_CONTROL_BLOCK *pECB,
                                 const char *name)
{
    DWORD cap = 256;
    char *buf = malloc(cap);
    while (buf != NULL) {
        DWORD size = cap;
        if (pECB->GetServerVariable(pECB->ConnID, (LPSTR)name, buf, &size)) {
            buf[cap - 1] = '\0';            /* belt and braces */
            return buf;                     /* size == strlen(buf) + 1 */
        }
        if (GetLastError() != ERROR_INSUFFICIENT_BUFFER || size <= cap)
            break;                          /* unknown/unset: give up */
        char *bigger = realloc(buf, size);
        if (bigger == NULL)
            break;
        buf = bigger;
        cap = size;
    }
    free(buf);
    return NULL;
}

/* Reads the whole request body into a malloc'd buffer (free it), up to
 * `limit` bytes. *out_len receives the length. Returns NULL on error or if
 * the body is larger than `limit`. An empty body gives a non-NULL buffer of
 * length 0. */
static unsigned char *read_body(EXTENSION_CONTROL_BLOCK *pECB, size_t limit,
                                size_t *out_len)
{
    /* cbTotalBytes: the Content-Length, or 0xFFFFFFFF for a chunked upload
     * (isapid accepts those; mod_isapi refuses them with 411). Never trust
     * it as "bytes still to come": loop until ReadClient says "end". */
    size_t cap = pECB->cbAvailable + 4096;
    size_t len = 0;
    unsigned char *buf = malloc(cap);
    if (buf == NULL)
        return NULL;

    /* 1. What the host already read ahead (up to ISAPIReadAheadBuffer). */
    if (pECB->cbAvailable > 0) {
        if (pECB->cbAvailable > limit)
            goto fail;
        memcpy(buf, pECB->lpbData, pECB->cbAvailable);
        len = pECB->cbAvailable;
    }

    /* 2. The rest: ReadClient until TRUE with 0 bytes. */
    for (;;) {
        if (cap - len < 4096) {
            size_t ncap = cap * 2;
            unsigned char *bigger = realloc(buf, ncap);
            if (bigger == NULL)
                goto fail;
            buf = bigger;
            cap = ncap;
        }
        DWORD n = (DWORD)(cap - len > 65536 ? 65536 : cap - len);
        if (!pECB->ReadClient(pECB->ConnID, buf + len, &n))
            goto fail;                      /* ERROR_READ_FAULT: client gone */
        if (n == 0)
            break;                          /* end of body */
        len += n;
        if (len > limit)
            goto fail;
    }
    *out_len = len;
    return buf;

fail:
    free(buf);
    return NULL;
}

/* ------------------------------------------------------------------------
 * HttpExtensionProc (REQUIRED)
 *
 * Called once per request, concurrently. The ECB is valid until you return
 * (or, after HSE_STATUS_PENDING, until HSE_REQ_DONE_WITH_SESSION).
 *
 * Useful ECB fields (never NULL on isapid; check anyway if you also target
 * mod_isapi, where lpszPathInfo/lpszPathTranslated/lpszContentType can be):
 *   lpszMethod           "GET", "POST", ...
 *   lpszQueryString      raw text after '?', not decoded, "" if none
 *   lpszPathInfo         extra path after the .dll ("/a/b" for x.dll/a/b)
 *   lpszPathTranslated   lpszPathInfo mapped to a file-system path
 *   lpszContentType      request Content-Type
 *   cbTotalBytes, cbAvailable, lpbData   the request body (see read_body)
 *   dwHttpStatusCode     set it to the status you send
 *   lpszLogData          80 bytes logged at the end of the request
 *
 * Return HSE_STATUS_SUCCESS (or _AND_KEEP_CONN; isapid decides keep-alive
 * itself), HSE_STATUS_ERROR (logged; the connection is closed), or
 * HSE_STATUS_PENDING (async; needs ISAPIFakeAsync On; see extensions/async).
 * ---------------------------------------------------------------------- */
static DWORD handle_request(EXTENSION_CONTROL_BLOCK *pECB)
{
    /* Example: reject what we do not handle before sending anything. When
     * no headers were sent, setting dwHttpStatusCode and returning lets the
     * host send its own error page for that status (mod_isapi behaviour;
     * to be independent of the host, send the error response yourself). */
    if (strcmp(pECB->lpszMethod, "GET") != 0 &&
        strcmp(pECB->lpszMethod, "HEAD") != 0 &&
        strcmp(pECB->lpszMethod, "POST") != 0) {
        pECB->dwHttpStatusCode = 405;
        return HSE_STATUS_SUCCESS;
    }

    size_t body_len = 0;
    unsigned char *body = NULL;
    if (strcmp(pECB->lpszMethod, "POST") == 0) {
        body = read_body(pECB, 1024 * 1024, &body_len);
        if (body == NULL) {
            pECB->dwHttpStatusCode = 413;   /* or the read failed */
            return HSE_STATUS_SUCCESS;
        }
    }

    char *host = get_server_variable(pECB, "SERVER_NAME");

    if (!send_headers(pECB, 200, "200 OK",
                      "Content-Type: text/plain; charset=utf-8\r\n"
                      "Cache-Control: no-store\r\n")) {
        free(body);
        free(host);
        return HSE_STATUS_ERROR;
    }

    char line[512];
    snprintf(line, sizeof line,
             "skeleton on %s\nmethod=%s query=%s body=%zu bytes\n",
             host ? host : "(unknown)", pECB->lpszMethod,
             pECB->lpszQueryString ? pECB->lpszQueryString : "", body_len);
    BOOL ok = write_str(pECB, line);

    free(body);
    free(host);
    return ok ? HSE_STATUS_SUCCESS_AND_KEEP_CONN : HSE_STATUS_ERROR;
}

DWORD WINAPI HttpExtensionProc(EXTENSION_CONTROL_BLOCK *pECB)
{
    return handle_request(pECB);
}

/* ------------------------------------------------------------------------
 * TerminateExtension (OPTIONAL for the host, but export it)
 *
 * Called before the library is unloaded (server stop/reload, or after the
 * request when it is not cached with ISAPICacheFile).
 *   HSE_TERM_ADVISORY_UNLOAD (1): you may refuse with FALSE.
 *   HSE_TERM_MUST_UNLOAD     (2): you cannot refuse; clean up now.
 * (Apache's mod_isapi swaps these two values; isapid uses Microsoft's.)
 * Stop and join any threads you started: the code is unmapped afterwards.
 * ---------------------------------------------------------------------- */
BOOL WINAPI TerminateExtension(DWORD dwFlags)
{
    (void)dwFlags;
    return TRUE;
}
