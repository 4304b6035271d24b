/* GetExtensionVersion says no. */
#include "fixture_log.h" /* first: it defines _GNU_SOURCE */
#include "httpext.h"

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved)
{
    (void)instance;
    (void)reserved;
    fixture_note("%s", reason == DLL_PROCESS_ATTACH ? "attach" : reason == DLL_PROCESS_DETACH ? "detach" : "other");
    return TRUE;
}

BOOL WINAPI GetExtensionVersion(HSE_VERSION_INFO *pVer)
{
    (void)pVer;
    fixture_note("version");
    return FALSE;
}

DWORD WINAPI HttpExtensionProc(EXTENSION_CONTROL_BLOCK *pECB)
{
    (void)pECB;
    return HSE_STATUS_ERROR;
}
