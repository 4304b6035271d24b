/*
 * isapi_win32_strings.h - part of isapi_win32.h: lstr*, _stricmp, _strnicmp,
 * _snprintf, _vsnprintf.
 * Include <isapi_win32.h>; this file is split out only to keep each part
 * small. What differs from Win32:
 *
 *   lstrlenA/lstrcpyA/lstrcpynA/lstrcatA  strlen/strcpy/strcat; a NULL
 *       argument gives 0 (lstrlen) or NULL, as Win32's exception handler
 *       does, instead of a crash. lstrcpyn copies at most n-1 bytes and
 *       always terminates (n >= 1).
 *   lstrcmpA/lstrcmpiA  strcmp/strcasecmp, normalised to -1/0/1 as Win32
 *       returns. Win32 compares linguistically (CompareString, "word sort":
 *       '-' and '\'' nearly ignored, user locale); here bytes, and ASCII
 *       case folding. NULL sorts before any string.
 *   _stricmp/_strnicmp (stricmp/strnicmp)  strcasecmp/strncasecmp.
 *   _snprintf/_vsnprintf  vsnprintf with Microsoft's truncation: when the
 *       output does not fit in count bytes, count bytes are written with no
 *       NUL and -1 is returned (count is returned, again without a NUL, when
 *       it fits exactly). The format is glibc's printf: %ld is 64-bit here,
 *       use %d for a LONG or DWORD, %lld for LONGLONG.
 */

#ifndef ISAPI_WIN32_STRINGS_H
#define ISAPI_WIN32_STRINGS_H

#include "isapi_win32.h"

#ifdef ISAPI_WIN32_AVAILABLE

#ifdef __cplusplus
extern "C" {
#endif

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

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ISAPI_WIN32_AVAILABLE */
#endif /* ISAPI_WIN32_STRINGS_H */
