/*
 * leak.c - MISBEHAVES: leaks 64 KiB per request. Each call mallocs a block,
 * writes every byte of it (so the pages are really resident) and never frees
 * it, then answers "leaked N KiB" (N counts this process's calls). isapid
 * cannot take the memory back; it must keep serving while the heap grows.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <httpext.h>

enum { kLeakBytes = 64 * 1024 };

static unsigned long g_calls;

BOOL WINAPI GetExtensionVersion(HSE_VERSION_INFO *v)
{
    v->dwExtensionVersion = MAKELONG(HSE_VERSION_MINOR, HSE_VERSION_MAJOR);
    strcpy(v->lpszExtensionDesc, "leak");
    return TRUE;
}

DWORD WINAPI HttpExtensionProc(EXTENSION_CONTROL_BLOCK *ecb)
{
    char *block = malloc(kLeakBytes);
    if (block == NULL)
        return HSE_STATUS_ERROR;
    memset(block, 'L', kLeakBytes); /* never freed: that is the bug */
    unsigned long calls = __atomic_add_fetch(&g_calls, 1, __ATOMIC_SEQ_CST);

    char body[64];
    snprintf(body, sizeof body, "leaked %lu KiB\n", calls * (kLeakBytes / 1024));
    char head[128];
    snprintf(head, sizeof head, "Content-Type: text/plain\r\nContent-Length: %zu\r\n\r\n", strlen(body));
    HSE_SEND_HEADER_EX_INFO info = { "200 OK", head, 6, (DWORD)strlen(head), TRUE };
    if (!ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_SEND_RESPONSE_HEADER_EX, &info, NULL, NULL))
        return HSE_STATUS_ERROR;
    DWORD length = (DWORD)strlen(body);
    return ecb->WriteClient(ecb->ConnID, body, &length, HSE_IO_SYNC) ? HSE_STATUS_SUCCESS : HSE_STATUS_ERROR;
}
