/*
 * isapi_win32_module.h - part of isapi_win32.h: the module's own file, its
 * .ini and its debug output (GetModuleFileNameA, GetPrivateProfileStringA,
 * GetPrivateProfileIntA, OutputDebugStringA).
 * Include <isapi_win32.h>; this file is split out only to keep each part
 * small. What differs from Win32:
 *
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
 *       the first section of a name is the one read; a UTF-8 BOM is skipped
 *       (UTF-16 files are not read). Win32's return values
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
 */

#ifndef ISAPI_WIN32_MODULE_H
#define ISAPI_WIN32_MODULE_H

#include "isapi_win32.h"

#ifdef ISAPI_WIN32_AVAILABLE

#ifdef __cplusplus
extern "C" {
#endif

/* Bytes OutputDebugStringA writes in one write(2), and the longest default
 * GetPrivateProfileStringA keeps. */
#define ISAPI_W32_LINE_MAX 1024

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
    char defaultCopy[ISAPI_W32_LINE_MAX];
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
        char *text = line, *equals;
        if (strncmp(text, "\xEF\xBB\xBF", 3) == 0) text += 3;   /* a UTF-8 BOM (Notepad writes one) */
        text = isapi_w32_trim(text);
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
    char line[ISAPI_W32_LINE_MAX];
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

#endif /* ISAPI_WIN32_AVAILABLE */
#endif /* ISAPI_WIN32_MODULE_H */
