/*
 * bigwrite.c - bench-only ISAPI extension (bench/run.py, scenario S4): answers
 * 1 GiB of 'x' (or ?bytes=N) written through WriteClient in 64 KiB calls, with a
 * Content-Length header, so the host passes it through unframed.
 *
 *   cc -O2 -shared -fPIC -I Sources/CISAPI/include bench/extensions/bigwrite.c -o bigwrite.dll
 */

#include <stdio.h>
#include <stdlib.h>
#include "bench.h"

#define CHUNK (64 * 1024)

BENCH_EXTENSION("bench: bigwrite")

DWORD WINAPI HttpExtensionProc(EXTENSION_CONTROL_BLOCK *pECB)
{
    unsigned long long total = 1ULL << 30;
    const char *q = pECB->lpszQueryString;
    if (q != NULL && strncmp(q, "bytes=", 6) == 0)
        total = strtoull(q + 6, NULL, 10);

    char headers[128];
    snprintf(headers, sizeof headers,
             "Content-Type: application/octet-stream\r\nContent-Length: %llu\r\n\r\n", total);
    if (!bench_send_200(pECB, headers))
        return HSE_STATUS_ERROR;

    char *buf = malloc(CHUNK);
    if (buf == NULL)
        return HSE_STATUS_ERROR;
    memset(buf, 'x', CHUNK);
    DWORD rc = HSE_STATUS_SUCCESS_AND_KEEP_CONN;
    while (total > 0) {
        DWORD len = total < CHUNK ? (DWORD)total : CHUNK;
        if (!pECB->WriteClient(pECB->ConnID, buf, &len, HSE_IO_SYNC)) {
            rc = HSE_STATUS_ERROR;
            break;
        }
        total -= len;
    }
    free(buf);
    return rc;
}
