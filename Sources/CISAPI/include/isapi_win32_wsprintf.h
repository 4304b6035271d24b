/*
 * isapi_win32_wsprintf.h - part of isapi_win32.h: wsprintfA, wvsprintfA.
 * Include <isapi_win32.h>; this file is split out only to keep each part
 * small. What differs from Win32:
 *
 *   wsprintfA/wvsprintfA  a small formatter for wsprintf's own format
 *       language (not printf's): %c %C %d %i %u %x %X %s %S %p and the
 *       h/l/I64 size prefixes, flags - # 0, width, .precision. %ld and %lu
 *       are 32-bit (Win32's long), %I64d 64-bit, %S/%ls a WCHAR (UTF-16)
 *       string written as UTF-8. No floating point, no '*' width, as Win32.
 *       Output is at most 1024 bytes with the NUL (Win32's limit); on
 *       truncation 1023 bytes are kept and 1023 is returned.
 */

#ifndef ISAPI_WIN32_WSPRINTF_H
#define ISAPI_WIN32_WSPRINTF_H

#include "isapi_win32.h"

#ifdef ISAPI_WIN32_AVAILABLE

#ifdef __cplusplus
extern "C" {
#endif

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
        else if (c < 0x800) {
            encoded[0] = (char)(0xC0 | (c >> 6)); encoded[1] = (char)(0x80 | (c & 0x3F)); length = 2;
        }
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

/* Each conversion is handed to snprintf with a format built here (never the
 * caller's), so -Wformat-nonliteral has nothing to say about it. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
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

#pragma GCC diagnostic pop

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

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ISAPI_WIN32_AVAILABLE */
#endif /* ISAPI_WIN32_WSPRINTF_H */
