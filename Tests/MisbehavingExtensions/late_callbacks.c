/*
 * late_callbacks.c - MISBEHAVES: calls the server after its request ended, and
 * with ConnIDs the server never handed out. A ConnID is only good until the
 * request ends (HttpExtensionProc returns, or HSE_REQ_DONE_WITH_SESSION);
 * every call after that, and every call with a made-up ConnID, must get FALSE
 * with ERROR_INVALID_PARAMETER (87) and must never touch another request.
 *
 *   ?detach=FILE  answers "started\n" and returns HSE_STATUS_SUCCESS, leaving a
 *                 thread behind. The thread kept the ConnID and the callback
 *                 pointers (the ECB itself is gone once the request ends) and
 *                 calls GetServerVariable every 5 ms until it fails; then it
 *                 calls WriteClient, ReadClient, GetServerVariable and
 *                 ServerSupportFunction with that ConnID, and keeps writing
 *                 "LEAK" with it for another 500 ms, which no other request
 *                 may ever show. It records what it saw in FILE:
 *                 "ended=1 write=0/87 read=0/87 var=0/87 ssf=0/87 leaked=0".
 *   ?done=FILE    (ISAPIFakeAsync On) returns HSE_STATUS_PENDING; a thread
 *                 answers "before done\n", calls HSE_REQ_DONE_WITH_SESSION,
 *                 then calls every callback (and DONE_WITH_SESSION again)
 *                 with the same ConnID and records the results in FILE:
 *                 "done=1/0 write=0/87 read=0/87 var=0/87 ssf=0/87 done2=0/87".
 *   ?bogus        answers one line per made-up ConnID (NULL, 1, all bits set,
 *                 its own ConnID plus and minus one):
 *                 "NAME: write=0/87 read=0/87 var=0/87 ssf=0/87".
 *   anything else answers "plain\n".
 *
 * TerminateExtension waits for its threads, so an unload never unmaps code a
 * thread still runs: the one thing this sample does right.
 */

#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <httpext.h>

typedef BOOL (WINAPI *GetServerVariableFn)(HCONN, LPSTR, LPVOID, LPDWORD);
typedef BOOL (WINAPI *WriteClientFn)(HCONN, LPVOID, LPDWORD, DWORD);
typedef BOOL (WINAPI *ReadClientFn)(HCONN, LPVOID, LPDWORD);
typedef BOOL (WINAPI *ServerSupportFunctionFn)(HCONN, DWORD, LPVOID, LPDWORD, LPDWORD);

/* What a thread keeps after the request: copies, never the ECB pointer. */
typedef struct {
    HCONN conn;
    GetServerVariableFn getServerVariable;
    WriteClientFn writeClient;
    ReadClientFn readClient;
    ServerSupportFunctionFn serverSupportFunction;
    char file[512];
} saved_request;

static int g_threads;   /* running threads, under g_lock */
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;

BOOL WINAPI GetExtensionVersion(HSE_VERSION_INFO *v)
{
    v->dwExtensionVersion = MAKELONG(HSE_VERSION_MINOR, HSE_VERSION_MAJOR);
    strcpy(v->lpszExtensionDesc, "late_callbacks");
    return TRUE;
}

BOOL WINAPI TerminateExtension(DWORD flags)
{
    (void)flags;
    for (int i = 0; i < 3000; i++) {
        pthread_mutex_lock(&g_lock);
        int running = g_threads;
        pthread_mutex_unlock(&g_lock);
        if (running == 0)
            return TRUE;
        struct timespec pause = { 0, 10 * 1000 * 1000 };
        nanosleep(&pause, NULL);
    }
    return TRUE;
}

static void pause_ms(long ms)
{
    struct timespec pause = { ms / 1000, (ms % 1000) * 1000 * 1000 };
    nanosleep(&pause, NULL);
}

static void record(const char *path, const char *text)
{
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (f == NULL)
        return;
    fputs(text, f);
    fclose(f);
    rename(tmp, path);
}

/* The four callbacks with `conn`: "write=R/E read=R/E var=R/E ssf=R/E". */
static void probe(const saved_request *r, HCONN conn, char *out, size_t size)
{
    char text[] = "x";
    DWORD length = 1;
    SetLastError(0);
    BOOL write = r->writeClient(conn, text, &length, HSE_IO_SYNC);
    DWORD writeError = GetLastError();

    char buffer[64];
    DWORD capacity = sizeof buffer;
    SetLastError(0);
    BOOL read = r->readClient(conn, buffer, &capacity);
    DWORD readError = GetLastError();

    capacity = sizeof buffer;
    SetLastError(0);
    BOOL var = r->getServerVariable(conn, "REQUEST_METHOD", buffer, &capacity);
    DWORD varError = GetLastError();

    BOOL connected = 7;
    SetLastError(0);
    BOOL ssf = r->serverSupportFunction(conn, HSE_REQ_IS_CONNECTED, &connected, NULL, NULL);
    DWORD ssfError = GetLastError();

    snprintf(out, size, "write=%d/%u read=%d/%u var=%d/%u ssf=%d/%u", (int)write, (unsigned)writeError,
             (int)read, (unsigned)readError, (int)var, (unsigned)varError, (int)ssf, (unsigned)ssfError);
}

static saved_request save(EXTENSION_CONTROL_BLOCK *ecb, const char *file)
{
    saved_request r;
    memset(&r, 0, sizeof r);
    r.conn = ecb->ConnID;
    r.getServerVariable = ecb->GetServerVariable;
    r.writeClient = ecb->WriteClient;
    r.readClient = ecb->ReadClient;
    r.serverSupportFunction = ecb->ServerSupportFunction;
    snprintf(r.file, sizeof r.file, "%s", file);
    return r;
}

static BOOL answer(const saved_request *r, const char *text)
{
    static const char headers[] = "Content-Type: text/plain\r\n\r\n";
    HSE_SEND_HEADER_EX_INFO info = { "200 OK", headers, 6, sizeof headers - 1, TRUE };
    if (!r->serverSupportFunction(r->conn, HSE_REQ_SEND_RESPONSE_HEADER_EX, &info, NULL, NULL))
        return FALSE;
    DWORD length = (DWORD)strlen(text);
    return r->writeClient(r->conn, (LPVOID)text, &length, HSE_IO_SYNC);
}

/* A thread's end: its record written, its copy freed, one thread fewer. */
static void *finish(saved_request *r, const char *line)
{
    record(r->file, line);
    free(r);
    pthread_mutex_lock(&g_lock);
    g_threads--;
    pthread_mutex_unlock(&g_lock);
    return NULL;
}

static void *after_the_end(void *arg)
{
    saved_request *r = arg;
    /* Wait for the request to end: the ConnID stops working. */
    int ended = 0;
    for (int i = 0; i < 2000 && !ended; i++) {
        char buffer[64];
        DWORD capacity = sizeof buffer;
        if (!r->getServerVariable(r->conn, "REQUEST_METHOD", buffer, &capacity))
            ended = 1;
        else
            pause_ms(5);
    }
    char probed[200];
    probe(r, r->conn, probed, sizeof probed);
    int leaked = 0;
    for (int i = 0; i < 100; i++) {
        char leak[] = "LEAK";
        DWORD length = 4;
        if (r->writeClient(r->conn, leak, &length, HSE_IO_SYNC))
            leaked++;
        pause_ms(5);
    }
    char line[300];
    snprintf(line, sizeof line, "ended=%d %s leaked=%d", ended, probed, leaked);
    return finish(r, line);
}

static void *answer_then_done(void *arg)
{
    saved_request *r = arg;
    answer(r, "before done\n");
    DWORD status = HSE_STATUS_SUCCESS;
    SetLastError(0);
    BOOL done = r->serverSupportFunction(r->conn, HSE_REQ_DONE_WITH_SESSION, &status, NULL, NULL);
    DWORD doneError = GetLastError();
    char probed[200];
    probe(r, r->conn, probed, sizeof probed);
    SetLastError(0);
    BOOL again = r->serverSupportFunction(r->conn, HSE_REQ_DONE_WITH_SESSION, &status, NULL, NULL);
    DWORD againError = GetLastError();
    char line[300];
    snprintf(line, sizeof line, "done=%d/%u %s done2=%d/%u", (int)done, (unsigned)doneError, probed, (int)again,
             (unsigned)againError);
    return finish(r, line);
}

static BOOL start(void *(*body)(void *), saved_request r)
{
    saved_request *copy = malloc(sizeof *copy);
    if (copy == NULL)
        return FALSE;
    *copy = r;
    pthread_mutex_lock(&g_lock);
    g_threads++;
    pthread_mutex_unlock(&g_lock);
    pthread_t thread;
    if (pthread_create(&thread, NULL, body, copy) != 0) {
        free(copy);
        pthread_mutex_lock(&g_lock);
        g_threads--;
        pthread_mutex_unlock(&g_lock);
        return FALSE;
    }
    pthread_detach(thread);
    return TRUE;
}

DWORD WINAPI HttpExtensionProc(EXTENSION_CONTROL_BLOCK *ecb)
{
    const char *q = ecb->lpszQueryString ? ecb->lpszQueryString : "";
    saved_request self = save(ecb, "");
    if (strncmp(q, "detach=", 7) == 0) {
        if (!answer(&self, "started\n") || !start(after_the_end, save(ecb, q + 7)))
            return HSE_STATUS_ERROR;
        return HSE_STATUS_SUCCESS;
    }
    if (strncmp(q, "done=", 5) == 0)
        return start(answer_then_done, save(ecb, q + 5)) ? HSE_STATUS_PENDING : HSE_STATUS_ERROR;
    if (strcmp(q, "bogus") == 0) {
        struct { const char *name; HCONN conn; } bogus[] = {
            { "null", NULL },
            { "one", (HCONN)(uintptr_t)1 },
            { "all-bits", (HCONN)(uintptr_t)UINTPTR_MAX },
            { "plus-one", (HCONN)((uintptr_t)ecb->ConnID + 1) },
            { "minus-one", (HCONN)((uintptr_t)ecb->ConnID - 1) },
        };
        char text[1024] = "";
        for (size_t i = 0; i < sizeof bogus / sizeof bogus[0]; i++) {
            char probed[200];
            probe(&self, bogus[i].conn, probed, sizeof probed);
            size_t used = strlen(text);
            snprintf(text + used, sizeof text - used, "%s: %s\n", bogus[i].name, probed);
        }
        return answer(&self, text) ? HSE_STATUS_SUCCESS : HSE_STATUS_ERROR;
    }
    return answer(&self, "plain\n") ? HSE_STATUS_SUCCESS : HSE_STATUS_ERROR;
}
