/*
 * unsupported.c - calls ServerSupportFunction codes that isapid (like
 * Apache's mod_isapi) does not implement, and prints what comes back.
 *
 * The rule on isapid: any code it does not implement returns FALSE and sets
 * the last error to ERROR_INVALID_PARAMETER (87). Nothing else happens, the
 * buffers are not touched. With "ISAPILogNotSupported On" each such call is
 * also logged to the error log ("ServerSupportFunction ... not supported"),
 * which is the quickest way to find what a ported extension relies on.
 *
 * An IIS extension should therefore treat every IIS 4+/IIS 6 feature as
 * optional: call it, and fall back when it returns FALSE.
 *
 * GetLastError()/SetLastError() are provided by the host, thread-local,
 * with Windows numbers. SetLastError(0) before each call proves the value
 * printed was set by that call.
 *
 * Run this on a host that DOES implement these codes (IIS) with care:
 * ABORTIVE_CLOSE would reset the connection after the response.
 */

#include <stdio.h>
#include <string.h>
#include <httpext.h>

BOOL WINAPI GetExtensionVersion(HSE_VERSION_INFO *pVer)
{
    pVer->dwExtensionVersion = MAKELONG(HSE_VERSION_MINOR, HSE_VERSION_MAJOR);
    strncpy(pVer->lpszExtensionDesc, "isapid sample: unsupported",
            HSE_MAX_EXT_DLL_NAME_LEN - 1);
    pVer->lpszExtensionDesc[HSE_MAX_EXT_DLL_NAME_LEN - 1] = '\0';
    return TRUE;
}

/* Codes the mod_isapi behaviour spec lists as unsupported (named ones and
 * ones that fall to the default case), plus one number no header assigns. */
/* null_buffer: pass lpvBuffer = NULL, because on IIS a zeroed
 * HSE_EXEC_URL_INFO / HSE_CUSTOM_ERROR_INFO would mean something (EXEC_URL
 * with pszUrl NULL re-executes the current URL). */
static const struct {
    DWORD code;
    const char *name;
    int null_buffer;
} kCodes[] = {
    { HSE_REQ_GET_SSPI_INFO,           "HSE_REQ_GET_SSPI_INFO",           0 },
    { HSE_REQ_REFRESH_ISAPI_ACL,       "HSE_REQ_REFRESH_ISAPI_ACL",       0 },
    { HSE_REQ_GET_IMPERSONATION_TOKEN, "HSE_REQ_GET_IMPERSONATION_TOKEN", 0 },
    { HSE_REQ_ABORTIVE_CLOSE,          "HSE_REQ_ABORTIVE_CLOSE",          0 },
    { HSE_REQ_EXTENSION_TRIGGER,       "HSE_REQ_EXTENSION_TRIGGER",       0 },
    { HSE_REQ_EXEC_URL,                "HSE_REQ_EXEC_URL",                1 },
    { HSE_REQ_SEND_CUSTOM_ERROR,       "HSE_REQ_SEND_CUSTOM_ERROR",       1 },
    { HSE_REQ_IS_IN_PROCESS,           "HSE_REQ_IS_IN_PROCESS",           0 },
    { HSE_REQ_GET_ANONYMOUS_TOKEN,     "HSE_REQ_GET_ANONYMOUS_TOKEN",     0 },
    { HSE_REQ_END_RESERVED + 9,        "(unassigned 1009)",               0 },
};

static BOOL put(EXTENSION_CONTROL_BLOCK *pECB, const char *s)
{
    DWORD len = (DWORD)strlen(s);
    return len == 0 ||
           pECB->WriteClient(pECB->ConnID, (LPVOID)s, &len, HSE_IO_SYNC);
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

    if (!put(pECB, "code  name                              result  "
                   "GetLastError()\n"))
        return HSE_STATUS_ERROR;

    for (size_t i = 0; i < sizeof kCodes / sizeof kCodes[0]; i++) {
        /* Zeroed, generously sized scratch space: a host that did implement
         * the call would have somewhere harmless to write (8-byte aligned,
         * big enough for a HANDLE, a BOOL or an IIS 6 structure). Zeroed
         * struct pointers mean "nothing" to the IIS 6 calls. */
        union {
            BYTE bytes[512];
            void *align;
        } scratch;
        memset(&scratch, 0, sizeof scratch);
        DWORD size = (DWORD)sizeof scratch.bytes;
        DWORD type = 0;

        SetLastError(0);
        BOOL ok = pECB->ServerSupportFunction(pECB->ConnID, kCodes[i].code,
                                              kCodes[i].null_buffer
                                                  ? NULL : scratch.bytes,
                                              &size, &type);
        DWORD err = GetLastError();

        char line[160];
        snprintf(line, sizeof line, "%-5lu %-33s %-7s %lu%s\n",
                 (unsigned long)kCodes[i].code, kCodes[i].name,
                 ok ? "TRUE" : "FALSE", (unsigned long)err,
                 (!ok && err == ERROR_INVALID_PARAMETER)
                     ? " (ERROR_INVALID_PARAMETER)" : "");
        if (!put(pECB, line))
            return HSE_STATUS_ERROR;
    }
    return HSE_STATUS_SUCCESS_AND_KEEP_CONN;
}

BOOL WINAPI TerminateExtension(DWORD dwFlags)
{
    (void)dwFlags;
    return TRUE;
}
