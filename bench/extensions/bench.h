/*
 * bench.h - what the bench-only extensions (bench/run.py) share: their two
 * fixed entry points and "200 OK" with a header block.
 */

#ifndef BENCH_H
#define BENCH_H

#include <string.h>
#include <httpext.h>

/* GetExtensionVersion (with this description) and TerminateExtension. */
#define BENCH_EXTENSION(description)                                             \
    BOOL WINAPI GetExtensionVersion(HSE_VERSION_INFO *pVer)                      \
    {                                                                            \
        pVer->dwExtensionVersion = MAKELONG(HSE_VERSION_MINOR, HSE_VERSION_MAJOR); \
        strncpy(pVer->lpszExtensionDesc, description, HSE_MAX_EXT_DLL_NAME_LEN - 1); \
        pVer->lpszExtensionDesc[HSE_MAX_EXT_DLL_NAME_LEN - 1] = '\0';            \
        return TRUE;                                                             \
    }                                                                            \
    BOOL WINAPI TerminateExtension(DWORD dwFlags)                                \
    {                                                                            \
        (void)dwFlags;                                                           \
        return TRUE;                                                             \
    }

/* Sends "200 OK" and `headers` (ending with an empty line) through
 * HSE_REQ_SEND_RESPONSE_HEADER_EX. */
static inline BOOL bench_send_200(EXTENSION_CONTROL_BLOCK *pECB, const char *headers)
{
    HSE_SEND_HEADER_EX_INFO hdr;
    memset(&hdr, 0, sizeof hdr);
    hdr.pszStatus = "200 OK";
    hdr.cchStatus = 6;
    hdr.pszHeader = headers;
    hdr.cchHeader = (DWORD)strlen(headers);
    hdr.fKeepConn = TRUE;
    pECB->dwHttpStatusCode = 200;
    return pECB->ServerSupportFunction(pECB->ConnID, HSE_REQ_SEND_RESPONSE_HEADER_EX, &hdr, NULL, NULL);
}

#endif
