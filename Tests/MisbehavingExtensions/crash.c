/*
 * crash.c - MISBEHAVES: crashes the process that hosts it, on request.
 *
 *   ?segv    writes through a NULL pointer (SIGSEGV)
 *   ?abort   calls abort() (SIGABRT)
 *   ?bus     touches a page of a file mapping past the file's end (SIGBUS)
 *   ?fpe     divides an integer by zero (SIGFPE on x86-64)
 *   anything else: 200 "alive\n"
 *
 * No host can survive this in-process: isapid's answer is a supervising
 * parent that restarts the serving process (issue 7, item 4).
 */

#define _POSIX_C_SOURCE 200809L

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <httpext.h>

BOOL WINAPI GetExtensionVersion(HSE_VERSION_INFO *v)
{
    v->dwExtensionVersion = MAKELONG(HSE_VERSION_MINOR, HSE_VERSION_MAJOR);
    strcpy(v->lpszExtensionDesc, "crash");
    return TRUE;
}

/* volatile, so the compiler keeps the faulting operations. */
static volatile int g_zero = 0;
static int *volatile g_null = NULL;

static void crash_bus(void)
{
    char name[] = "/tmp/isapid-crash-bus-XXXXXX";
    int fd = mkstemp(name);
    if (fd < 0)
        abort();
    unlink(name);
    /* An empty file mapped for one page: touching the page raises SIGBUS. */
    volatile char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (page == MAP_FAILED)
        abort();
    page[0] = 1;
    raise(SIGBUS); /* not reached unless the write did not fault */
}

DWORD WINAPI HttpExtensionProc(EXTENSION_CONTROL_BLOCK *ecb)
{
    const char *q = ecb->lpszQueryString ? ecb->lpszQueryString : "";
    if (strcmp(q, "segv") == 0) {
        *g_null = 42;
    } else if (strcmp(q, "abort") == 0) {
        abort();
    } else if (strcmp(q, "bus") == 0) {
        crash_bus();
    } else if (strcmp(q, "fpe") == 0) {
        int result = 1 / g_zero;
        raise(SIGFPE); /* not reached where division by zero traps */
        return (DWORD)result;
    }
    char head[] = "Content-Type: text/plain\r\n\r\n";
    HSE_SEND_HEADER_EX_INFO info = { "200 OK", head, 6, sizeof(head) - 1, TRUE };
    if (!ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_SEND_RESPONSE_HEADER_EX, &info, NULL, NULL))
        return HSE_STATUS_ERROR;
    DWORD length = 6;
    ecb->WriteClient(ecb->ConnID, "alive\n", &length, HSE_IO_SYNC);
    return HSE_STATUS_SUCCESS;
}
