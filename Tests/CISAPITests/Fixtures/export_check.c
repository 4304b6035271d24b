/*
 * export_check.c - the seven entry points, defined the ways ported sources
 * define them. SDKExportTests builds it with -fvisibility=hidden in C and
 * C++ (gcc and clang) and checks with dlsym that every one is exported,
 * because the SDK headers declare them with default visibility:
 *   -DDECLSPEC_BEFORE  #define __declspec(x) before including (PHP's way)
 *   -DDECLSPEC_AFTER   #undef/#define __declspec(x) after including
 *   -DDLLEXPORT        __declspec(dllexport) written on each definition
 * No extern "C" here: in C++ the headers' declarations give C linkage.
 */
#if defined(DECLSPEC_BEFORE)
# define __declspec(x)
#endif
#include <httpext.h>
#include <httpfilt.h>
#if defined(DECLSPEC_AFTER)
# undef __declspec
# define __declspec(x)
#endif

#if defined(DLLEXPORT)
# define ENTRY __declspec(dllexport)
#else
# define ENTRY
#endif

static DWORD attached;

ENTRY BOOL WINAPI DllMain(HINSTANCE hinstDLL, DWORD fdwReason, LPVOID lpvReserved)
{
    (void)hinstDLL;
    (void)lpvReserved;
    if (fdwReason == DLL_PROCESS_ATTACH) attached = 1;
    return TRUE;
}

ENTRY BOOL WINAPI GetExtensionVersion(HSE_VERSION_INFO *pVer)
{
    pVer->dwExtensionVersion = HSE_VERSION;
    return TRUE;
}

ENTRY DWORD WINAPI HttpExtensionProc(EXTENSION_CONTROL_BLOCK *pECB)
{
    (void)pECB;
    return attached ? HSE_STATUS_SUCCESS : HSE_STATUS_ERROR;
}

ENTRY BOOL WINAPI TerminateExtension(DWORD dwFlags)
{
    (void)dwFlags;
    return TRUE;
}

ENTRY BOOL WINAPI GetFilterVersion(HTTP_FILTER_VERSION *pVer)
{
    (void)pVer;
    return TRUE;
}

ENTRY DWORD WINAPI HttpFilterProc(HTTP_FILTER_CONTEXT *pfc, DWORD NotificationType, VOID *pvNotification)
{
    (void)pfc;
    (void)NotificationType;
    (void)pvNotification;
    return SF_STATUS_REQ_NEXT_NOTIFICATION;
}

ENTRY BOOL WINAPI TerminateFilter(DWORD dwFlags)
{
    (void)dwFlags;
    return TRUE;
}
