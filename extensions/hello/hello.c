/*
 * hello.c - the smallest useful ISAPI 2.0 extension for isapid.
 *
 * Sends "200 OK" with Content-Type: text/plain through
 * HSE_REQ_SEND_RESPONSE_HEADER_EX, then one line of body with WriteClient.
 *
 * Porting notes (IIS -> isapid):
 *   - No <windows.h>: everything (DWORD, BOOL, WINAPI, the ECB) comes from
 *     isapid's <httpext.h>. WINAPI/__stdcall expand to nothing on Linux.
 *   - The entry points are declared in httpext.h with default visibility,
 *     so no .def file and no __declspec(dllexport) are needed.
 *   - Build:  cc -std=c11 -shared -fPIC -I <isapid>/Sources/CISAPI/include \
 *                hello.c -o hello.dll
 */

#include <string.h>
#include <httpext.h>

BOOL WINAPI GetExtensionVersion(HSE_VERSION_INFO *pVer)
{
    pVer->dwExtensionVersion = MAKELONG(HSE_VERSION_MINOR, HSE_VERSION_MAJOR);
    /* lpszExtensionDesc is 256 bytes; always NUL-terminate. */
    strncpy(pVer->lpszExtensionDesc, "isapid sample: hello",
            HSE_MAX_EXT_DLL_NAME_LEN - 1);
    pVer->lpszExtensionDesc[HSE_MAX_EXT_DLL_NAME_LEN - 1] = '\0';
    return TRUE;
}

DWORD WINAPI HttpExtensionProc(EXTENSION_CONTROL_BLOCK *pECB)
{
    static const char status[]  = "200 OK";
    /* The header block must end with an empty line (CRLF CRLF), exactly as
     * on IIS; without it the host reports "premature end of headers". */
    static const char headers[] = "Content-Type: text/plain\r\n\r\n";
    static const char body[]    = "Hello from an ISAPI extension on isapid\n";

    HSE_SEND_HEADER_EX_INFO hdr;
    memset(&hdr, 0, sizeof hdr);
    hdr.pszStatus = status;
    hdr.cchStatus = (DWORD)(sizeof status - 1);
    hdr.pszHeader = headers;
    hdr.cchHeader = (DWORD)(sizeof headers - 1);
    hdr.fKeepConn = TRUE;   /* advisory; the host decides keep-alive itself */

    pECB->dwHttpStatusCode = 200;
    if (!pECB->ServerSupportFunction(pECB->ConnID,
                                     HSE_REQ_SEND_RESPONSE_HEADER_EX,
                                     &hdr, NULL, NULL))
        return HSE_STATUS_ERROR;

    /* WriteClient takes a non-const buffer pointer (Microsoft's prototype),
     * so copy the size into a DWORD and cast the const away: the host does
     * not modify the buffer. */
    DWORD len = (DWORD)(sizeof body - 1);
    if (!pECB->WriteClient(pECB->ConnID, (LPVOID)body, &len, HSE_IO_SYNC))
        return HSE_STATUS_ERROR;

    return HSE_STATUS_SUCCESS_AND_KEEP_CONN;
}

BOOL WINAPI TerminateExtension(DWORD dwFlags)
{
    (void)dwFlags;   /* HSE_TERM_ADVISORY_UNLOAD (1) or HSE_TERM_MUST_UNLOAD (2) */
    return TRUE;
}
