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

struct board {
    atomic_int serving;
    /* Raised at each mark_serving (start, reload ended); kept across clear. */
    atomic_uint serving_count;
    atomic_int next_slot;
    atomic_int fault_signal;
    atomic_int fault_slot;
    struct slot slots[SLOT_COUNT];
};

static struct board *board;
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
    isapid_crashboard_clear();
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

static void copy_text(char *destination, size_t size, const char *source) {
    size_t length = source == NULL ? 0 : strnlen(source, size - 1);
    if (length > 0) memcpy(destination, source, length);
    destination[length] = '\0';
}

void isapid_crashboard_enter(const char *extension, const char *request) {
    if (board == NULL) return;
    if (!thread_prepared) prepare_thread();
    if (thread_slot < 0) return;
    struct slot *slot = &board->slots[thread_slot];
    copy_text(slot->extension, EXTENSION_SIZE, extension);
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
    memset(board, 0, sizeof *board);
    atomic_store(&board->fault_slot, -1);
    atomic_store(&board->serving_count, serving_count);
}
