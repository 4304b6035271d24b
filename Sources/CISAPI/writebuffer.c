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

#include <stdint.h>
#include <string.h>

#include "httpext.h"
#include "isapi_host_support.h"

/* What the calling thread's writes see when no output is attached: a closed ring with
   a ConnID no extension has (its own address), so that the fast path needs no NULL test;
   a write that named it anyway would find no room. */
static isapi_output isapi_no_output = { .conn_id = &isapi_no_output, .window = 0 };

/* local-exec: one %fs-relative load, not a __tls_get_addr call (and the register saves
   around it) in every WriteClient; valid because CISAPI is only ever linked into an
   executable (isapid, the test runners), never into a shared object. */
static _Thread_local isapi_output *isapi_current_output __attribute__((tls_model("local-exec"))) = &isapi_no_output;
static isapi_write_client_fn isapi_write_slow = NULL;

void isapi_set_write_slow_path(isapi_write_client_fn slow)
{
    isapi_write_slow = slow;
}

isapi_output *isapi_output_swap(isapi_output *output)
{
    isapi_output *previous = isapi_current_output;
    isapi_current_output = output != NULL ? output : &isapi_no_output;
    return previous != &isapi_no_output ? previous : NULL;
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

/* The producer's `limit` as the consumer's `head` and the host's `window` say now, never
   below `tail`: a window closed while bytes are held leaves no room, not less than none,
   so that the fast path can compare the room unsigned. */
static inline DWORD fresh_limit(const isapi_output *out, DWORD tail)
{
    DWORD limit = __atomic_load_n(&out->head, __ATOMIC_ACQUIRE) + __atomic_load_n(&out->window, __ATOMIC_ACQUIRE);
    return (int32_t)(limit - tail) < 0 ? tail : limit;
}

void isapi_output_set_open(isapi_output *output, int open)
{
    __atomic_store_n(&output->window, open ? ISAPI_OUTPUT_CAPACITY : 0, __ATOMIC_RELEASE);
    /* `limit` is the producer's own: set here only on its thread. A close from another
       thread (the flush timer's failed hand-over: the client is gone) is seen when the
       producer next looks, at the latest when the ring is full; the bytes held until
       then go nowhere, as they would have gone nowhere a call later. */
    if (isapi_current_output == output)
        output->limit = fresh_limit(output, output->tail);
}

#define MASK (ISAPI_OUTPUT_CAPACITY - 1)

/* The room the producer has: the window less what is held. Signed: a window closed
   while bytes are held leaves it below zero, so that no write fits (one compare
   answers "closed" and "full" alike). */
static inline int32_t room(const isapi_output *out, DWORD tail)
{
    DWORD window = __atomic_load_n(&out->window, __ATOMIC_ACQUIRE);
    return (int32_t)(window - (tail - __atomic_load_n(&out->head, __ATOMIC_ACQUIRE)));
}

int isapi_output_append(isapi_output *out, const void *bytes, DWORD count)
{
    DWORD tail = out->tail;
    if (count == 0 || count > ISAPI_OUTPUT_CAPACITY || (int32_t)count > room(out, tail))
        return 0;
    DWORD start = tail & MASK;
    DWORD first = ISAPI_OUTPUT_CAPACITY - start < count ? ISAPI_OUTPUT_CAPACITY - start : count;
    memcpy(out->bytes + start, bytes, first);
    memcpy(out->bytes, (const unsigned char *)bytes + first, count - first);
    __atomic_store_n(&out->tail, tail + count, __ATOMIC_RELEASE);
    /* The room was looked at afresh: `limit` must not stay below the new tail. */
    out->limit = fresh_limit(out, tail + count);
    return 1;
}

/* Everything but the inline case: kept out of line, so that isapi_write_client itself
   makes no call but tail calls and saves no register, while only this path calls
   memcpy. `out` comes last, so that the tail call finds WriteClient's own arguments in
   the registers they arrived in. */
__attribute__((noinline))
static BOOL write_other(HCONN conn_id, LPVOID buffer, LPDWORD size, DWORD flags, isapi_output *out)
{
    if (*size != 0 && isapi_output_append(out, buffer, *size))
        return TRUE;
    return isapi_write_slow(conn_id, buffer, size, flags);
}

BOOL isapi_write_client(HCONN conn_id, LPVOID buffer, LPDWORD size, DWORD flags);

/* Past the room known to be free (or a count of 0): looks at what the consumer freed
   since, and writes inline when the write fits now. Out of line, so that the inline
   path keeps every value in a register it need not save. */
__attribute__((noinline))
static BOOL write_past_limit(HCONN conn_id, LPVOID buffer, LPDWORD size, DWORD flags, isapi_output *out)
{
    DWORD tail = out->tail;
    out->limit = fresh_limit(out, tail);
    if (*size - 1 >= out->limit - tail)
        return write_other(conn_id, buffer, size, flags, out);
    return isapi_write_client(conn_id, buffer, size, flags);
}

/*
 * Every write of the fast path but one byte below `limit`: 2 to 64 bytes that fit
 * (PHP's common case is 1 to 80) are copied here, no call, no register spills, no
 * memcpy through the PLT; `no_builtin` keeps the compiler from turning the loops back
 * into memcpy calls (the fixed eight-byte moves stay moves). Out of line and reached by
 * a tail call, so that the one-byte write in isapi_write_client returns on its own, with
 * no jump to a shared ending.
 */
__attribute__((noinline, no_builtin("memcpy")))
static BOOL write_several(HCONN conn_id, LPVOID buffer, LPDWORD size, DWORD flags, isapi_output *out, DWORD tail)
{
    DWORD count = *size;
    /* One unsigned compare for 1 <= count <= the room known: a count of 0 wraps to the
       largest value, and `limit` never lies below `tail` (fresh_limit). */
    if (count - 1 >= out->limit - tail)
        return write_past_limit(conn_id, buffer, size, flags, out);
    if (count > 64)
        return write_other(conn_id, buffer, size, flags, out);
    const unsigned char *from = buffer;
    DWORD start = tail & MASK;
    if (count <= ISAPI_OUTPUT_CAPACITY - start) {
        /* Not across the ring's end: eight bytes a move (a 64-byte write is eight
           moves, not sixty-four), then the rest byte by byte. */
        unsigned char *to = out->bytes + start;
        DWORD i = 0;
#pragma clang loop unroll(disable) vectorize(disable)
        for (; i + 8 <= count; i += 8) {
            uint64_t word;
            __builtin_memcpy(&word, from + i, sizeof word);
            __builtin_memcpy(to + i, &word, sizeof word);
        }
#pragma clang loop unroll(disable) vectorize(disable)
        for (; i < count; i++)
            to[i] = from[i];
    } else {
        /* Across the end: byte by byte, wrapping. */
        DWORD i = 0;
#pragma clang loop unroll(disable) vectorize(disable)
        do
            out->bytes[(tail + i) & MASK] = from[i];
        while (++i < count);
    }
    __atomic_store_n(&out->tail, tail + count, __ATOMIC_RELEASE);
    return TRUE;
}

/*
 * The common case inline: one byte (a newline, a quote; or a body a byte at a time) while
 * `tail` is below `limit`, ~22 instructions with no taken branch but the return; `head`
 * and `window` are looked at only past `limit`. Each instruction and each taken branch
 * counts in a loop that calls this 20,000 times for 20 KB: the loop and its indirect
 * call alone take 1.6 to 2.8 ns a call here (bench/writeclient-calls.sh).
 */
BOOL isapi_write_client(HCONN conn_id, LPVOID buffer, LPDWORD size, DWORD flags)
{
    isapi_output *out = isapi_current_output;
    if (conn_id != out->conn_id || size == NULL || buffer == NULL
        || (flags & ~(DWORD)HSE_IO_SYNC) != 0)
        return isapi_write_slow(conn_id, buffer, size, flags);
    DWORD tail = out->tail;
    if (__builtin_expect(*size != 1 || tail == out->limit, 0))
        return write_several(conn_id, buffer, size, flags, out, tail);
    out->bytes[tail & MASK] = *(const unsigned char *)buffer;
    __atomic_store_n(&out->tail, tail + 1, __ATOMIC_RELEASE);
    return TRUE;
}
