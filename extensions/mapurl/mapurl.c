/*
 * mapurl.c - maps a URL path to a file-system path.
 *
 *   /scripts/mapurl.dll?/index.html   maps "/index.html"
 *   /scripts/mapurl.dll               maps "/"
 * (The query string is used as-is, not URL-decoded.)
 *
 * HSE_REQ_MAP_URL_TO_PATH (Microsoft's contract, which isapid follows):
 *   lpvBuffer    in: the URL (NUL-terminated); out: the physical path.
 *   lpdwSize     in: size of lpvBuffer in bytes; out: length of the result.
 *   If the buffer is too small the call returns FALSE, GetLastError() is
 *   ERROR_INSUFFICIENT_BUFFER (122) and *lpdwSize is the size needed.
 *   The same buffer carries the URL in, so it must hold the URL too.
 *   (Apache's mod_isapi instead truncates silently and returns TRUE; that is
 *   why this sample prints exactly what comes back.)
 *
 * HSE_REQ_MAP_URL_TO_PATH_EX:
 *   lpvBuffer    the URL; lpdwSize -> its length;
 *   lpdwDataType really a HSE_URL_MAPEX_INFO * (cast to LPDWORD, as on IIS).
 *   Fills lpszPath (MAX_PATH = 260 bytes), dwFlags (HSE_URL_FLAGS_*),
 *   cchMatchingPath and cchMatchingURL.
 *
 * On Linux the results are Unix paths ("/srv/htdocs/index.html"), and file
 * names are case-sensitive. mod_isapi turns '/' into '\' in the _EX path
 * even on Unix; code that must run on both hosts should accept either.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <httpext.h>

BOOL WINAPI GetExtensionVersion(HSE_VERSION_INFO *pVer)
{
    pVer->dwExtensionVersion = MAKELONG(HSE_VERSION_MINOR, HSE_VERSION_MAJOR);
    strncpy(pVer->lpszExtensionDesc, "isapid sample: mapurl",
            HSE_MAX_EXT_DLL_NAME_LEN - 1);
    pVer->lpszExtensionDesc[HSE_MAX_EXT_DLL_NAME_LEN - 1] = '\0';
    return TRUE;
}

static BOOL put(EXTENSION_CONTROL_BLOCK *pECB, const char *s)
{
    DWORD len = (DWORD)strlen(s);
    if (len == 0)
        return TRUE;
    return pECB->WriteClient(pECB->ConnID, (LPVOID)s, &len, HSE_IO_SYNC);
}

/* printf-style line of at most 1 KiB (paths longer than that are cut in
 * the printout only). A failed write sets `failed` (declared in
 * HttpExtensionProc) and the function carries on, so nothing leaks. */
#define PUTF(ecb, ...)                                              \
    do {                                                            \
        char line_[1024];                                           \
        snprintf(line_, sizeof line_, __VA_ARGS__);                 \
        if (!failed && !put((ecb), line_))                          \
            failed = 1;                                             \
    } while (0)

DWORD WINAPI HttpExtensionProc(EXTENSION_CONTROL_BLOCK *pECB)
{
    const char *url = (pECB->lpszQueryString && *pECB->lpszQueryString)
                          ? pECB->lpszQueryString
                          : "/";
    size_t urllen = strlen(url);
    if (urllen > 4096 || strpbrk(url, "\r\n") != NULL) {
        url = "/";
        urllen = 1;
    }
    int failed = 0;

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

    PUTF(pECB, "URL: %s\n\n", url);

    /* --- 1. HSE_REQ_MAP_URL_TO_PATH with a buffer that only fits the URL.
     * The physical path (document root + URL) is longer, so a Microsoft-
     * conforming host answers FALSE / ERROR_INSUFFICIENT_BUFFER. */
    DWORD cap = (DWORD)urllen + 1;
    char *buf = malloc(cap);
    if (buf == NULL)
        return HSE_STATUS_ERROR;
    memcpy(buf, url, cap);
    DWORD size = cap;
    SetLastError(0);
    BOOL ok = pECB->ServerSupportFunction(pECB->ConnID,
                                          HSE_REQ_MAP_URL_TO_PATH,
                                          buf, &size, NULL);
    DWORD err = GetLastError();
    PUTF(pECB, "MAP_URL_TO_PATH, buffer %lu bytes: %s, GetLastError()=%lu, "
               "*lpdwSize=%lu\n",
         (unsigned long)cap, ok ? "TRUE" : "FALSE", (unsigned long)err,
         (unsigned long)size);
    if (ok)
        PUTF(pECB, "  (host did not report a short buffer) path: %.*s\n",
             (int)cap, buf);

    /* --- 2. Again with the size the host asked for. */
    if (!ok && err == ERROR_INSUFFICIENT_BUFFER && size > cap) {
        char *bigger = realloc(buf, size);
        if (bigger == NULL) {
            free(buf);
            return HSE_STATUS_ERROR;
        }
        buf = bigger;
        cap = size;
        memcpy(buf, url, urllen + 1);
        size = cap;
        SetLastError(0);
        ok = pECB->ServerSupportFunction(pECB->ConnID,
                                         HSE_REQ_MAP_URL_TO_PATH,
                                         buf, &size, NULL);
        err = GetLastError();
        buf[cap - 1] = '\0';
        PUTF(pECB, "MAP_URL_TO_PATH, buffer %lu bytes: %s, GetLastError()=%lu, "
                   "*lpdwSize=%lu\n",
             (unsigned long)cap, ok ? "TRUE" : "FALSE", (unsigned long)err,
             (unsigned long)size);
        if (ok)
            PUTF(pECB, "  path: %s\n", buf);
    }
    free(buf);

    /* --- 3. HSE_REQ_MAP_URL_TO_PATH_EX. */
    HSE_URL_MAPEX_INFO mi;
    memset(&mi, 0, sizeof mi);
    char urlcopy[4097];
    memcpy(urlcopy, url, urllen + 1);
    DWORD ulen = (DWORD)urllen;
    SetLastError(0);
    ok = pECB->ServerSupportFunction(pECB->ConnID, HSE_REQ_MAP_URL_TO_PATH_EX,
                                     urlcopy, &ulen, (LPDWORD)(void *)&mi);
    err = GetLastError();
    mi.lpszPath[MAX_PATH - 1] = '\0';
    PUTF(pECB, "\nMAP_URL_TO_PATH_EX: %s, GetLastError()=%lu\n",
         ok ? "TRUE" : "FALSE", (unsigned long)err);
    if (ok) {
        PUTF(pECB, "  lpszPath:        %s\n", mi.lpszPath);
        PUTF(pECB, "  dwFlags:         0x%03lx%s%s%s%s\n",
             (unsigned long)mi.dwFlags,
             (mi.dwFlags & HSE_URL_FLAGS_READ) ? " READ" : "",
             (mi.dwFlags & HSE_URL_FLAGS_WRITE) ? " WRITE" : "",
             (mi.dwFlags & HSE_URL_FLAGS_EXECUTE) ? " EXECUTE" : "",
             (mi.dwFlags & HSE_URL_FLAGS_SCRIPT) ? " SCRIPT" : "");
        PUTF(pECB, "  cchMatchingPath: %lu\n", (unsigned long)mi.cchMatchingPath);
        PUTF(pECB, "  cchMatchingURL:  %lu\n", (unsigned long)mi.cchMatchingURL);
    }
    return failed ? HSE_STATUS_ERROR : HSE_STATUS_SUCCESS_AND_KEEP_CONN;
}

BOOL WINAPI TerminateExtension(DWORD dwFlags)
{
    (void)dwFlags;
    return TRUE;
}
