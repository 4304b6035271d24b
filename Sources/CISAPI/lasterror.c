/*
 * lasterror.c - the Win32 "last error" for ISAPI extensions on Linux.
 *
 * One DWORD per thread, holding Windows error numbers. GetLastError and
 * SetLastError have default visibility so that the host executable can
 * export them to the extensions it loads.
 */

#include <errno.h>

#include "httpext.h"
#include "isapi_host_support.h"

static _Thread_local DWORD isapi_last_error = 0;

ISAPI_SDK_EXPORT DWORD WINAPI GetLastError(void)
{
    return isapi_last_error;
}

ISAPI_SDK_EXPORT VOID WINAPI SetLastError(DWORD dwErrCode)
{
    isapi_last_error = dwErrCode;
}

void isapi_fail(DWORD error)
{
    isapi_last_error = error;
    errno = (int)error; /* last: nothing after this may clobber errno */
}
