/*
 * isapi_win32_threads.h - part of isapi_win32.h: CRITICAL_SECTION,
 * Interlocked*, Sleep, GetTickCount(64), thread and process ids.
 * Include <isapi_win32.h>; this file is split out only to keep each part
 * small. What differs from Win32:
 *
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
 */

#ifndef ISAPI_WIN32_THREADS_H
#define ISAPI_WIN32_THREADS_H

#include "isapi_win32.h"

#ifdef ISAPI_WIN32_AVAILABLE

#ifdef __cplusplus
extern "C" {
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

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ISAPI_WIN32_AVAILABLE */
#endif /* ISAPI_WIN32_THREADS_H */
