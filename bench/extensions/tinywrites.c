/*
 * tinywrites.c - bench-only ISAPI extension (bench/run.py, scenario S5): a 20,000-byte
 * body written the way some real extensions write, one byte per WriteClient call
 * (20,000 calls), or with ?one in one 20,000-byte call. No Content-Length, as such
 * extensions seldom know it: the host frames the body itself (chunked).
 *
 *   cc -O2 -shared -fPIC -I Sources/CISAPI/include bench/extensions/tinywrites.c -o tinywrites.dll
 */

#include "bench.h"

#define BODY 20000

static char body[BODY];

__attribute__((constructor)) static void fill_body(void)
{
    memset(body, 'x', sizeof body);
}

BENCH_EXTENSION("bench: tinywrites")

DWORD WINAPI HttpExtensionProc(EXTENSION_CONTROL_BLOCK *pECB)
{
    if (!bench_send_200(pECB, "Content-Type: text/plain\r\n\r\n"))
        return HSE_STATUS_ERROR;

    const char *q = pECB->lpszQueryString;
    int calls = q != NULL && strcmp(q, "one") == 0 ? 1 : BODY;
    DWORD size = BODY / calls;
    for (int i = 0; i < calls; i++) {
        DWORD len = size;
        if (!pECB->WriteClient(pECB->ConnID, body + (size_t)i * size, &len, HSE_IO_SYNC))
            return HSE_STATUS_ERROR;
    }
    return HSE_STATUS_SUCCESS_AND_KEEP_CONN;
}
