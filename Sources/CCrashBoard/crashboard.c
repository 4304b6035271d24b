#define _GNU_SOURCE
#include "crashboard.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

enum { SLOT_COUNT = 256, EXTENSION_SIZE = 512, REQUEST_SIZE = 1024, ALTERNATE_STACK_SIZE = 64 * 1024 };

struct slot {
    atomic_int busy;
    char extension[EXTENSION_SIZE];
    char request[REQUEST_SIZE];
};

/* The figures that must outlive a serving child (server-status, /metrics): see
   figures.h. Per-thread slots keep the request path to relaxed adds on a line no other
   thread writes. */
enum { FIGURE_SLOTS = 64, RESTART_RECORDS = 8, CRASH_COUNTERS = 32, CAUSE_SIZE = 1024, PATH_SIZE = 512 };

struct figure_slot {
    _Atomic uint64_t accesses;
    _Atomic uint64_t bytes;
    _Atomic uint64_t duration_us;
    char padding[64 - 3 * sizeof(uint64_t)];
};

struct restart_record {
    _Atomic int64_t time_usec;
    int signal;
    char cause[CAUSE_SIZE];
    char extension[PATH_SIZE];
};

struct crash_counter {
    char extension[PATH_SIZE];
    _Atomic uint32_t crashes;
};

struct figures {
    _Atomic int64_t parent_start_usec;
    _Atomic int64_t restart_usec;
    _Atomic uint32_t generation;
    _Atomic uint32_t child_restarts;
    _Atomic uint32_t next_figure_slot;
    _Atomic uint32_t restart_records_written;
    struct figure_slot slots[FIGURE_SLOTS];
    struct restart_record records[RESTART_RECORDS];
    struct crash_counter crash_counters[CRASH_COUNTERS];
};

struct board {
    /* First, and never cleared: isapid_crashboard_clear empties what follows it. */
    struct figures figures;
    atomic_int serving;
    /* Raised at each mark_serving (start, reload ended); kept across clear. */
    atomic_uint serving_count;
    atomic_int next_slot;
    atomic_int fault_signal;
    atomic_int fault_slot;
    struct slot slots[SLOT_COUNT];
};

static struct board *board;
/* The figures: the board's once one is created or attached, else this process's own
   (`isapid -X`, tests). */
static struct figures local_figures;
static struct figures *figures = &local_figures;
static __thread int figure_slot = -1;
/* Initial-exec TLS of the executable: safe to read in a signal handler. */
static __thread int thread_slot = -1;
static __thread int thread_prepared;

static const int fatal_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGSYS};

static struct board *map_board(int fd) {
    void *memory = mmap(NULL, sizeof(struct board), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    return memory == MAP_FAILED ? NULL : memory;
}

int isapid_crashboard_create(void) {
    int fd = memfd_create("isapid-crashboard", MFD_CLOEXEC);
    if (fd < 0) return -1;
    if (ftruncate(fd, sizeof(struct board)) != 0 || (board = map_board(fd)) == NULL) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    /* A new memfd reads as zeros: clearing it would only make this process map every
       page of the board (~400 KB of resident memory the parent never uses). */
    atomic_store(&board->fault_slot, -1);
    figures = &board->figures;
    return fd;
}

static void on_fatal_signal(int number) {
    int expected = 0;
    if (board != NULL && atomic_compare_exchange_strong(&board->fault_signal, &expected, number)) {
        int slot = thread_slot >= 0 && atomic_load(&board->slots[thread_slot].busy) ? thread_slot : -1;
        atomic_store(&board->fault_slot, slot);
    }
    /* SA_RESETHAND restored the default action. A fault re-executes the instruction and
       dies; a signal that was sent (raise, kill, abort) is raised again and delivered
       when the handler returns. */
    raise(number);
}

int isapid_crashboard_attach(int fd) {
    struct board *mapped = map_board(fd);
    if (mapped == NULL) return -1;
    board = mapped;
    figures = &board->figures;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_fatal_signal;
    action.sa_flags = SA_RESETHAND | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    for (size_t i = 0; i < sizeof fatal_signals / sizeof fatal_signals[0]; i++) {
        if (sigaction(fatal_signals[i], &action, NULL) != 0) return -1;
    }
    return 0;
}

/* Once per thread: a slot, and an alternate signal stack so that the handler also runs
   when an extension overflows the thread's stack. */
static void prepare_thread(void) {
    thread_prepared = 1;
    int slot = atomic_fetch_add(&board->next_slot, 1);
    thread_slot = slot < SLOT_COUNT ? slot : -1;
    stack_t current;
    if (sigaltstack(NULL, &current) == 0 && (current.ss_flags & SS_DISABLE)) {
        stack_t alternate = {.ss_sp = malloc(ALTERNATE_STACK_SIZE), .ss_size = ALTERNATE_STACK_SIZE, .ss_flags = 0};
        if (alternate.ss_sp != NULL && sigaltstack(&alternate, NULL) != 0) free(alternate.ss_sp);
    }
}

/* Appends `source` at `at` within `size` (truncated, always terminated); the new end. */
static size_t append_text(char *destination, size_t size, size_t at, const char *source) {
    if (source == NULL || at + 1 >= size) return at;
    size_t length = strnlen(source, size - 1 - at);
    memcpy(destination + at, source, length);
    destination[at + length] = '\0';
    return at + length;
}

static void copy_text(char *destination, size_t size, const char *source) {
    destination[0] = '\0';
    append_text(destination, size, 0, source);
}

/* A version number in decimal (HTTP's are one digit; any int is written whole). */
static size_t append_number(char *destination, size_t size, size_t at, int value) {
    char digits[16];
    char *first = digits + sizeof digits;
    *--first = '\0';
    unsigned magnitude = value < 0 ? 0u - (unsigned)value : (unsigned)value;
    do {
        *--first = (char)('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude != 0);
    if (value < 0) *--first = '-';
    return append_text(destination, size, at, first);
}

/* The calling thread's slot, with the extension's path copied in; NULL when no board is
   attached or the slots ran out. */
static struct slot *enter_slot(const char *extension) {
    if (board == NULL) return NULL;
    if (!thread_prepared) prepare_thread();
    if (thread_slot < 0) return NULL;
    struct slot *slot = &board->slots[thread_slot];
    copy_text(slot->extension, EXTENSION_SIZE, extension);
    return slot;
}

void isapid_crashboard_enter_request(const char *extension, const char *lead, const char *method,
                                     const char *target, int major, int minor, const char *client) {
    struct slot *slot = enter_slot(extension);
    if (slot == NULL) return;
    char *request = slot->request;
    request[0] = '\0';
    size_t at = append_text(request, REQUEST_SIZE, 0, lead);
    at = append_text(request, REQUEST_SIZE, at, method);
    at = append_text(request, REQUEST_SIZE, at, " ");
    at = append_text(request, REQUEST_SIZE, at, target);
    at = append_text(request, REQUEST_SIZE, at, " HTTP/");
    at = append_number(request, REQUEST_SIZE, at, major);
    at = append_text(request, REQUEST_SIZE, at, ".");
    at = append_number(request, REQUEST_SIZE, at, minor);
    at = append_text(request, REQUEST_SIZE, at, " from ");
    append_text(request, REQUEST_SIZE, at, client);
    atomic_store_explicit(&slot->busy, 1, memory_order_release);
}

void isapid_crashboard_enter(const char *extension, const char *request) {
    struct slot *slot = enter_slot(extension);
    if (slot == NULL) return;
    copy_text(slot->request, REQUEST_SIZE, request);
    atomic_store_explicit(&slot->busy, 1, memory_order_release);
}

void isapid_crashboard_leave(void) {
    if (board == NULL || thread_slot < 0) return;
    atomic_store_explicit(&board->slots[thread_slot].busy, 0, memory_order_release);
}

void isapid_crashboard_mark_serving(void) {
    if (board == NULL) return;
    atomic_store(&board->serving, 1);
    atomic_fetch_add(&board->serving_count, 1);
}

unsigned isapid_crashboard_serving_count(void) { return board == NULL ? 0 : atomic_load(&board->serving_count); }

int isapid_crashboard_was_serving(void) { return board != NULL && atomic_load(&board->serving); }

int isapid_crashboard_attached(void) { return board != NULL; }

int isapid_crashboard_fault_signal(void) { return board == NULL ? 0 : atomic_load(&board->fault_signal); }

int isapid_crashboard_fault_slot(void) {
    return board == NULL || atomic_load(&board->fault_signal) == 0 ? -1 : atomic_load(&board->fault_slot);
}

int isapid_crashboard_slot_count(void) { return SLOT_COUNT; }

int isapid_crashboard_read_slot(int index, char *extension, size_t extension_size, char *request,
                                size_t request_size) {
    if (board == NULL || index < 0 || index >= SLOT_COUNT || extension_size == 0 || request_size == 0) return 0;
    struct slot *slot = &board->slots[index];
    int busy = atomic_load_explicit(&slot->busy, memory_order_acquire);
    copy_text(extension, extension_size, slot->extension);
    copy_text(request, request_size, slot->request);
    return busy;
}

void isapid_crashboard_clear(void) {
    if (board == NULL) return;
    unsigned serving_count = atomic_load(&board->serving_count);
    memset((char *)board + sizeof board->figures, 0, sizeof *board - sizeof board->figures);
    atomic_store(&board->fault_slot, -1);
    atomic_store(&board->serving_count, serving_count);
}

/* ---- figures (figures.h) ---- */

void isapid_figures_start(int64_t now_usec) {
    memset(figures, 0, sizeof *figures);
    atomic_store(&figures->generation, 1);
    atomic_store(&figures->parent_start_usec, now_usec);
    atomic_store(&figures->restart_usec, now_usec);
}

void isapid_figures_request_done(uint64_t bytes, uint64_t duration_us) {
    if (figure_slot < 0) {
        figure_slot = (int)(atomic_fetch_add_explicit(&figures->next_figure_slot, 1, memory_order_relaxed) % FIGURE_SLOTS);
    }
    struct figure_slot *slot = &figures->slots[figure_slot];
    atomic_fetch_add_explicit(&slot->accesses, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&slot->bytes, bytes, memory_order_relaxed);
    atomic_fetch_add_explicit(&slot->duration_us, duration_us, memory_order_relaxed);
}

struct isapid_request_totals isapid_figures_request_totals(void) {
    struct isapid_request_totals totals = {0, 0, 0};
    for (int i = 0; i < FIGURE_SLOTS; i++) {
        totals.accesses += atomic_load_explicit(&figures->slots[i].accesses, memory_order_relaxed);
        totals.bytes += atomic_load_explicit(&figures->slots[i].bytes, memory_order_relaxed);
        totals.duration_us += atomic_load_explicit(&figures->slots[i].duration_us, memory_order_relaxed);
    }
    return totals;
}

void isapid_figures_generation_moved(int64_t now_usec, int reset) {
    atomic_fetch_add(&figures->generation, 1);
    if (!reset) return;
    atomic_store(&figures->restart_usec, now_usec);
    for (int i = 0; i < FIGURE_SLOTS; i++) {
        atomic_store_explicit(&figures->slots[i].accesses, 0, memory_order_relaxed);
        atomic_store_explicit(&figures->slots[i].bytes, 0, memory_order_relaxed);
        atomic_store_explicit(&figures->slots[i].duration_us, 0, memory_order_relaxed);
    }
}

int64_t isapid_figures_parent_start_usec(void) { return atomic_load(&figures->parent_start_usec); }
int64_t isapid_figures_restart_usec(void) { return atomic_load(&figures->restart_usec); }
unsigned isapid_figures_generation(void) { return atomic_load(&figures->generation); }
unsigned isapid_figures_child_restarts(void) { return atomic_load(&figures->child_restarts); }

void isapid_figures_note_restart(int64_t now_usec, int signal, const char *cause, const char *extension) {
    unsigned index = atomic_fetch_add(&figures->restart_records_written, 1) % RESTART_RECORDS;
    struct restart_record *record = &figures->records[index];
    record->signal = signal;
    copy_text(record->cause, CAUSE_SIZE, cause);
    copy_text(record->extension, PATH_SIZE, extension);
    atomic_store(&record->time_usec, now_usec);
    atomic_fetch_add(&figures->child_restarts, 1);
    if (extension == NULL || extension[0] == '\0') return;
    /* Only the parent writes the crash counters: a free entry is claimed without a race. */
    for (int i = 0; i < CRASH_COUNTERS; i++) {
        struct crash_counter *counter = &figures->crash_counters[i];
        if (counter->extension[0] == '\0') copy_text(counter->extension, PATH_SIZE, extension);
        if (strncmp(counter->extension, extension, PATH_SIZE - 1) == 0) {
            atomic_fetch_add(&counter->crashes, 1);
            return;
        }
    }
}

int isapid_figures_restart_record_count(void) {
    unsigned written = atomic_load(&figures->restart_records_written);
    return written < RESTART_RECORDS ? (int)written : RESTART_RECORDS;
}

int isapid_figures_read_restart_record(int age, int64_t *time_usec, int *signal, char *cause, size_t cause_size,
                                       char *extension, size_t extension_size) {
    unsigned written = atomic_load(&figures->restart_records_written);
    if (age < 0 || (unsigned)age >= written || age >= RESTART_RECORDS || cause_size == 0 || extension_size == 0)
        return 0;
    struct restart_record *record = &figures->records[(written - 1 - (unsigned)age) % RESTART_RECORDS];
    *time_usec = atomic_load(&record->time_usec);
    *signal = record->signal;
    copy_text(cause, cause_size, record->cause);
    copy_text(extension, extension_size, record->extension);
    return 1;
}

int isapid_figures_crash_counter_count(void) { return CRASH_COUNTERS; }

unsigned isapid_figures_read_crash_counter(int index, char *extension, size_t extension_size) {
    if (index < 0 || index >= CRASH_COUNTERS || extension_size == 0) return 0;
    struct crash_counter *counter = &figures->crash_counters[index];
    copy_text(extension, extension_size, counter->extension);
    return atomic_load(&counter->crashes);
}
