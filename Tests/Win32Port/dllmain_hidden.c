/*
 * dllmain_hidden.c - an extension in the shape PHP's ISAPI module has: built
 * with -fvisibility=hidden, __declspec defined away before <httpext.h>, and
 * __declspec(dllexport) written on the definitions (which expands to
 * nothing). Only the SDK header's declarations keep DllMain and the entry
 * points exported. Compiled as C (cc) and as C++ (g++ -x c++, with no
 * extern "C" of its own) by Win32PortTests.
 *
 * The response says whether DllMain ran with DLL_PROCESS_ATTACH and a
 * non-NULL hinstDLL before the first request.
 */
#define __declspec(x)
#include <httpext.h>

#include <stdio.h>
#include <string.h>

static DWORD attachCount;
static HINSTANCE attachedInstance;

__declspec(dllexport) BOOL WINAPI DllMain(HINSTANCE hinstDLL, DWORD fdwReason, LPVOID lpvReserved)
{
    (void)lpvReserved;
    if (fdwReason == DLL_PROCESS_ATTACH) {
        attachCount++;
        attachedInstance = hinstDLL;
    }
    return TRUE;
}

__declspec(dllexport) BOOL WINAPI GetExtensionVersion(HSE_VERSION_INFO *pVer)
{
    pVer->dwExtensionVersion = HSE_VERSION;
    strcpy(pVer->lpszExtensionDesc, "DllMain under -fvisibility=hidden");
    return TRUE;
}

__declspec(dllexport) DWORD WINAPI HttpExtensionProc(EXTENSION_CONTROL_BLOCK *pECB)
{
    char body[128];
    char header[] = "Content-Type: text/plain\r\n\r\n";
    DWORD headerLength = (DWORD)strlen(header);
    DWORD length;
    snprintf(body, sizeof body, "attach=%u hinst=%s\n", (unsigned)attachCount,
             attachedInstance ? "set" : "null");
    length = (DWORD)strlen(body);
    pECB->ServerSupportFunction(pECB->ConnID, HSE_REQ_SEND_RESPONSE_HEADER, (LPVOID) "200 OK", &headerLength,
                                (LPDWORD)header);
    pECB->WriteClient(pECB->ConnID, body, &length, HSE_IO_SYNC);
    return HSE_STATUS_SUCCESS;
}
