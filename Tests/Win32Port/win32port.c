/*
 * win32port.c - an extension that calls every function of isapi_win32.h and
 * answers with what each returned, one "name=value" line per check.
 * Win32PortTests compiles it with only `cc -shared -fPIC -I <SDK>` and runs
 * it under isapid; it reads win32port.ini, which the test writes next to
 * the .dll, through a relative name.
 */
#include <isapi_win32.h>
#include <httpext.h>
#include <isapi_win32.h>   /* twice, and after httpext.h: the guards hold */

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static HINSTANCE moduleHandle;
static DWORD attachCount;

BOOL WINAPI DllMain(HINSTANCE hinstDLL, DWORD fdwReason, LPVOID lpvReserved)
{
    (void)lpvReserved;
    if (fdwReason == DLL_PROCESS_ATTACH) {
        moduleHandle = hinstDLL;
        attachCount++;
    }
    return TRUE;
}

BOOL WINAPI GetExtensionVersion(HSE_VERSION_INFO *pVer)
{
    pVer->dwExtensionVersion = HSE_VERSION;
    lstrcpyn(pVer->lpszExtensionDesc, "isapi_win32.h port check", HSE_MAX_EXT_DLL_NAME_LEN);
    return TRUE;
}

/* The response body, built line by line. */
typedef struct Report {
    char text[16384];
    size_t used;
} Report;

__attribute__((format(printf, 3, 4)))
static void line(Report *report, const char *name, const char *format, ...)
{
    va_list args;
    int written;
    written = snprintf(report->text + report->used, sizeof report->text - report->used, "%s=", name);
    if (written > 0) report->used += (size_t)written;
    va_start(args, format);
    written = vsnprintf(report->text + report->used, sizeof report->text - report->used, format, args);
    va_end(args);
    if (written > 0) report->used += (size_t)written;
    if (report->used + 1 < sizeof report->text) report->text[report->used++] = '\n';
    report->text[report->used] = '\0';
}

/* A NUL-separated list (double-NUL ended) with '|' between the names. */
static const char *joined(const char *list, DWORD length, char *out)
{
    DWORD i;
    for (i = 0; i < length; i++) out[i] = list[i] ? list[i] : '|';
    out[length] = '\0';
    return out;
}

/* ---- threads for the CRITICAL_SECTION, Interlocked and thread-id checks ---- */

static CRITICAL_SECTION section;
static LONG volatile counter;

static void *tryEnterElsewhere(void *result)
{
    *(BOOL *)result = TryEnterCriticalSection(&section);
    if (*(BOOL *)result) LeaveCriticalSection(&section);
    return NULL;
}

static void *incrementMany(void *unused)
{
    int i;
    (void)unused;
    for (i = 0; i < 10000; i++) {
        InterlockedIncrement(&counter);
        InterlockedDecrement(&counter);
        InterlockedIncrement(&counter);
    }
    return NULL;
}

static void *threadId(void *id)
{
    *(DWORD *)id = GetCurrentThreadId();
    return NULL;
}

static BOOL tryEnterFromAnotherThread(void)
{
    BOOL result = -1;
    pthread_t thread;
    pthread_create(&thread, NULL, tryEnterElsewhere, &result);
    pthread_join(thread, NULL);
    return result;
}

static void checkStrings(Report *r)
{
    char buffer[64];
    char *returned;
    lstrcpy(buffer, "Hello");
    returned = lstrcat(buffer, ", World");
    line(r, "lstrcpy_lstrcat", "%s|%s", buffer, returned == buffer ? "dst" : "other");
    line(r, "lstrlen", "%d|%d", lstrlen(buffer), lstrlenA(NULL));
    returned = lstrcpyn(buffer, "truncate me", 6);
    line(r, "lstrcpyn", "%s|%s", buffer, returned == buffer ? "dst" : "other");
    line(r, "lstrcmp", "%d|%d|%d|%d", lstrcmp("apple", "banana"), lstrcmp("same", "same"), lstrcmp("b", "a"),
         lstrcmpA(NULL, "a"));
    line(r, "lstrcmpi", "%d|%d|%d", lstrcmpi("HeLLo", "hello"), lstrcmpi("abc", "ABD"), lstrcmpiA("Zebra", "apple"));
    line(r, "stricmp", "%d|%d|%d|%d", _stricmp("ISAPI", "isapi"), _strnicmp("abX", "ABy", 2),
         stricmp("a", "B") < 0, strnicmp("abc", "ABD", 3) < 0);
}

static void checkFormatting(Report *r)
{
    char buffer[2048], big[2001];
    int length;
    WCHAR wide[] = { 'w', 0xE9, 0 };
    length = wsprintfA(buffer, "%d|%5u|%-4x|%08lX|%s|%.2s|%c|%I64d|%ld|%%|%S", -3, 7u, 255u, 0xBEEFu, "str", "abc",
                       'Z', (LONGLONG)1 << 40, (LONG)-1, wide);
    line(r, "wsprintfA", "%s", buffer);
    line(r, "wsprintfA_return", "%d|%d", length, (int)strlen(buffer));
    memset(big, 'x', 2000);
    big[2000] = '\0';
    length = wsprintf(buffer, "%s", big);
    line(r, "wsprintfA_limit", "%d|%d", length, (int)strlen(buffer));

    memset(buffer, '#', 16);
    length = _snprintf(buffer, 4, "%s", "abcdef");
    line(r, "_snprintf_truncated", "%d|%.6s", length, buffer);
    memset(buffer, '#', 16);
    length = _snprintf(buffer, 3, "%s", "abc");
    line(r, "_snprintf_exact", "%d|%.6s", length, buffer);
    length = _snprintf(buffer, 16, "n=%d", 42);
    line(r, "_snprintf_fits", "%d|%s", length, buffer);

    memset(buffer, '#', 8);
    ZeroMemory(buffer, 4);
    FillMemory(buffer, 2, 'x');
    CopyMemory(buffer + 2, "yy", 2);
    MoveMemory(buffer, buffer + 1, 3);
    line(r, "memory", "%.4s|%d", buffer, buffer[4]);
    line(r, "MAX_PATH", "%d", MAX_PATH);
}

static void checkSynchronisation(Report *r)
{
    LONG volatile value = 5;
    LONG results[6];
    pthread_t threads[4];
    int i;

    results[0] = InterlockedIncrement(&value);              /* 6 */
    results[1] = InterlockedDecrement(&value);              /* 5 */
    results[2] = InterlockedExchange(&value, 9);            /* 5, value 9 */
    results[3] = InterlockedCompareExchange(&value, 1, 9);  /* 9, value 1 */
    results[4] = InterlockedCompareExchange(&value, 7, 3);  /* 1, value stays 1 */
    results[5] = InterlockedExchangeAdd(&value, 10);        /* 1, value 11 */
    line(r, "interlocked", "%d|%d|%d|%d|%d|%d|%d", results[0], results[1], results[2], results[3], results[4],
         results[5], value);
    counter = 0;
    for (i = 0; i < 4; i++) pthread_create(&threads[i], NULL, incrementMany, NULL);
    for (i = 0; i < 4; i++) pthread_join(threads[i], NULL);
    line(r, "interlocked_threads", "%d", counter);

    InitializeCriticalSection(&section);
    EnterCriticalSection(&section);
    EnterCriticalSection(&section);   /* recursive: Win32's critical sections are */
    line(r, "critical_section", "recursive|try_same=%d|try_other=%d", TryEnterCriticalSection(&section),
         tryEnterFromAnotherThread());
    LeaveCriticalSection(&section);   /* the TryEnter */
    LeaveCriticalSection(&section);
    line(r, "critical_section_one_left", "try_other=%d", tryEnterFromAnotherThread());
    LeaveCriticalSection(&section);
    line(r, "critical_section_released", "try_other=%d", tryEnterFromAnotherThread());
    DeleteCriticalSection(&section);
}

static void checkProcess(Report *r)
{
    char path[MAX_PATH], small[8];
    DWORD length, other = 0;
    ULONGLONG before, after;
    DWORD tick;
    pthread_t thread;

    line(r, "dllmain", "attach=%u|hinst=%s", (unsigned)attachCount, moduleHandle ? "set" : "null");
    length = GetModuleFileNameA(moduleHandle, path, sizeof path);
    line(r, "GetModuleFileNameA", "%s", path);
    line(r, "GetModuleFileNameA_return", "%u|%d", (unsigned)length, (int)strlen(path));
    SetLastError(0);
    length = GetModuleFileName(moduleHandle, small, sizeof small);
    line(r, "GetModuleFileNameA_truncated", "%u|%u|%d|%s", (unsigned)length, (unsigned)GetLastError(),
         (int)strlen(small), small);
    length = GetModuleFileNameA(NULL, path, sizeof path);
    line(r, "GetModuleFileNameA_null", "%s", path);
    SetLastError(0);
    length = GetModuleFileNameA((HMODULE)(ULONG_PTR)8, path, sizeof path);
    line(r, "GetModuleFileNameA_bad", "%u|%u", (unsigned)length, (unsigned)GetLastError());

    before = GetTickCount64();
    tick = GetTickCount();
    Sleep(25);
    Sleep(0);
    after = GetTickCount64();
    line(r, "tick", "elapsed=%llu|tick_matches=%d", (unsigned long long)(after - before),
         (DWORD)(tick - (DWORD)before) <= (DWORD)(after - before) ? 1 : 0);   /* modulo 2^32 */

    pthread_create(&thread, NULL, threadId, &other);
    pthread_join(thread, NULL);
    line(r, "thread_id", "nonzero=%d|same=%d|other_differs=%d|not_pid=%d", GetCurrentThreadId() != 0,
         GetCurrentThreadId() == GetCurrentThreadId(), other != 0 && other != GetCurrentThreadId(),
         GetCurrentThreadId() != GetCurrentProcessId());
    line(r, "process_id", "%u", (unsigned)GetCurrentProcessId());
}

static void checkProfile(Report *r)
{
    const char *ini = "win32port.ini";
    char value[64], list[256], shown[256];
    DWORD length;

    length = GetPrivateProfileStringA("DATABASE", "server", "none", value, sizeof value, ini);
    line(r, "profile_value", "%u|%s", (unsigned)length, value);
    length = GetPrivateProfileString("Database", "Name", "none", value, sizeof value, ini);
    line(r, "profile_quoted", "%u|%s", (unsigned)length, value);
    SetLastError(0);
    length = GetPrivateProfileStringA("Database", "Missing", "dflt  ", value, sizeof value, ini);
    line(r, "profile_default", "%u|%s|%u", (unsigned)length, value, (unsigned)GetLastError());
    length = GetPrivateProfileStringA("Database", "Server", "none", value, 5, ini);
    line(r, "profile_truncated", "%u|%s", (unsigned)length, value);
    length = GetPrivateProfileStringA("Database", "Commented", "none", value, sizeof value, ini);
    line(r, "profile_comment", "%u|%s", (unsigned)length, value);
    length = GetPrivateProfileStringA(NULL, NULL, "", list, sizeof list, ini);
    line(r, "profile_sections", "%u|%s", (unsigned)length, joined(list, length, shown));
    length = GetPrivateProfileStringA("Database", NULL, "", list, sizeof list, ini);
    line(r, "profile_keys", "%u|%s", (unsigned)length, joined(list, length, shown));
    length = GetPrivateProfileStringA("Database", NULL, "", list, 10, ini);
    line(r, "profile_keys_truncated", "%u|%s|%d", (unsigned)length, joined(list, length, shown), list[9]);
    line(r, "profile_int", "%u|%u|%u|%u|%u", GetPrivateProfileIntA("Database", "Port", 1, ini),
         GetPrivateProfileInt("Database", "Missing", 77, ini), GetPrivateProfileIntA("Database", "Negative", 1, ini),
         GetPrivateProfileIntA("Database", "Junk", 1, ini), GetPrivateProfileIntA("Database", "Empty", 5, ini));
    SetLastError(0);
    length = GetPrivateProfileStringA("Database", "Server", "absent", value, sizeof value, "no-such-file.ini");
    line(r, "profile_no_file", "%u|%s|%u", (unsigned)length, value, (unsigned)GetLastError());
}

DWORD WINAPI HttpExtensionProc(EXTENSION_CONTROL_BLOCK *pECB)
{
    static Report report;   /* one request at a time in this test */
    char header[] = "Content-Type: text/plain\r\n\r\n";
    DWORD headerLength = (DWORD)strlen(header);
    DWORD length;

    report.used = 0;
    report.text[0] = '\0';
    checkStrings(&report);
    checkFormatting(&report);
    checkSynchronisation(&report);
    checkProcess(&report);
    checkProfile(&report);
    OutputDebugStringA("win32port: OutputDebugStringA reached stderr");
    line(&report, "done", "1");

    length = (DWORD)report.used;
    pECB->ServerSupportFunction(pECB->ConnID, HSE_REQ_SEND_RESPONSE_HEADER, (LPVOID) "200 OK", &headerLength,
                                (LPDWORD)header);
    pECB->WriteClient(pECB->ConnID, report.text, &length, HSE_IO_SYNC);
    return HSE_STATUS_SUCCESS;
}
