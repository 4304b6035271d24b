/*
 * isapi_win32.h - the Win32 calls ported ISAPI extensions use most, on POSIX.
 *
 * Opt-in: include it (after or instead of <httpext.h>, which it includes);
 * httpext.h never includes it. Header-only: every function is static inline
 * and is compiled into the extension that includes this header, so an
 * extension still needs nothing but
 *
 *     cc -shared -fPIC -I Sources/CISAPI/include ext.c -o ext.dll
 *
 * (no -ldl, -lpthread: glibc >= 2.34 has them in libc; isapid has them
 * loaded anyway). Works in C (C99 and later) and C++, with gcc and clang.
 * It needs POSIX.1-2008 declarations, which gcc and clang give by default
 * (-std=gnu*); with a strict -std=c99/c11 add -D_POSIX_C_SOURCE=200809L.
 *
 * The ANSI ("A") functions are defined, and the plain names are macros for
 * them, as <windows.h> has them without UNICODE (lstrcpy -> lstrcpyA...).
 * Define a plain name yourself before including this header to keep yours.
 * Types (DWORD, BOOL, LONG, LPSTR, HMODULE...) are httpext.h's: LONG and
 * DWORD are 32-bit, so a counter for Interlocked* is a LONG, never a long.
 *
 * The calls, each mapped to POSIX, and what differs from Win32 (the table is
 * in extensions/README.md, "Porting from Win32: isapi_win32.h"):
 *
 *   isapi_win32_strings.h   lstrlen lstrcpy lstrcpyn lstrcat lstrcmp lstrcmpi,
 *                           _stricmp _strnicmp (stricmp strnicmp),
 *                           _snprintf _vsnprintf
 *   isapi_win32_wsprintf.h  wsprintfA wvsprintfA (wsprintf wvsprintf)
 *   isapi_win32_threads.h   CRITICAL_SECTION and its five calls, Interlocked*,
 *                           Sleep, GetTickCount(64), GetCurrentThreadId,
 *                           GetCurrentProcessId
 *   isapi_win32_module.h    GetModuleFileNameA, GetPrivateProfileStringA,
 *                           GetPrivateProfileIntA, OutputDebugStringA
 *   here                    ZeroMemory CopyMemory MoveMemory FillMemory,
 *                           MAX_PATH, INFINITE
 *
 * What differs from Win32 for the ones defined here:
 *
 *   ZeroMemory/CopyMemory/MoveMemory/FillMemory  memset/memcpy/memmove/memset.
 *       CopyMemory is memcpy: overlapping buffers need MoveMemory, as on Win32.
 *   MAX_PATH  260, as on Win32 (Linux paths can be longer: PATH_MAX 4096).
 */

#ifndef ISAPI_WIN32_H
#define ISAPI_WIN32_H

#include "httpext.h"
#include <limits.h>   /* features.h: what _POSIX_C_SOURCE this build has */

#if !defined(_POSIX_C_SOURCE) || _POSIX_C_SOURCE < 200809L
# error "isapi_win32.h needs POSIX.1-2008 declarations: build with -std=gnu11 (the default) \
or add -D_POSIX_C_SOURCE=200809L"
#else /* the rest of the header; skipped after the #error, so that it is the only message */

/* The parts below compile only when this is defined. */
#define ISAPI_WIN32_AVAILABLE 1

#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
# define ISAPI_W32_INLINE static inline
#else
# define ISAPI_W32_INLINE static __inline__
#endif

#ifndef MAX_PATH
# define MAX_PATH 260
#endif
#ifndef INFINITE
# define INFINITE 0xFFFFFFFFu
#endif

/* GNU-only libc calls, declared here under private names (asm labels) so
 * that they are available whatever _GNU_SOURCE said when <dlfcn.h> and
 * <unistd.h> were first included. */
typedef struct isapi_w32_dl_info {
    const char *dli_fname;
    void *dli_fbase;
    const char *dli_sname;
    void *dli_saddr;
} isapi_w32_dl_info;
extern int isapi_w32_dladdr(const void *address, isapi_w32_dl_info *info) __asm__("dladdr");
extern int isapi_w32_dlinfo(void *handle, int request, void *argument) __asm__("dlinfo");
extern long isapi_w32_syscall(long number, ...) __asm__("syscall");
#define ISAPI_W32_RTLD_DI_LINKMAP 2

/* ------------------------------------------------------------------------ */
/* Memory                                                                    */
/* ------------------------------------------------------------------------ */

#ifndef ZeroMemory
# define ZeroMemory(destination, length) memset((destination), 0, (length))
#endif
#ifndef CopyMemory
# define CopyMemory(destination, source, length) memcpy((destination), (source), (length))
#endif
#ifndef MoveMemory
# define MoveMemory(destination, source, length) memmove((destination), (source), (length))
#endif
#ifndef FillMemory
# define FillMemory(destination, length, fill) memset((destination), (fill), (length))
#endif

#ifdef __cplusplus
} /* extern "C" */
#endif

#include "isapi_win32_strings.h"
#include "isapi_win32_wsprintf.h"
#include "isapi_win32_threads.h"
#include "isapi_win32_module.h"

#endif /* POSIX.1-2008 available */
#endif /* ISAPI_WIN32_H */
