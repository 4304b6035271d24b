/*
 * readsink.c - bench-only ISAPI extension (bench/run.py, scenario S4): reads the whole
 * request body through ReadClient in 64 KiB calls, discards it, and answers how many
 * bytes it got ("<n>\n"). Unlike extensions/echo (which sends the body back), this
 * measures the upload direction alone.
 *
 *   cc -O2 -shared -fPIC -I Sources/CISAPI/include bench/extensions/readsink.c -o readsink.dll
 */

#include <stdio.h>
#include <stdlib.h>
#include "bench.h"

#define CHUNK (64 * 1024)

BENCH_EXTENSION("bench: readsink")

DWORD WINAPI HttpExtensionProc(EXTENSION_CONTROL_BLOCK *pECB)
{
    unsigned long long total = pECB->cbAvailable;
    char *buf = malloc(CHUNK);
    if (buf == NULL)
        return HSE_STATUS_ERROR;
    for (;;) {
        DWORD n = CHUNK;
        if (!pECB->ReadClient(pECB->ConnID, buf, &n)) {
            free(buf);
            return HSE_STATUS_ERROR;
        }
        if (n == 0)
            break;
        total += n;
    }
    free(buf);

    char text[32], headers[96];
    int tlen = snprintf(text, sizeof text, "%llu\n", total);
    snprintf(headers, sizeof headers, "Content-Type: text/plain\r\nContent-Length: %d\r\n\r\n", tlen);
    DWORD len = (DWORD)tlen;
    if (!bench_send_200(pECB, headers) || !pECB->WriteClient(pECB->ConnID, text, &len, HSE_IO_SYNC))
        return HSE_STATUS_ERROR;
    return HSE_STATUS_SUCCESS_AND_KEEP_CONN;
}
