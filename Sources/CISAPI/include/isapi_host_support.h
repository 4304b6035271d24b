/*
 * isapi_host_support.h - HOST-ONLY helpers for isapid's ISAPI host.
 *
 * Not part of the extension SDK: extensions must not include this header
 * or call anything in it. Only the host (ISAPIHost) uses it.
 */

#ifndef ISAPI_HOST_SUPPORT_H
#define ISAPI_HOST_SUPPORT_H

#include "httpext.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Record a callback failure for the calling thread: sets the thread's last
 * error (what GetLastError() returns) to `error`, a Windows error number
 * such as ERROR_INVALID_PARAMETER (87), and then, as its final act, sets
 * errno to the same number (for Zeus-style extensions that read errno).
 * The host calls this immediately before returning FALSE from a callback.
 */
void isapi_fail(DWORD error);

/*
 * The session's output buffer: WriteClient's fast path (writebuffer.c). Small
 * body writes of the extension's own thread are copied into this ring with
 * no lock, no atomic read-modify-write, no system call and no thread hop, and
 * handed to the connection by the host (when the ring is full, before any
 * other callback, at the end, and by the host's flush timer). One producer,
 * the thread the output is attached to, moves `tail`; one consumer at a time
 * (the host, under its hand-over lock) moves `head`. Only the host sets
 * `window` (isapi_output_set_open).
 *
 * The ring's size: Apache's core output filter holds small writes until 8 KB.
 * A power of two, and a constant, so that the fast path masks without a load.
 */
#define ISAPI_OUTPUT_CAPACITY 8192

typedef struct isapi_output {
    HCONN conn_id;          /* the ConnID whose writes may take the fast path */
    DWORD window;           /* ISAPI_OUTPUT_CAPACITY: the head went out, small writes
                               are held here; 0: none are (the host's) */
    DWORD head;             /* bytes handed over so far (the consumer's) */
    DWORD tail;             /* bytes written so far (the producer's) */
    DWORD limit;            /* the producer's: `tail` may reach it without a look at
                               `head` and `window` (head + window when last looked,
                               never below `tail`) */
    unsigned char *bytes;   /* ISAPI_OUTPUT_CAPACITY bytes */
} isapi_output;

/* WriteClient as the ECB offers it: the fast path, else `slow`. */
typedef BOOL (*isapi_write_client_fn)(HCONN, LPVOID, LPDWORD, DWORD);
BOOL isapi_write_client(HCONN conn_id, LPVOID buffer, LPDWORD size, DWORD flags);
/* The host's own WriteClient, for every call the fast path does not take. */
void isapi_set_write_slow_path(isapi_write_client_fn slow);
/* Makes `output` the calling thread's (NULL: none); returns the one before. */
isapi_output *isapi_output_swap(isapi_output *output);
/* Whether `output` is the calling thread's (it may append). */
int isapi_output_is_current(const isapi_output *output);
/* Appends as the producer (the calling thread's output only); 0 when closed or full. */
int isapi_output_append(isapi_output *output, const void *bytes, DWORD count);
/* The producer's `tail` as the consumer may read it. */
DWORD isapi_output_tail(const isapi_output *output);
/* The consumer has handed over everything before `head`: the room is free again. */
void isapi_output_consumed(isapi_output *output, DWORD head);
/* 1: small writes are held (the window opens); 0: none are, from the next write on
   (from another thread than the producer's: from the next write that looks again). */
void isapi_output_set_open(isapi_output *output, int open);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ISAPI_HOST_SUPPORT_H */
