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
 * What differs from Win32, call by call (also in extensions/README.md):
 *
 *   lstrlenA/lstrcpyA/lstrcpynA/lstrcatA  strlen/strcpy/strcat; a NULL
 *       argument gives 0 (lstrlen) or NULL, as Win32's exception handler
 *       does, instead of a crash. lstrcpyn copies at most n-1 bytes and
 *       always terminates (n >= 1).
 *   lstrcmpA/lstrcmpiA  strcmp/strcasecmp, normalised to -1/0/1 as Win32
 *       returns. Win32 compares linguistically (CompareString, "word sort":
 *       '-' and '\'' nearly ignored, user locale); here bytes, and ASCII
 *       case folding. NULL sorts before any string.
 *   wsprintfA/wvsprintfA  a small formatter for wsprintf's own format
 *       language (not printf's): %c %C %d %i %u %x %X %s %S %p and the
 *       h/l/I64 size prefixes, flags - # 0, width, .precision. %ld and %lu
 *       are 32-bit (Win32's long), %I64d 64-bit, %S/%ls a WCHAR (UTF-16)
 *       string written as UTF-8. No floating point, no '*' width, as Win32.
 *       Output is at most 1024 bytes with the NUL (Win32's limit); on
 *       truncation 1023 bytes are kept and 1023 is returned.
 *   ZeroMemory/CopyMemory/MoveMemory/FillMemory  memset/memcpy/memmove/memset.
 *       CopyMemory is memcpy: overlapping buffers need MoveMemory, as on Win32.
 *   CRITICAL_SECTION  a recursive pthread mutex, like Win32's (the same thread
 *       may enter again; leave as often as entered). No spin count, no
 *       debug info; the structure is opaque. InitializeCriticalSectionAndSpinCount
 *       ignores the count. Initialize before use, Delete when done.
 *   InterlockedIncrement/Decrement/Exchange/CompareExchange/ExchangeAdd
 *       __atomic builtins, sequentially consistent (Win32's full barrier),
 *       on LONG volatile *. Return what Win32 returns: the new value
 *       (Increment, Decrement), the old value (Exchange, CompareExchange,
 *       ExchangeAdd).
 *   Sleep(ms)  nanosleep, resumed after signals; Sleep(0) is sched_yield.
 *       Sleep(INFINITE) sleeps 49.7 days, not forever.
 *   GetTickCount/GetTickCount64  CLOCK_MONOTONIC in ms. Like Win32 it counts
 *       from boot; unlike Win32 it stops while the machine is suspended.
 *       GetTickCount wraps after 49.7 days, as on Win32.
 *   GetCurrentThreadId  the kernel thread id (gettid: what top and gdb show),
 *       unique in the system while the thread lives.
 *   GetCurrentProcessId  getpid.
 *   GetModuleFileNameA(hModule, buf, n)  hModule is the handle DllMain got
 *       (isapid passes the dlopen handle): the path the library was loaded
 *       from (as given to dlopen; isapid gives absolute paths). NULL is the
 *       executable (/proc/self/exe). A handle of no loaded module is looked up
 *       as an address inside one (dladdr), else 0 with ERROR_MOD_NOT_FOUND.
 *       Returns the length without NUL; when n is too small the path is
 *       truncated to n-1 bytes plus NUL, n is returned and the last error is
 *       ERROR_INSUFFICIENT_BUFFER (Windows XP did not terminate; later
 *       Windows versions do). Paths use '/', and may exceed MAX_PATH.
 *   GetPrivateProfileStringA/GetPrivateProfileIntA  read the .ini file on
 *       each call (no cache, no registry mapping). A relative file name is
 *       resolved next to the module that includes this header (the .dll),
 *       not in the Windows directory. Lines: [section], key=value, ';'
 *       comments; names compared case-insensitively, blanks around names and
 *       values ignored, one pair of matching quotes around a value removed;
 *       the first section of a name is the one read. Win32's return values
 *       and truncation: the length copied; nSize-1 when a value is cut;
 *       nSize-2 when a list (NULL section: all section names; NULL key: all
 *       keys of the section, each NUL-terminated, one more NUL at the end)
 *       is cut. The default (NULL = "") loses trailing blanks. A missing
 *       file, section or key gives the default with ERROR_FILE_NOT_FOUND.
 *       GetPrivateProfileInt reads a decimal number with an optional sign
 *       and stops at the first other character ("12abc" = 12, "0x10" = 0,
 *       "abc" = 0); a negative value comes back as its two's complement
 *       UINT, as on Win32; a missing or empty value gives nDefault.
 *   OutputDebugStringA  writes the text to stderr in one write(2), with a
 *       '\n' added when it lacks one (each call is one line, as a debugger
 *       shows it). isapid sends an extension's stderr to the ErrorLog.
 *   MAX_PATH  260, as on Win32 (Linux paths can be longer: PATH_MAX 4096).
 *   _stricmp/_strnicmp (stricmp/strnicmp)  strcasecmp/strncasecmp.
 *   _snprintf/_vsnprintf  vsnprintf with Microsoft's truncation: when the
 *       output does not fit in count bytes, count bytes are written with no
 *       NUL and -1 is returned (count is returned, again without a NUL, when
 *       it fits exactly). The format is glibc's printf: %ld is 64-bit here,
 *       use %d for a LONG or DWORD, %lld for LONGLONG.
 */

#ifndef ISAPI_WIN32_H
#define ISAPI_WIN32_H

#include "httpext.h"
#include <limits.h>   /* features.h: what _POSIX_C_SOURCE this build has */

#if !defined(_POSIX_C_SOURCE) || _POSIX_C_SOURCE < 200809L
# error "isapi_win32.h needs POSIX.1-2008 declarations: build with -std=gnu11 (the default) or add -D_POSIX_C_SOURCE=200809L"
#else /* the rest of the header; skipped after the #error, so that it is the only message */

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
/* Strings: lstr*                                                            */
/* ------------------------------------------------------------------------ */

/* Maps a strcmp-style result to Win32's -1/0/1. */
ISAPI_W32_INLINE int isapi_w32_sign(int value) { return (value > 0) - (value < 0); }

ISAPI_W32_INLINE int WINAPI lstrlenA(LPCSTR s) { return s ? (int)strlen(s) : 0; }

ISAPI_W32_INLINE LPSTR WINAPI lstrcpyA(LPSTR dst, LPCSTR src)
{
    return (dst && src) ? strcpy(dst, src) : NULL;
}

ISAPI_W32_INLINE LPSTR WINAPI lstrcpynA(LPSTR dst, LPCSTR src, int maxLength)
{
    UINT count = (UINT)maxLength;   /* Win32 does the same with a negative n */
    LPSTR d = dst;
    if (!dst || !src) return NULL;
    while (count > 1 && *src) { *d++ = *src++; count--; }
    if (count) *d = '\0';
    return dst;
}

ISAPI_W32_INLINE LPSTR WINAPI lstrcatA(LPSTR dst, LPCSTR src)
{
    return (dst && src) ? strcat(dst, src) : NULL;
}

ISAPI_W32_INLINE int WINAPI lstrcmpA(LPCSTR a, LPCSTR b)
{
    if (!a || !b) return (a != NULL) - (b != NULL);
    return isapi_w32_sign(strcmp(a, b));
}

ISAPI_W32_INLINE int WINAPI lstrcmpiA(LPCSTR a, LPCSTR b)
{
    if (!a || !b) return (a != NULL) - (b != NULL);
    return isapi_w32_sign(strcasecmp(a, b));
}

#ifndef lstrlen
# define lstrlen lstrlenA
#endif
#ifndef lstrcpy
# define lstrcpy lstrcpyA
#endif
#ifndef lstrcpyn
# define lstrcpyn lstrcpynA
#endif
#ifndef lstrcat
# define lstrcat lstrcatA
#endif
#ifndef lstrcmp
# define lstrcmp lstrcmpA
#endif
#ifndef lstrcmpi
# define lstrcmpi lstrcmpiA
#endif

/* ------------------------------------------------------------------------ */
/* C runtime spellings: _stricmp, _strnicmp, _snprintf, _vsnprintf           */
/* ------------------------------------------------------------------------ */

ISAPI_W32_INLINE int _stricmp(const char *a, const char *b) { return strcasecmp(a, b); }
ISAPI_W32_INLINE int _strnicmp(const char *a, const char *b, size_t n) { return strncasecmp(a, b, n); }
#ifndef stricmp
# define stricmp _stricmp
#endif
#ifndef strnicmp
# define strnicmp _strnicmp
#endif

__attribute__((format(printf, 3, 0)))
ISAPI_W32_INLINE int _vsnprintf(char *buffer, size_t count, const char *format, va_list args)
{
    char small[512];
    char *whole;
    va_list measure;
    int length;
    va_copy(measure, args);
    length = vsnprintf(NULL, 0, format, measure);
    va_end(measure);
    if (length < 0) return -1;
    if ((size_t)length < count) return vsnprintf(buffer, count, format, args);
    /* Does not fit with its NUL: Microsoft writes count bytes, no NUL. */
    whole = (size_t)length < sizeof small ? small : (char *)malloc((size_t)length + 1);
    if (!whole) return -1;
    vsnprintf(whole, (size_t)length + 1, format, args);
    memcpy(buffer, whole, count);
    if (whole != small) free(whole);
    return (size_t)length == count ? length : -1;
}

__attribute__((format(printf, 3, 4)))
ISAPI_W32_INLINE int _snprintf(char *buffer, size_t count, const char *format, ...)
{
    va_list args;
    int result;
    va_start(args, format);
    result = _vsnprintf(buffer, count, format, args);
    va_end(args);
    return result;
}

/* ------------------------------------------------------------------------ */
/* wsprintfA / wvsprintfA: wsprintf's format language, 1024-byte output      */
/* ------------------------------------------------------------------------ */

#define ISAPI_W32_WSPRINTF_MAX 1024

/* The output of one wvsprintfA call: at most ISAPI_W32_WSPRINTF_MAX-1 bytes. */
typedef struct isapi_w32_out {
    char *buffer;
    size_t used;
} isapi_w32_out;

ISAPI_W32_INLINE void isapi_w32_put(isapi_w32_out *out, const char *bytes, size_t count)
{
    size_t room = ISAPI_W32_WSPRINTF_MAX - 1 - out->used;
    if (count > room) count = room;
    memcpy(out->buffer + out->used, bytes, count);
    out->used += count;
}

/* UTF-16 (WCHAR) to UTF-8, at most `size`-1 bytes and a NUL; `units` < 0 means
 * up to the NUL. Lone surrogates become U+FFFD. */
ISAPI_W32_INLINE void isapi_w32_utf16_to_utf8(const WCHAR *s, long units, char *dst, size_t size)
{
    size_t used = 0;
    long i = 0;
    while (s && (units < 0 ? s[i] != 0 : i < units)) {
        unsigned long c = s[i++];
        char encoded[4];
        size_t length;
        if (c >= 0xD800 && c <= 0xDBFF && (units < 0 || i < units) && s[i] >= 0xDC00 && s[i] <= 0xDFFF) {
            c = 0x10000 + ((c - 0xD800) << 10) + (s[i++] - 0xDC00);
        } else if (c >= 0xD800 && c <= 0xDFFF) {
            c = 0xFFFD;
        }
        if (c < 0x80) { encoded[0] = (char)c; length = 1; }
        else if (c < 0x800) { encoded[0] = (char)(0xC0 | (c >> 6)); encoded[1] = (char)(0x80 | (c & 0x3F)); length = 2; }
        else if (c < 0x10000) {
            encoded[0] = (char)(0xE0 | (c >> 12)); encoded[1] = (char)(0x80 | ((c >> 6) & 0x3F));
            encoded[2] = (char)(0x80 | (c & 0x3F)); length = 3;
        } else {
            encoded[0] = (char)(0xF0 | (c >> 18)); encoded[1] = (char)(0x80 | ((c >> 12) & 0x3F));
            encoded[2] = (char)(0x80 | ((c >> 6) & 0x3F)); encoded[3] = (char)(0x80 | (c & 0x3F)); length = 4;
        }
        if (used + length >= size) break;
        memcpy(dst + used, encoded, length);
        used += length;
    }
    dst[used] = '\0';
}

ISAPI_W32_INLINE int WINAPI wvsprintfA(LPSTR buffer, LPCSTR format, va_list args)
{
    isapi_w32_out out;
    const char *p = format;
    out.buffer = buffer;
    out.used = 0;
    if (!buffer || !format) return 0;
    while (*p && out.used < ISAPI_W32_WSPRINTF_MAX - 1) {
        char spec[32], piece[2 * ISAPI_W32_WSPRINTF_MAX + 64], text[ISAPI_W32_WSPRINTF_MAX];
        size_t specLength = 0;
        int width = 0, precision = -1, pieceLength = 0;
        char size = 0;   /* 'h', 'l', 'L' (I64) or 0 */
        const char *start = p;
        if (*p != '%') {
            while (*p && *p != '%') p++;
            isapi_w32_put(&out, start, (size_t)(p - start));
            continue;
        }
        p++;
        if (*p == '%') { isapi_w32_put(&out, "%", 1); p++; continue; }
        spec[specLength++] = '%';
        while (*p == '-' || *p == '#' || *p == '0') {
            if (specLength < 8) spec[specLength++] = *p;
            p++;
        }
        while (*p >= '0' && *p <= '9') { if (width < ISAPI_W32_WSPRINTF_MAX) width = width * 10 + (*p - '0'); p++; }
        if (*p == '.') {
            precision = 0;
            p++;
            while (*p >= '0' && *p <= '9') {
                if (precision < ISAPI_W32_WSPRINTF_MAX) precision = precision * 10 + (*p - '0');
                p++;
            }
        }
        if (*p == 'h' || *p == 'l') size = *p++;
        else if (p[0] == 'I' && p[1] == '6' && p[2] == '4') { size = 'L'; p += 3; }
        specLength += (size_t)sprintf(spec + specLength, "*.*");
        switch (*p) {
        case 'd': case 'i': {
            long long value = size == 'L' ? va_arg(args, long long) : (long long)va_arg(args, int);
            if (size == 'h') value = (short)value;
            strcpy(spec + specLength, "lld");
            pieceLength = snprintf(piece, sizeof piece, spec, width, precision, value);
            break;
        }
        case 'u': case 'x': case 'X': {
            unsigned long long value = size == 'L' ? va_arg(args, unsigned long long)
                                                   : (unsigned long long)va_arg(args, unsigned int);
            if (size == 'h') value = (unsigned short)value;
            sprintf(spec + specLength, "ll%c", *p);
            pieceLength = snprintf(piece, sizeof piece, spec, width, precision, value);
            break;
        }
        case 'p': {
            /* Win32 prints a pointer as 2*sizeof(void *) uppercase hex digits. */
            unsigned long long value = (unsigned long long)(uintptr_t)va_arg(args, void *);
            pieceLength = snprintf(piece, sizeof piece, "%0*llX", (int)(2 * sizeof(void *)), value);
            break;
        }
        case 'c': case 'C': {
            int value = va_arg(args, int);
            int wide = (*p == 'C' && size != 'h') || size == 'l';
            if (wide) {
                WCHAR unit[2];
                unit[0] = (WCHAR)value;
                unit[1] = 0;
                isapi_w32_utf16_to_utf8(unit, 1, text, sizeof text);
            } else {
                text[0] = (char)value;
                text[1] = '\0';
            }
            strcpy(spec + specLength, "s");
            pieceLength = snprintf(piece, sizeof piece, spec, width, -1, text);
            break;
        }
        case 's': case 'S': {
            int wide = (*p == 'S' && size != 'h') || size == 'l';
            const char *value;
            if (wide) {
                const WCHAR *w = va_arg(args, const WCHAR *);
                isapi_w32_utf16_to_utf8(w, precision, text, sizeof text);
                value = w ? text : "(null)";
            } else {
                value = va_arg(args, const char *);
                if (!value) value = "(null)";
            }
            strcpy(spec + specLength, "s");
            pieceLength = snprintf(piece, sizeof piece, spec, width, wide ? -1 : precision, value);
            break;
        }
        default:
            /* Unknown type: Win32 writes the character itself. */
            if (*p) isapi_w32_put(&out, p, 1);
            if (*p) p++;
            continue;
        }
        p++;
        if (pieceLength > 0) {
            isapi_w32_put(&out, piece, (size_t)pieceLength < sizeof piece ? (size_t)pieceLength : sizeof piece - 1);
        }
    }
    buffer[out.used] = '\0';
    return (int)out.used;
}

ISAPI_W32_INLINE int WINAPIV wsprintfA(LPSTR buffer, LPCSTR format, ...)
{
    va_list args;
    int result;
    va_start(args, format);
    result = wvsprintfA(buffer, format, args);
    va_end(args);
    return result;
}

#ifndef wsprintf
# define wsprintf wsprintfA
#endif
#ifndef wvsprintf
# define wvsprintf wvsprintfA
#endif

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

/* ------------------------------------------------------------------------ */
/* CRITICAL_SECTION: a recursive mutex                                       */
/* ------------------------------------------------------------------------ */

typedef struct _CRITICAL_SECTION {
    pthread_mutex_t Mutex;
} CRITICAL_SECTION, *PCRITICAL_SECTION, *LPCRITICAL_SECTION;

ISAPI_W32_INLINE VOID WINAPI InitializeCriticalSection(LPCRITICAL_SECTION section)
{
    pthread_mutexattr_t attributes;
    pthread_mutexattr_init(&attributes);
    pthread_mutexattr_settype(&attributes, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&section->Mutex, &attributes);
    pthread_mutexattr_destroy(&attributes);
}

ISAPI_W32_INLINE BOOL WINAPI InitializeCriticalSectionAndSpinCount(LPCRITICAL_SECTION section, DWORD spinCount)
{
    (void)spinCount;
    InitializeCriticalSection(section);
    return TRUE;
}

ISAPI_W32_INLINE VOID WINAPI EnterCriticalSection(LPCRITICAL_SECTION section)
{
    pthread_mutex_lock(&section->Mutex);
}

ISAPI_W32_INLINE BOOL WINAPI TryEnterCriticalSection(LPCRITICAL_SECTION section)
{
    return pthread_mutex_trylock(&section->Mutex) == 0 ? TRUE : FALSE;
}

ISAPI_W32_INLINE VOID WINAPI LeaveCriticalSection(LPCRITICAL_SECTION section)
{
    pthread_mutex_unlock(&section->Mutex);
}

ISAPI_W32_INLINE VOID WINAPI DeleteCriticalSection(LPCRITICAL_SECTION section)
{
    pthread_mutex_destroy(&section->Mutex);
}

/* ------------------------------------------------------------------------ */
/* Interlocked*                                                              */
/* ------------------------------------------------------------------------ */

ISAPI_W32_INLINE LONG WINAPI InterlockedIncrement(LONG volatile *addend)
{
    return __atomic_add_fetch(addend, 1, __ATOMIC_SEQ_CST);
}

ISAPI_W32_INLINE LONG WINAPI InterlockedDecrement(LONG volatile *addend)
{
    return __atomic_sub_fetch(addend, 1, __ATOMIC_SEQ_CST);
}

ISAPI_W32_INLINE LONG WINAPI InterlockedExchange(LONG volatile *target, LONG value)
{
    return __atomic_exchange_n(target, value, __ATOMIC_SEQ_CST);
}

ISAPI_W32_INLINE LONG WINAPI InterlockedCompareExchange(LONG volatile *destination, LONG exchange, LONG comparand)
{
    LONG expected = comparand;
    __atomic_compare_exchange_n(destination, &expected, exchange, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    return expected;   /* the initial value, whether or not it was replaced */
}

ISAPI_W32_INLINE LONG WINAPI InterlockedExchangeAdd(LONG volatile *addend, LONG value)
{
    return __atomic_fetch_add(addend, value, __ATOMIC_SEQ_CST);
}

/* ------------------------------------------------------------------------ */
/* Time, threads, processes                                                  */
/* ------------------------------------------------------------------------ */

ISAPI_W32_INLINE VOID WINAPI Sleep(DWORD milliseconds)
{
    struct timespec remaining;
    if (milliseconds == 0) { sched_yield(); return; }
    remaining.tv_sec = (time_t)(milliseconds / 1000);
    remaining.tv_nsec = (long)(milliseconds % 1000) * 1000000L;
    while (nanosleep(&remaining, &remaining) != 0 && errno == EINTR) {}
}

ISAPI_W32_INLINE ULONGLONG WINAPI GetTickCount64(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (ULONGLONG)now.tv_sec * 1000u + (ULONGLONG)now.tv_nsec / 1000000u;
}

ISAPI_W32_INLINE DWORD WINAPI GetTickCount(void) { return (DWORD)GetTickCount64(); }

ISAPI_W32_INLINE DWORD WINAPI GetCurrentThreadId(void) { return (DWORD)isapi_w32_syscall(SYS_gettid); }

ISAPI_W32_INLINE DWORD WINAPI GetCurrentProcessId(void) { return (DWORD)getpid(); }

/* ------------------------------------------------------------------------ */
/* GetModuleFileNameA                                                        */
/* ------------------------------------------------------------------------ */

/* Copies `path` Win32's way: the length, or on truncation n with the last
 * error ERROR_INSUFFICIENT_BUFFER (and still a NUL). */
ISAPI_W32_INLINE DWORD isapi_w32_copy_path(const char *path, LPSTR buffer, DWORD size)
{
    size_t length = strlen(path);
    if (size == 0) { SetLastError(ERROR_INSUFFICIENT_BUFFER); return 0; }
    if (length < size) {
        memcpy(buffer, path, length + 1);
        return (DWORD)length;
    }
    memcpy(buffer, path, size - 1);
    buffer[size - 1] = '\0';
    SetLastError(ERROR_INSUFFICIENT_BUFFER);
    return size;
}

/* The running executable's path (/proc/self/exe) into `path` (PATH_MAX bytes). */
ISAPI_W32_INLINE int isapi_w32_executable_path(char *path)
{
    ssize_t length = readlink("/proc/self/exe", path, PATH_MAX - 1);
    if (length < 0) return 0;
    path[length] = '\0';
    return 1;
}

/* The file a module handle (a dlopen handle: glibc's is the module's
 * link_map) names; "" for the executable, NULL if no loaded module has it. */
ISAPI_W32_INLINE const char *isapi_w32_module_path(HMODULE module)
{
    struct link_map *map = NULL;
    const char *found = NULL;
    void *self = dlopen(NULL, RTLD_LAZY);
    if (self && isapi_w32_dlinfo(self, ISAPI_W32_RTLD_DI_LINKMAP, &map) == 0) {
        for (; map; map = map->l_next) {
            if ((void *)map == module) { found = map->l_name ? map->l_name : ""; break; }
        }
    }
    if (self) dlclose(self);
    if (!found) {
        /* Not a handle: an address inside a module, as some ports pass. */
        isapi_w32_dl_info info;
        if (isapi_w32_dladdr(module, &info) && info.dli_fname) found = info.dli_fname;
    }
    return found;
}

ISAPI_W32_INLINE DWORD WINAPI GetModuleFileNameA(HMODULE module, LPSTR filename, DWORD size)
{
    char executable[PATH_MAX];
    const char *path = module ? isapi_w32_module_path(module) : "";
    if (!path) { SetLastError(ERROR_MOD_NOT_FOUND); return 0; }
    if (path[0] == '\0') {
        if (!isapi_w32_executable_path(executable)) { SetLastError(ERROR_FILE_NOT_FOUND); return 0; }
        path = executable;
    }
    return isapi_w32_copy_path(path, filename, size);
}

#ifndef GetModuleFileName
# define GetModuleFileName GetModuleFileNameA
#endif

/* ------------------------------------------------------------------------ */
/* GetPrivateProfileStringA / GetPrivateProfileIntA                          */
/* ------------------------------------------------------------------------ */

/* `name` as a path: absolute as given, relative next to the module that
 * compiled this header in (dladdr on a static of the header finds it). */
ISAPI_W32_INLINE int isapi_w32_profile_path(LPCSTR name, char *path)
{
    static const char anchor = 0;
    isapi_w32_dl_info info;
    const char *slash;
    char module[PATH_MAX];
    if (name[0] == '/') return snprintf(path, PATH_MAX, "%s", name) < PATH_MAX;
    if (isapi_w32_dladdr(&anchor, &info) && info.dli_fname && strchr(info.dli_fname, '/')) {
        snprintf(module, sizeof module, "%s", info.dli_fname);
    } else if (!isapi_w32_executable_path(module)) {
        return 0;
    }
    slash = strrchr(module, '/');
    return snprintf(path, PATH_MAX, "%.*s/%s", (int)(slash - module), module, name) < PATH_MAX;
}

/* Trims blanks (and the line end) at both ends of `s`, in place. */
ISAPI_W32_INLINE char *isapi_w32_trim(char *s)
{
    char *end;
    while (*s == ' ' || *s == '\t') s++;
    end = s + strlen(s);
    while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' || end[-1] == '\n')) end--;
    *end = '\0';
    return s;
}

/* A list answer (section or key names) being built Win32's way. */
typedef struct isapi_w32_list {
    char *buffer;
    DWORD size;
    DWORD used;
    int truncated;
} isapi_w32_list;

/* Appends one name and its NUL; on overflow keeps what fits, then two NULs. */
ISAPI_W32_INLINE void isapi_w32_list_add(isapi_w32_list *list, const char *name)
{
    size_t length = strlen(name);
    DWORD room = list->size - 1 - list->used;   /* one byte stays for the final NUL */
    if (list->truncated) return;
    if (length + 1 >= room) {
        if (room > 0) {
            memcpy(list->buffer + list->used, name, room - 1);
            list->used += room - 1;
            list->buffer[list->used++] = '\0';
        }
        list->buffer[list->used] = '\0';
        list->truncated = 1;
        return;
    }
    memcpy(list->buffer + list->used, name, length + 1);
    list->used += (DWORD)length + 1;
}

ISAPI_W32_INLINE DWORD WINAPI GetPrivateProfileStringA(LPCSTR appName, LPCSTR keyName, LPCSTR defaultValue,
                                                       LPSTR returned, DWORD size, LPCSTR fileName)
{
    char path[PATH_MAX];
    char defaultCopy[ISAPI_W32_WSPRINTF_MAX];
    char *line = NULL, *value = NULL;
    size_t capacity = 0;
    int inSection = 0, sectionSeen = 0, listing = !appName || !keyName;
    isapi_w32_list list;
    FILE *file = NULL;
    DWORD result;

    if (!returned || size == 0) return 0;
    list.buffer = returned;
    list.size = size;
    list.used = 0;
    list.truncated = 0;
    if (fileName && fileName[0] && isapi_w32_profile_path(fileName, path)) file = fopen(path, "r");

    while (file && getline(&line, &capacity, file) >= 0) {
        char *text = isapi_w32_trim(line), *equals;
        if (text[0] == '\0' || text[0] == ';') continue;
        if (text[0] == '[') {
            char *end = strchr(text, ']');
            if (end) *end = '\0';
            text = isapi_w32_trim(text + 1);
            if (!appName) { isapi_w32_list_add(&list, text); continue; }
            if (sectionSeen) break;    /* only the first section of a name counts */
            inSection = sectionSeen = strcasecmp(text, appName) == 0;
            continue;
        }
        if (!inSection) continue;
        equals = strchr(text, '=');
        if (equals) *equals = '\0';
        if (!keyName) { isapi_w32_list_add(&list, isapi_w32_trim(text)); continue; }
        if (equals && strcasecmp(isapi_w32_trim(text), keyName) == 0) {
            size_t length;
            value = isapi_w32_trim(equals + 1);
            length = strlen(value);
            if (length >= 2 && (value[0] == '"' || value[0] == '\'') && value[length - 1] == value[0]) {
                value[length - 1] = '\0';
                value++;
            }
            break;
        }
    }
    if (file) fclose(file);

    if (listing) {
        list.buffer[list.used] = '\0';
        if (!list.truncated && list.used + 1 < size) list.buffer[list.used + 1] = '\0';
        result = list.truncated ? (size >= 2 ? size - 2 : 0) : list.used;
        if (!file || (appName && !sectionSeen)) SetLastError(ERROR_FILE_NOT_FOUND);
        free(line);
        return result;
    }
    if (!value) {
        /* The default, without its trailing blanks. */
        snprintf(defaultCopy, sizeof defaultCopy, "%s", defaultValue ? defaultValue : "");
        value = defaultCopy;
        while (value[0] && (value[strlen(value) - 1] == ' ' || value[strlen(value) - 1] == '\t')) {
            value[strlen(value) - 1] = '\0';
        }
        SetLastError(ERROR_FILE_NOT_FOUND);
    }
    if (strlen(value) >= size) {
        memcpy(returned, value, size - 1);
        returned[size - 1] = '\0';
        result = size - 1;
    } else {
        strcpy(returned, value);
        result = (DWORD)strlen(value);
    }
    free(line);
    return result;
}

ISAPI_W32_INLINE UINT WINAPI GetPrivateProfileIntA(LPCSTR appName, LPCSTR keyName, INT defaultValue,
                                                   LPCSTR fileName)
{
    char text[64];
    const char *p = text;
    long long value = 0;
    int negative = 0;
    if (!appName || !keyName) return (UINT)defaultValue;
    if (GetPrivateProfileStringA(appName, keyName, "", text, sizeof text, fileName) == 0) return (UINT)defaultValue;
    while (*p == ' ' || *p == '\t') p++;
    if (*p == '-' || *p == '+') negative = *p++ == '-';
    while (*p >= '0' && *p <= '9') {
        value = value * 10 + (*p++ - '0');
        if (value > 0xFFFFFFFFLL) value = 0xFFFFFFFFLL;
    }
    return negative ? (UINT)(0u - (UINT)value) : (UINT)value;
}

#ifndef GetPrivateProfileString
# define GetPrivateProfileString GetPrivateProfileStringA
#endif
#ifndef GetPrivateProfileInt
# define GetPrivateProfileInt GetPrivateProfileIntA
#endif

/* ------------------------------------------------------------------------ */
/* OutputDebugStringA                                                        */
/* ------------------------------------------------------------------------ */

ISAPI_W32_INLINE void isapi_w32_write_all(const char *bytes, size_t count)
{
    while (count > 0) {
        ssize_t written = write(2, bytes, count);
        if (written < 0 && errno == EINTR) continue;
        if (written <= 0) return;
        bytes += written;
        count -= (size_t)written;
    }
}

ISAPI_W32_INLINE VOID WINAPI OutputDebugStringA(LPCSTR text)
{
    char line[ISAPI_W32_WSPRINTF_MAX];
    size_t length;
    int savedErrno = errno;
    if (!text || !text[0]) return;
    length = strlen(text);
    if (length + 2 <= sizeof line) {
        memcpy(line, text, length);
        if (text[length - 1] != '\n') line[length++] = '\n';
        isapi_w32_write_all(line, length);
    } else {
        isapi_w32_write_all(text, length);
        if (text[length - 1] != '\n') isapi_w32_write_all("\n", 1);
    }
    errno = savedErrno;
}

#ifndef OutputDebugString
# define OutputDebugString OutputDebugStringA
#endif

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* POSIX.1-2008 available */
#endif /* ISAPI_WIN32_H */
