/*
 * writebuffer.c - WriteClient's fast path (see isapi_host_support.h).
 *
 * PHP without output buffering writes 1 to 80 bytes per WriteClient; a call
 * that crossed into Swift, found its session under a lock and handed the
 * bytes to the connection under another cost ~280 ns. Here a small write of
 * the thread that runs HttpExtensionProc is a compare, an atomic exchange and
 * a memcpy; everything else (the first write with its head, a write that does
 * not fit, a foreign thread, HSE_IO_ASYNC, a stale ConnID) goes to the host.
 */

#include <sched.h>
#include <string.h>

#include "httpext.h"
#include "isapi_host_support.h"

/* initial-exec: a plain %fs-relative load, not a __tls_get_addr call (and the register
   saves around it) in every WriteClient; the host is an executable, so it is valid. */
static _Thread_local isapi_output *isapi_current_output __attribute__((tls_model("initial-exec"))) = NULL;
static isapi_write_client_fn isapi_write_slow = NULL;

void isapi_set_write_slow_path(isapi_write_client_fn slow)
{
    isapi_write_slow = slow;
}

isapi_output *isapi_output_swap(isapi_output *output)
{
    isapi_output *previous = isapi_current_output;
    isapi_current_output = output;
    return previous;
}

void isapi_output_take(isapi_output *output)
{
    while (__atomic_exchange_n(&output->busy, 1, __ATOMIC_ACQUIRE))
        sched_yield(); /* a fast-path memcpy of at most `capacity` bytes */
}

void isapi_output_give(isapi_output *output)
{
    __atomic_store_n(&output->busy, 0, __ATOMIC_RELEASE);
}

/* A fast-path write too long for the inline copy below: memcpy, else the host. */
__attribute__((noinline)) static BOOL isapi_write_client_copy(isapi_output *out, HCONN conn_id, LPVOID buffer,
                                                              LPDWORD size, DWORD flags)
{
    DWORD count = *size;
    if (buffer != NULL && !__atomic_exchange_n(&out->busy, 1, __ATOMIC_ACQUIRE)) {
        if (out->open && count <= out->capacity - out->used) {
            memcpy(out->bytes + out->used, buffer, count);
            out->used += count;
            __atomic_store_n(&out->busy, 0, __ATOMIC_RELEASE);
            return TRUE;
        }
        __atomic_store_n(&out->busy, 0, __ATOMIC_RELEASE);
    }
    return isapi_write_slow(conn_id, buffer, size, flags);
}

/*
 * The common case (PHP's 1 to 80 bytes) copies inline: no call, no register
 * spills, no memcpy through the PLT; `no_builtin` keeps the compiler from
 * turning the loop back into a memcpy call.
 */
__attribute__((no_builtin("memcpy")))
BOOL isapi_write_client(HCONN conn_id, LPVOID buffer, LPDWORD size, DWORD flags)
{
    isapi_output *out = isapi_current_output;
    if (out == NULL || conn_id != out->conn_id || size == NULL || (flags & ~(DWORD)HSE_IO_SYNC) != 0)
        return isapi_write_slow(conn_id, buffer, size, flags);
    DWORD count = *size;
    if (count > 64)
        return isapi_write_client_copy(out, conn_id, buffer, size, flags);
    if ((buffer != NULL || count == 0) && !__atomic_exchange_n(&out->busy, 1, __ATOMIC_ACQUIRE)) {
        DWORD used = out->used;
        if (out->open && count <= out->capacity - used) {
            unsigned char *to = out->bytes + used;
            const unsigned char *from = buffer;
            for (DWORD i = 0; i < count; i++)
                to[i] = from[i];
            out->used = used + count;
            __atomic_store_n(&out->busy, 0, __ATOMIC_RELEASE);
            return TRUE;
        }
        __atomic_store_n(&out->busy, 0, __ATOMIC_RELEASE);
    }
    return isapi_write_slow(conn_id, buffer, size, flags);
}
