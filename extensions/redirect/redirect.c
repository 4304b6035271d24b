/*
 * redirect.c - the two ISAPI 2.0 ways to send the client elsewhere.
 *
 *   ?to=/somewhere      HSE_REQ_SEND_URL_REDIRECT_RESP: a 302 with
 *                       "Location: /somewhere". The client makes a new
 *                       request. Microsoft says the URL should be fully
 *                       qualified (http://host/path); a local path is passed
 *                       through unchanged.
 *   ?internal=/x        HSE_REQ_SEND_URL: an internal redirect. The host
 *                       serves /x itself (method becomes GET, the unread
 *                       request body is discarded) and the client never sees
 *                       a redirect. Must be a local URL path.
 *   anything else       a small HTML page with links to try both.
 *
 * Like mod_isapi, isapid keeps the two codes distinct (recent Microsoft docs
 * treat them as equivalent). After either call, write nothing more and
 * return: the response is complete.
 *
 * The value is URL-decoded before use (%2F -> '/', '+' -> ' '), and
 * rejected if it contains CR or LF (header injection).
 */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <httpext.h>

BOOL WINAPI GetExtensionVersion(HSE_VERSION_INFO *pVer)
{
    pVer->dwExtensionVersion = MAKELONG(HSE_VERSION_MINOR, HSE_VERSION_MAJOR);
    strncpy(pVer->lpszExtensionDesc, "isapid sample: redirect",
            HSE_MAX_EXT_DLL_NAME_LEN - 1);
    pVer->lpszExtensionDesc[HSE_MAX_EXT_DLL_NAME_LEN - 1] = '\0';
    return TRUE;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* Copies the URL-decoded value of parameter `key` from query string `qs`
 * into out[cap]. Returns 1 if found and it fits, else 0. */
static int query_param(const char *qs, const char *key, char *out, size_t cap)
{
    size_t klen = strlen(key);
    for (const char *p = qs; p != NULL && *p != '\0'; ) {
        if (strncmp(p, key, klen) == 0 && p[klen] == '=') {
            const char *v = p + klen + 1;
            size_t o = 0;
            while (*v != '\0' && *v != '&') {
                int c = (unsigned char)*v;
                if (c == '+') {
                    c = ' ';
                    v++;
                } else if (c == '%' && hexval(v[1]) >= 0 && hexval(v[2]) >= 0) {
                    c = hexval(v[1]) * 16 + hexval(v[2]);
                    v += 3;
                } else {
                    v++;
                }
                if (o + 1 >= cap)
                    return 0;
                out[o++] = (char)c;
            }
            out[o] = '\0';
            return 1;
        }
        p = strchr(p, '&');
        if (p != NULL)
            p++;
    }
    return 0;
}

static int safe_url(const char *u)
{
    return *u != '\0' && strpbrk(u, "\r\n") == NULL;
}

static DWORD send_page(EXTENSION_CONTROL_BLOCK *pECB)
{
    static const char headers[] = "Content-Type: text/html; charset=utf-8\r\n\r\n";
    static const char page[] =
        "<!DOCTYPE html>\n"
        "<html><head><title>redirect sample</title></head><body>\n"
        "<h1>ISAPI redirect sample</h1>\n"
        "<ul>\n"
        "<li><a href=\"?to=/\">?to=/</a> &ndash; HSE_REQ_SEND_URL_REDIRECT_RESP (302)</li>\n"
        "<li><a href=\"?internal=/\">?internal=/</a> &ndash; HSE_REQ_SEND_URL (internal redirect)</li>\n"
        "</ul>\n"
        "</body></html>\n";

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

    DWORD len = (DWORD)(sizeof page - 1);
    if (!pECB->WriteClient(pECB->ConnID, (LPVOID)page, &len, HSE_IO_SYNC))
        return HSE_STATUS_ERROR;
    return HSE_STATUS_SUCCESS_AND_KEEP_CONN;
}

DWORD WINAPI HttpExtensionProc(EXTENSION_CONTROL_BLOCK *pECB)
{
    const char *qs = pECB->lpszQueryString ? pECB->lpszQueryString : "";
    char url[2048];

    if (query_param(qs, "to", url, sizeof url) && safe_url(url)) {
        /* lpvBuffer: NUL-terminated URL. lpdwSize: its length (IIS reads it;
         * mod_isapi ignores it). lpdwDataType: unused. */
        DWORD size = (DWORD)strlen(url);
        pECB->dwHttpStatusCode = 302;
        if (!pECB->ServerSupportFunction(pECB->ConnID,
                                         HSE_REQ_SEND_URL_REDIRECT_RESP,
                                         url, &size, NULL))
            return HSE_STATUS_ERROR;
        return HSE_STATUS_SUCCESS;
    }

    if (query_param(qs, "internal", url, sizeof url) && safe_url(url)) {
        /* A local path only ("/x"); the host runs it synchronously inside
         * this call. Leave dwHttpStatusCode alone: the target decides. */
        DWORD size = (DWORD)strlen(url);
        if (!pECB->ServerSupportFunction(pECB->ConnID, HSE_REQ_SEND_URL,
                                         url, &size, NULL))
            return HSE_STATUS_ERROR;
        return HSE_STATUS_SUCCESS;
    }

    return send_page(pECB);
}

BOOL WINAPI TerminateExtension(DWORD dwFlags)
{
    (void)dwFlags;
    return TRUE;
}
