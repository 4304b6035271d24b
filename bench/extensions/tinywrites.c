/*
 * tinywrites.c - bench-only ISAPI extension (bench/run.py, scenario S5): a 20,000-byte
 * body written the way some real extensions write, one byte per WriteClient call
 * (20,000 calls), or with ?one in one 20,000-byte call. No Content-Length, as such
 * extensions seldom know it: the host frames the body itself (chunked).
 *
 * ?empty makes the same 20,000 calls, in the same loop, to a function that does
 * nothing, and then writes the body in one call: what the extension's own side of
 * the calls costs (its loop and the indirect call), which no host can take away.
 * ?empty minus ?one is that cost; the default minus ?empty is the host's.
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

typedef BOOL (WINAPI *write_client_fn)(HCONN, LPVOID, LPDWORD, DWORD);

static BOOL WINAPI empty_write_client(HCONN ConnID, LPVOID Buffer, LPDWORD lpdwBytes, DWORD dwReserved)
{
    (void)ConnID; (void)Buffer; (void)lpdwBytes; (void)dwReserved;
    return TRUE;
}

/* Read through a volatile, so that the compiler cannot see which function ?empty calls
   and turn the indirect call into a direct one, or into nothing. */
static write_client_fn volatile empty_write_client_ref = empty_write_client;

/* The body in `calls` equal WriteClient calls through `ecb`: one loop for every mode,
   so that ?empty runs the same instructions as the default. */
__attribute__((noinline))
static BOOL write_body(EXTENSION_CONTROL_BLOCK *ecb, int calls)
{
    DWORD size = BODY / calls;
    for (int i = 0; i < calls; i++) {
        DWORD len = size;
        if (!ecb->WriteClient(ecb->ConnID, body + (size_t)i * size, &len, HSE_IO_SYNC))
            return FALSE;
    }
    return TRUE;
}

DWORD WINAPI HttpExtensionProc(EXTENSION_CONTROL_BLOCK *pECB)
{
    if (!bench_send_200(pECB, "Content-Type: text/plain\r\n\r\n"))
        return HSE_STATUS_ERROR;

    const char *q = pECB->lpszQueryString != NULL ? pECB->lpszQueryString : "";
    if (strcmp(q, "empty") == 0) {
        EXTENSION_CONTROL_BLOCK empty = *pECB;
        empty.WriteClient = empty_write_client_ref;
        write_body(&empty, BODY);
    }
    int calls = strcmp(q, "one") == 0 || strcmp(q, "empty") == 0 ? 1 : BODY;
    return write_body(pECB, calls) ? HSE_STATUS_SUCCESS_AND_KEEP_CONN : HSE_STATUS_ERROR;
}
