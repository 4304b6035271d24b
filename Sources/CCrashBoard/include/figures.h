#ifndef ISAPID_FIGURES_H
#define ISAPID_FIGURES_H

#include <stddef.h>
#include <stdint.h>

/*
 * The figures that must survive a serving child's crash and a reload, as Apache's
 * scoreboard keeps them (server-status, /metrics): the request totals, the parent's
 * start, the restart time and generation, and the child restarts with their causes.
 * They live at the head of the crash board's shared region (the parent creates it, each
 * child attaches it, isapid_crashboard_clear leaves them alone); a process without a
 * board (`isapid -X`, tests) keeps them in its own memory.
 *
 * The request path costs one thread-local read and three relaxed atomic adds on a
 * cache line of the calling thread's own (64 slots; more threads share them).
 */

struct isapid_request_totals {
    uint64_t accesses;
    uint64_t bytes;
    uint64_t duration_us;
};

/* Parent (or -X) at start: all figures zero, parent start and restart time `now`. */
void isapid_figures_start(int64_t now_usec);

/* Child, when a request ends (its access-log line): bytes sent, time taken. */
void isapid_figures_request_done(uint64_t bytes, uint64_t duration_us);
struct isapid_request_totals isapid_figures_request_totals(void);

/* A reload: the generation goes up. With `reset` (SIGHUP, Apache's restart), the
   restart time moves and the request totals start again; without (SIGUSR1, graceful),
   both stay, as in Apache's scoreboard. */
void isapid_figures_generation_moved(int64_t now_usec, int reset);

int64_t isapid_figures_parent_start_usec(void);
int64_t isapid_figures_restart_usec(void);
unsigned isapid_figures_generation(void);
unsigned isapid_figures_child_restarts(void);

/* Parent, when it restarts a child: why (the cause text), the signal (0 if none), the
   extension the crash was in ("" if none; texts are cut at 1023 and 511 bytes). Keeps the last 8 records, and a crash count
   per extension (32 extensions). */
void isapid_figures_note_restart(int64_t now_usec, int signal, const char *cause, const char *extension);
int isapid_figures_restart_record_count(void);
/* age 0 is the newest. 1 when the record exists. */
int isapid_figures_read_restart_record(int age, int64_t *time_usec, int *signal, char *cause, size_t cause_size,
                                       char *extension, size_t extension_size);
int isapid_figures_crash_counter_count(void);
/* The crash count of entry `index` and its extension path (empty when unused). */
unsigned isapid_figures_read_crash_counter(int index, char *extension, size_t extension_size);

#endif
