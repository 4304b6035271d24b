/*
 * loop.c - the extension's side of bench/writeclient-calls.sh, built as a shared object
 * as an extension is: tinywrites.dll's loop (one-byte WriteClient calls through the
 * ECB), and an empty WriteClient of the extension's own.
 */

#include <httpext.h>

#define BODY 20000

static char body[BODY];

/* The body in `calls` equal WriteClient calls through `ecb`, as tinywrites.dll makes them. */
__attribute__((noinline))
BOOL write_body(EXTENSION_CONTROL_BLOCK *ecb, int calls)
{
    DWORD size = BODY / calls;
    for (int i = 0; i < calls; i++) {
        DWORD len = size;
        if (!ecb->WriteClient(ecb->ConnID, body + (size_t)i * size, &len, HSE_IO_SYNC))
            return FALSE;
    }
    return TRUE;
}

BOOL WINAPI empty_in_extension(HCONN ConnID, LPVOID Buffer, LPDWORD lpdwBytes, DWORD dwReserved)
{
    (void)ConnID; (void)Buffer; (void)lpdwBytes; (void)dwReserved;
    return TRUE;
}
