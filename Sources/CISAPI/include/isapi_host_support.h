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
 * body writes of the extension's own thread are copied here, with no lock, no
 * system call and no thread hop, and handed to the connection in one piece
 * by the host (when the buffer is full, before any other callback, at the
 * end, and by the host's flush timer). `busy` is taken with an atomic exchange
 * by whoever touches `used`; the host sets `open` and `conn_id`.
 */
typedef struct isapi_output {
    HCONN conn_id;          /* the ConnID whose writes may take the fast path */
    int busy;               /* 1 while someone copies into or out of the buffer */
    int open;               /* 1: the head went out, small writes are held here */
    DWORD used;             /* bytes held */
    DWORD capacity;         /* size of `bytes` */
    unsigned char *bytes;
} isapi_output;

/* WriteClient as the ECB offers it: the fast path, else `slow`. */
typedef BOOL (*isapi_write_client_fn)(HCONN, LPVOID, LPDWORD, DWORD);
BOOL isapi_write_client(HCONN conn_id, LPVOID buffer, LPDWORD size, DWORD flags);
/* The host's own WriteClient, for every call the fast path does not take. */
void isapi_set_write_slow_path(isapi_write_client_fn slow);
/* Makes `output` the calling thread's (NULL: none); returns the one before. */
isapi_output *isapi_output_swap(isapi_output *output);
/* Takes `busy`, waiting out a fast-path copy in progress (host side only). */
void isapi_output_take(isapi_output *output);
void isapi_output_give(isapi_output *output);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ISAPI_HOST_SUPPORT_H */
