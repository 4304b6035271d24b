/*
 * main.c - the host's side of bench/writeclient-calls.sh: times tinywrites.dll's loop
 * (bench/extensions/tinywrites.c through loop.c, a shared object) calling three
 * WriteClients 20,000 times a response:
 *
 *   - an empty function in the extension's own shared object: the loop alone;
 *   - an empty function in this executable: what reaching any host function costs;
 *   - isapi_write_client, isapid's fast path (Sources/CISAPI/writebuffer.c), with the
 *     ring handed over (its head moved) whenever it fills, as the host does.
 *
 * Rounds rotate the order; each line is the median of the rounds, in ns per call.
 */

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "httpext.h"
#include "isapi_host_support.h"

#define CALLS 20000

typedef BOOL (WINAPI *write_client_fn)(HCONN, LPVOID, LPDWORD, DWORD);
BOOL tinywrites_write_body(EXTENSION_CONTROL_BLOCK *ecb, int calls);
write_client_fn tinywrites_empty_write_client(void);

__attribute__((noinline))
BOOL WINAPI empty_in_host(HCONN ConnID, LPVOID Buffer, LPDWORD lpdwBytes, DWORD dwReserved)
{
    (void)ConnID; (void)Buffer; (void)lpdwBytes; (void)dwReserved;
    return TRUE;
}

static isapi_output output;
static unsigned char ring[ISAPI_OUTPUT_CAPACITY];

/* The host's part when the ring is full: everything held was handed over. */
static BOOL hand_over_and_retry(HCONN conn_id, LPVOID buffer, LPDWORD size, DWORD flags)
{
    isapi_output_consumed(&output, isapi_output_tail(&output));
    return isapi_write_client(conn_id, buffer, size, flags);
}

static double ns_per_call(EXTENSION_CONTROL_BLOCK *ecb, int responses)
{
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int r = 0; r < responses; r++)
        if (!tinywrites_write_body(ecb, CALLS)) {
            fprintf(stderr, "a WriteClient failed\n");
            exit(1);
        }
    clock_gettime(CLOCK_MONOTONIC, &b);
    return ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / responses / CALLS;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 9;
    int responses = argc > 2 ? atoi(argv[2]) : 1000;
    if (rounds < 1 || rounds > 99 || responses < 1) {
        fprintf(stderr, "usage: %s [rounds 1-99] [responses per round]\n", argv[0]);
        return 2;
    }

    output.conn_id = (HCONN)&output;
    output.bytes = ring;
    isapi_set_write_slow_path(hand_over_and_retry);
    isapi_output_swap(&output);
    isapi_output_set_open(&output, 1);

    struct { const char *label; BOOL (WINAPI *write)(HCONN, LPVOID, LPDWORD, DWORD); double ns[99]; } cases[] = {
        { "empty function in the extension's shared object", NULL, {0} },
        { "empty function in the host's executable", empty_in_host, {0} },
        { "isapi_write_client, the host's fast path", isapi_write_client, {0} },
    };
    enum { CASES = sizeof cases / sizeof cases[0] };
    cases[0].write = tinywrites_empty_write_client();
    EXTENSION_CONTROL_BLOCK ecb = { .ConnID = (HCONN)&output };

    for (int c = 0; c < CASES; c++) {          /* warm-up */
        ecb.WriteClient = cases[c].write;
        ns_per_call(&ecb, responses / 10 + 1);
    }
    for (int r = 0; r < rounds; r++)
        for (int k = 0; k < CASES; k++) {
            int c = (k + r) % CASES;
            ecb.WriteClient = cases[c].write;
            cases[c].ns[r] = ns_per_call(&ecb, responses);
        }

    printf("one-byte WriteClient calls from tinywrites.dll's loop, %d calls a response, "
           "median of %d rounds of %d responses:\n", CALLS, rounds, responses);
    for (int c = 0; c < CASES; c++) {
        qsort(cases[c].ns, rounds, sizeof(double), by_value);
        printf("  %-50s %6.2f ns a call (%.2f-%.2f)\n", cases[c].label, cases[c].ns[rounds / 2],
               cases[c].ns[0], cases[c].ns[rounds - 1]);
    }
    return 0;
}
