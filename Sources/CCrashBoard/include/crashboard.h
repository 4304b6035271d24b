#ifndef ISAPID_CRASHBOARD_H
#define ISAPID_CRASHBOARD_H

#include <stddef.h>

/*
 * The crash board: a small shared-memory record, created by the supervising parent and
 * mapped by the serving child, of which extension call each thread is inside. When an
 * extension kills the child (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGSYS), the
 * child's fault handler notes the signal and the faulting thread's slot; the parent
 * reads it after waitpid and logs the extension and the request. Only the handler runs
 * in signal context, and it does nothing but a few atomic stores.
 */

/* Parent: creates and maps an anonymous shared board; returns its descriptor (with
   FD_CLOEXEC set) or -1 with errno. */
int isapid_crashboard_create(void);

/* Child: maps the board behind `fd` and installs the fault handlers. 0 or -1 (errno). */
int isapid_crashboard_attach(int fd);

/* Child, on the calling thread: an extension call begins / ends. No-ops when no board
   is attached. The strings are copied (truncated if long). */
void isapid_crashboard_enter(const char *extension, const char *request);
/* The same for a request given by parts, composed in the slot as "LEADMETHOD TARGET
   HTTP/MAJOR.MINOR from CLIENT" (`lead` may be NULL): the caller builds no string for
   each call. */
void isapid_crashboard_enter_request(const char *extension, const char *lead, const char *method,
                                     const char *target, int major, int minor, const char *client);
void isapid_crashboard_leave(void);

/* Child: it has started serving (a crash after this is not a start-up crash), or a
   reload ended (applied or refused); each call raises the serving count. */
void isapid_crashboard_mark_serving(void);

/* Parent: how many times children marked serving; survives clear. The parent tells
   systemd READY=1 when it changes. */
unsigned isapid_crashboard_serving_count(void);

/* Parent: whether the child that died had started serving. */
int isapid_crashboard_was_serving(void);

/* 1 once the child attached a board. */
int isapid_crashboard_attached(void);

/* Parent, after the child died: the signal the fault handler saw (0 if it ran no
   handler, e.g. SIGKILL) and the slot of the faulting thread (-1 when that thread was
   not inside an extension call). */
int isapid_crashboard_fault_signal(void);
int isapid_crashboard_fault_slot(void);

/* Parent: the number of slots, and one slot's call. Returns 1 if the slot was inside
   a call when the child died, else 0; the strings are NUL-terminated. */
int isapid_crashboard_slot_count(void);
int isapid_crashboard_read_slot(int index, char *extension, size_t extension_size, char *request,
                                size_t request_size);

/* Parent: empties the board before the next child starts. */
void isapid_crashboard_clear(void);

#include "figures.h"

#endif
