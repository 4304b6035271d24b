/* Exports GetExtensionVersion but no HttpExtensionProc. */
#include "fixture_log.h" /* first: it defines _GNU_SOURCE */
#include "httpext.h"

BOOL WINAPI GetExtensionVersion(HSE_VERSION_INFO *pVer)
{
    (void)pVer;
    fixture_note("version");
    return TRUE;
}
