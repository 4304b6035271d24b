/* A well-behaved extension that logs every entry point the host calls. */
#include "fixture_log.h" /* first: it defines _GNU_SOURCE */
#include <string.h>
#include "httpext.h"

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved)
{
    (void)reserved;
    const char *what = reason == DLL_PROCESS_ATTACH ? "attach"
                     : reason == DLL_PROCESS_DETACH ? "detach" : "other";
    fixture_note("%s%s", what, fixture_is_own_handle(instance) ? "" : " (wrong instance)");
    return TRUE;
}

BOOL WINAPI GetExtensionVersion(HSE_VERSION_INFO *pVer)
{
    static const HSE_VERSION_INFO zero;
    fixture_note("version%s", memcmp(pVer, &zero, sizeof zero) == 0 ? "" : " (not zeroed)");
    pVer->dwExtensionVersion = HSE_VERSION;
    strcpy(pVer->lpszExtensionDesc, "good fixture");
    return TRUE;
}

DWORD WINAPI HttpExtensionProc(EXTENSION_CONTROL_BLOCK *pECB)
{
    pECB->dwHttpStatusCode = 299;
    fixture_note("proc");
    return HSE_STATUS_SUCCESS;
}

BOOL WINAPI TerminateExtension(DWORD dwFlags)
{
    fixture_note("terminate %u", (unsigned)dwFlags);
    return TRUE;
}
