/*
 * writebuffer.c - WriteClient's fast path (see isapi_host_support.h).
 *
 * PHP without output buffering writes 1 to 80 bytes per WriteClient; a call
 * that crossed into Swift, found its session under a lock and handed the
 * bytes to the connection under another cost ~280 ns. Here a small write of
 * the thread that runs HttpExtensionProc is a few compares and a copy into a
 * single-producer ring; everything else (the first write with its head, a
 * write that does not fit, a foreign thread, HSE_IO_ASYNC, a stale ConnID)
 * goes to the host.
 */

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

int isapi_output_is_current(const isapi_output *output)
{
    return output != NULL && isapi_current_output == output;
}

DWORD isapi_output_tail(const isapi_output *output)
{
    return __atomic_load_n(&output->tail, __ATOMIC_ACQUIRE);
}

void isapi_output_consumed(isapi_output *output, DWORD head)
{
    __atomic_store_n(&output->head, head, __ATOMIC_RELEASE);
}

void isapi_output_set_open(isapi_output *output, int open)
{
    __atomic_store_n(&output->open, open, __ATOMIC_RELEASE);
}

/* The room the producer has, or 0 when the output is closed. */
static inline DWORD room(const isapi_output *out, DWORD tail)
{
    if (!__atomic_load_n(&out->open, __ATOMIC_ACQUIRE))
        return 0;
    return out->capacity - (tail - __atomic_load_n(&out->head, __ATOMIC_ACQUIRE));
}

int isapi_output_append(isapi_output *out, const void *bytes, DWORD count)
{
    DWORD tail = out->tail;
    if (count == 0 || count > room(out, tail))
        return 0;
    DWORD start = tail & (out->capacity - 1);
    DWORD first = out->capacity - start < count ? out->capacity - start : count;
    memcpy(out->bytes + start, bytes, first);
    memcpy(out->bytes, (const unsigned char *)bytes + first, count - first);
    __atomic_store_n(&out->tail, tail + count, __ATOMIC_RELEASE);
    return 1;
}

/* Everything but the inline case: kept out of line, so that isapi_write_client itself
   makes no call but tail calls and saves no register (its prologue pushed six, ~15
   instructions of a one-byte write's ~60, while only this path calls memcpy). */
__attribute__((noinline))
static BOOL write_other(isapi_output *out, HCONN conn_id, LPVOID buffer, LPDWORD size, DWORD flags)
{
    if (buffer != NULL && *size != 0 && isapi_output_append(out, buffer, *size))
        return TRUE;
    return isapi_write_slow(conn_id, buffer, size, flags);
}

/*
 * The common case (PHP's 1 to 80 bytes; up to 64 here) copies inline: no call, no
 * register spills, no memcpy through the PLT; `no_builtin` keeps the compiler from
 * turning the loop back into a memcpy call.
 */
__attribute__((no_builtin("memcpy")))
BOOL isapi_write_client(HCONN conn_id, LPVOID buffer, LPDWORD size, DWORD flags)
{
    isapi_output *out = isapi_current_output;
    if (out == NULL || conn_id != out->conn_id || size == NULL || (flags & ~(DWORD)HSE_IO_SYNC) != 0)
        return isapi_write_slow(conn_id, buffer, size, flags);
    DWORD count = *size;
    if (count == 0 || count > 64 || buffer == NULL)
        return write_other(out, conn_id, buffer, size, flags);
    DWORD tail = out->tail;
    if (count > room(out, tail))
        return isapi_write_slow(conn_id, buffer, size, flags);
    DWORD mask = out->capacity - 1;
    unsigned char *bytes = out->bytes;
    const unsigned char *from = buffer;
    /* A plain loop: unrolled, it took more set-up than a one-byte write's whole copy. */
#pragma clang loop unroll(disable) vectorize(disable)
    for (DWORD i = 0; i < count; i++)
        bytes[(tail + i) & mask] = from[i];
    __atomic_store_n(&out->tail, tail + count, __ATOMIC_RELEASE);
    return TRUE;
}
