/*
 * sdk_compile_check.c - a minimal ISAPI extension built against nothing but
 * Sources/CISAPI/include. SDKLayoutTests compiles it as C11, C99 and C++
 * with -Wall -Wextra -Werror; the static assertions pin the LP64 layout of
 * spec/mod_isapi.md section 1.3 and the function-like macros Swift cannot
 * import (MAKELONG, LOWORD, HIWORD, ...).
 */

#include <stddef.h>
#include <string.h>

#include "httpext.h"
#include "httpfilt.h"

#if defined(__cplusplus)
# define SDK_ASSERT(cond, msg) static_assert(cond, msg)
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
# define SDK_ASSERT(cond, msg) _Static_assert(cond, msg)
#else /* C99: negative array size on failure */
# define SDK_GLUE2(a, b) a##b
# define SDK_GLUE(a, b) SDK_GLUE2(a, b)
# define SDK_ASSERT(cond, msg) \
    typedef char SDK_GLUE(sdk_assert_, __LINE__)[(cond) ? 1 : -1]
#endif

#define SDK_OFFSET(type, field, off) \
    SDK_ASSERT(offsetof(type, field) == (off), #type "." #field " offset")

/* Base types */
SDK_ASSERT(sizeof(DWORD) == 4, "DWORD is 32-bit");
SDK_ASSERT((DWORD)-1 > 0, "DWORD is unsigned");
SDK_ASSERT(sizeof(BOOL) == 4, "BOOL is 32-bit");
SDK_ASSERT((BOOL)-1 < 0, "BOOL is signed");
SDK_ASSERT(sizeof(WORD) == 2 && sizeof(BYTE) == 1 && sizeof(CHAR) == 1, "WORD/BYTE/CHAR");
SDK_ASSERT(sizeof(LONG) == 4 && sizeof(ULONG) == 4, "LONG is 32-bit (LLP64)");
SDK_ASSERT(sizeof(WCHAR) == 2 && sizeof(USHORT) == 2 && sizeof(ULONGLONG) == 8, "WCHAR/USHORT/ULONGLONG");
SDK_ASSERT(sizeof(HCONN) == sizeof(void *) && sizeof(HANDLE) == sizeof(void *), "HCONN/HANDLE are pointers");
SDK_ASSERT(sizeof(DWORD_PTR) == sizeof(void *) && sizeof(ULONG_PTR) == sizeof(void *), "*_PTR are pointer-sized");
SDK_ASSERT(TRUE == 1 && FALSE == 0, "TRUE/FALSE");
SDK_ASSERT(MAX_PATH == 260, "MAX_PATH");

/* Function-like macros */
SDK_ASSERT(MAKELONG(0x1234, 0x5678) == 0x56781234, "MAKELONG");
SDK_ASSERT(MAKELONG(0, 2) == 0x00020000, "MAKELONG(0, 2)");
SDK_ASSERT(LOWORD(0x56781234) == 0x1234, "LOWORD");
SDK_ASSERT(HIWORD(0x56781234) == 0x5678, "HIWORD");
SDK_ASSERT(MAKEWORD(0x34, 0x12) == 0x1234, "MAKEWORD");
SDK_ASSERT(LOBYTE(0x1234) == 0x34 && HIBYTE(0x1234) == 0x12, "LOBYTE/HIBYTE");
SDK_ASSERT(HSE_VERSION == MAKELONG(HSE_VERSION_MINOR, HSE_VERSION_MAJOR), "HSE_VERSION");
SDK_ASSERT(HIWORD(HSE_VERSION) == HSE_VERSION_MAJOR && LOWORD(HSE_VERSION) == HSE_VERSION_MINOR, "HSE_VERSION split");
SDK_ASSERT(HTTP_FILTER_REVISION == MAKELONG(HTTP_FILTER_MINOR, HTTP_FILTER_MAJOR), "HTTP_FILTER_REVISION");

/* EXTENSION_CONTROL_BLOCK: 192 bytes, every field */
SDK_ASSERT(sizeof(EXTENSION_CONTROL_BLOCK) == 192, "ECB is 192 bytes on LP64");
SDK_OFFSET(EXTENSION_CONTROL_BLOCK, cbSize, 0);
SDK_OFFSET(EXTENSION_CONTROL_BLOCK, dwVersion, 4);
SDK_OFFSET(EXTENSION_CONTROL_BLOCK, ConnID, 8);
SDK_OFFSET(EXTENSION_CONTROL_BLOCK, dwHttpStatusCode, 16);
SDK_OFFSET(EXTENSION_CONTROL_BLOCK, lpszLogData, 20);
SDK_OFFSET(EXTENSION_CONTROL_BLOCK, lpszMethod, 104);
SDK_OFFSET(EXTENSION_CONTROL_BLOCK, lpszQueryString, 112);
SDK_OFFSET(EXTENSION_CONTROL_BLOCK, lpszPathInfo, 120);
SDK_OFFSET(EXTENSION_CONTROL_BLOCK, lpszPathTranslated, 128);
SDK_OFFSET(EXTENSION_CONTROL_BLOCK, cbTotalBytes, 136);
SDK_OFFSET(EXTENSION_CONTROL_BLOCK, cbAvailable, 140);
SDK_OFFSET(EXTENSION_CONTROL_BLOCK, lpbData, 144);
SDK_OFFSET(EXTENSION_CONTROL_BLOCK, lpszContentType, 152);
SDK_OFFSET(EXTENSION_CONTROL_BLOCK, GetServerVariable, 160);
SDK_OFFSET(EXTENSION_CONTROL_BLOCK, WriteClient, 168);
SDK_OFFSET(EXTENSION_CONTROL_BLOCK, ReadClient, 176);
SDK_OFFSET(EXTENSION_CONTROL_BLOCK, ServerSupportFunction, 184);
SDK_ASSERT(sizeof(((EXTENSION_CONTROL_BLOCK *)0)->lpszLogData) == 80, "lpszLogData[80]");

/* HSE_VERSION_INFO */
SDK_ASSERT(sizeof(HSE_VERSION_INFO) == 260, "HSE_VERSION_INFO size");
SDK_OFFSET(HSE_VERSION_INFO, dwExtensionVersion, 0);
SDK_OFFSET(HSE_VERSION_INFO, lpszExtensionDesc, 4);

/* HSE_SEND_HEADER_EX_INFO */
SDK_ASSERT(sizeof(HSE_SEND_HEADER_EX_INFO) == 32, "HSE_SEND_HEADER_EX_INFO size");
SDK_OFFSET(HSE_SEND_HEADER_EX_INFO, pszStatus, 0);
SDK_OFFSET(HSE_SEND_HEADER_EX_INFO, pszHeader, 8);
SDK_OFFSET(HSE_SEND_HEADER_EX_INFO, cchStatus, 16);
SDK_OFFSET(HSE_SEND_HEADER_EX_INFO, cchHeader, 20);
SDK_OFFSET(HSE_SEND_HEADER_EX_INFO, fKeepConn, 24);

/* CERT_CONTEXT (wincrypt.h) and CERT_CONTEXT_EX: Win64 layout */
SDK_ASSERT(sizeof(CERT_CONTEXT) == 40, "CERT_CONTEXT size");
SDK_OFFSET(CERT_CONTEXT, dwCertEncodingType, 0);
SDK_OFFSET(CERT_CONTEXT, pbCertEncoded, 8);
SDK_OFFSET(CERT_CONTEXT, cbCertEncoded, 16);
SDK_OFFSET(CERT_CONTEXT, pCertInfo, 24);
SDK_OFFSET(CERT_CONTEXT, hCertStore, 32);
SDK_ASSERT(sizeof(CERT_CONTEXT_EX) == 48, "CERT_CONTEXT_EX size");
SDK_OFFSET(CERT_CONTEXT_EX, CertContext, 0);
SDK_OFFSET(CERT_CONTEXT_EX, cbAllocated, 40);
SDK_OFFSET(CERT_CONTEXT_EX, dwCertificateFlags, 44);
SDK_ASSERT(X509_ASN_ENCODING == 1 && PKCS_7_ASN_ENCODING == 0x10000, "encoding types");
SDK_ASSERT(HSE_REQ_GET_CERT_INFO_EX == 1015, "HSE_REQ_GET_CERT_INFO_EX");

/* HSE_URL_MAPEX_INFO */
SDK_ASSERT(sizeof(HSE_URL_MAPEX_INFO) == 280, "HSE_URL_MAPEX_INFO size");
SDK_OFFSET(HSE_URL_MAPEX_INFO, lpszPath, 0);
SDK_OFFSET(HSE_URL_MAPEX_INFO, dwFlags, 260);
SDK_OFFSET(HSE_URL_MAPEX_INFO, cchMatchingPath, 264);
SDK_OFFSET(HSE_URL_MAPEX_INFO, cchMatchingURL, 268);
SDK_OFFSET(HSE_URL_MAPEX_INFO, dwReserved1, 272);
SDK_OFFSET(HSE_URL_MAPEX_INFO, dwReserved2, 276);

/* HSE_TF_INFO */
SDK_ASSERT(sizeof(HSE_TF_INFO) == 72, "HSE_TF_INFO size");
SDK_OFFSET(HSE_TF_INFO, pfnHseIO, 0);
SDK_OFFSET(HSE_TF_INFO, pContext, 8);
SDK_OFFSET(HSE_TF_INFO, hFile, 16);
SDK_OFFSET(HSE_TF_INFO, pszStatusCode, 24);
SDK_OFFSET(HSE_TF_INFO, BytesToWrite, 32);
SDK_OFFSET(HSE_TF_INFO, Offset, 36);
SDK_OFFSET(HSE_TF_INFO, pHead, 40);
SDK_OFFSET(HSE_TF_INFO, HeadLength, 48);
SDK_OFFSET(HSE_TF_INFO, pTail, 56);
SDK_OFFSET(HSE_TF_INFO, TailLength, 64);
SDK_OFFSET(HSE_TF_INFO, dwFlags, 68);

/* Later structures (Win64 layout) */
SDK_ASSERT(sizeof(HSE_UNICODE_URL_MAPEX_INFO) == 532, "HSE_UNICODE_URL_MAPEX_INFO size");
SDK_OFFSET(HSE_UNICODE_URL_MAPEX_INFO, dwFlags, 520);
SDK_ASSERT(sizeof(HSE_EXEC_URL_STATUS) == 8, "HSE_EXEC_URL_STATUS size");
SDK_ASSERT(sizeof(HSE_EXEC_URL_INFO) == 48, "HSE_EXEC_URL_INFO size");
SDK_ASSERT(sizeof(HSE_CUSTOM_ERROR_INFO) == 16, "HSE_CUSTOM_ERROR_INFO size");
SDK_ASSERT(sizeof(HSE_VECTOR_ELEMENT) == 32, "HSE_VECTOR_ELEMENT size");
SDK_ASSERT(sizeof(HSE_RESPONSE_VECTOR) == 40, "HSE_RESPONSE_VECTOR size");

/* Filter structures: present and pointer-correct */
SDK_ASSERT(sizeof(HTTP_FILTER_CONTEXT) == 72, "HTTP_FILTER_CONTEXT size");
SDK_OFFSET(HTTP_FILTER_CONTEXT, ServerSupportFunction, 64);

/* Constants usable in #if (the host relies on Microsoft's values) */
#if HSE_TERM_ADVISORY_UNLOAD != 1 || HSE_TERM_MUST_UNLOAD != 2
# error "HSE_TERM_* must be Microsoft's values"
#endif
#if HSE_REQ_MAP_URL_TO_PATH != 1001 || HSE_REQ_GET_CHANNEL_BINDING_TOKEN != 1050
# error "HSE_REQ_* numbering"
#endif
#if ERROR_INSUFFICIENT_BUFFER != 122 || ERROR_INVALID_INDEX != 1413
# error "ERROR_* numbering"
#endif

/* Typical Windows-style extension code */

static const CHAR kBody[] = "hello from the SDK check\r\n";

BOOL WINAPI GetExtensionVersion(HSE_VERSION_INFO *pVer)
{
    LPSTR desc = pVer->lpszExtensionDesc;
    pVer->dwExtensionVersion = HSE_VERSION;
    strncpy(desc, "sdk_compile_check", HSE_MAX_EXT_DLL_NAME_LEN - 1);
    desc[HSE_MAX_EXT_DLL_NAME_LEN - 1] = '\0';
    return TRUE;
}

DWORD WINAPI HttpExtensionProc(EXTENSION_CONTROL_BLOCK *pECB)
{
    CHAR buf[64];
    DWORD size = (DWORD)sizeof(buf);
    HSE_SEND_HEADER_EX_INFO hdr;
    DWORD len;
    WORD major = HIWORD(pECB->dwVersion);

    if (!pECB->GetServerVariable(pECB->ConnID, (LPSTR)"SERVER_NAME", buf, &size)) {
        if (GetLastError() == ERROR_INSUFFICIENT_BUFFER)
            SetLastError(ERROR_SUCCESS);
        else
            return HSE_STATUS_ERROR;
    }

    memset(&hdr, 0, sizeof(hdr));
    hdr.pszStatus = "200 OK";
    hdr.cchStatus = (DWORD)strlen(hdr.pszStatus);
    hdr.pszHeader = "Content-Type: text/plain\r\n\r\n";
    hdr.cchHeader = (DWORD)strlen(hdr.pszHeader);
    hdr.fKeepConn = FALSE;
    if (!pECB->ServerSupportFunction(pECB->ConnID, HSE_REQ_SEND_RESPONSE_HEADER_EX,
                                     &hdr, NULL, NULL))
        return HSE_STATUS_ERROR;

    len = (DWORD)(sizeof(kBody) - 1);
    if (!pECB->WriteClient(pECB->ConnID, (LPVOID)kBody, &len, HSE_IO_SYNC))
        return HSE_STATUS_ERROR;

    pECB->dwHttpStatusCode = major >= 2 ? 200 : 500;
    return HSE_STATUS_SUCCESS;
}

BOOL WINAPI TerminateExtension(DWORD dwFlags)
{
    return dwFlags == HSE_TERM_MUST_UNLOAD || dwFlags == HSE_TERM_ADVISORY_UNLOAD;
}

/* Entry-point typedefs match the prototypes. */
PFN_GETEXTENSIONVERSION sdk_check_gev = GetExtensionVersion;
PFN_HTTPEXTENSIONPROC   sdk_check_hep = HttpExtensionProc;
PFN_TERMINATEEXTENSION  sdk_check_te  = TerminateExtension;
