/*
 * async.c - an asynchronous ISAPI request: HttpExtensionProc returns
 * HSE_STATUS_PENDING and the response is finished from another thread.
 *
 *   REQUIRES "ISAPIFakeAsync On" for this extension on isapid (as on Apache's
 *   mod_isapi). Without it the host does not wait for a PENDING request, and
 *   HSE_REQ_IO_COMPLETION, HSE_IO_ASYNC writes and HSE_REQ_DONE_WITH_SESSION
 *   all fail with ERROR_INVALID_PARAMETER (87). This sample detects that case
 *   (registering the completion routine fails) and answers synchronously.
 *
 * Flow with ISAPIFakeAsync On:
 *   request thread   HttpExtensionProc:
 *                      HSE_REQ_IO_COMPLETION (register on_io_complete)
 *                      start a detached pthread
 *                      return HSE_STATUS_PENDING
 *   worker pthread   send headers, WriteClient (sync) a first line,
 *                    WriteClient(HSE_IO_ASYNC) a second line
 *   completion       on_io_complete -> HSE_REQ_DONE_WITH_SESSION
 *
 * What "fake" async means: the host performs the HSE_IO_ASYNC write
 * synchronously and calls the completion routine on the calling thread
 * BEFORE WriteClient returns. On IIS it runs later on an I/O thread. Code
 * written as below (no ECB use after the async call, buffer kept alive until
 * the callback) is correct for both.
 *
 * HSE_REQ_DONE_WITH_SESSION may come before HttpExtensionProc has returned
 * PENDING (IIS allows it; mod_isapi handles it since PR 11918). After it,
 * the ECB is gone: do not touch pECB again.
 *
 * Unloading: TerminateExtension must not let the library be unmapped while a
 * worker thread still runs its code, so it counts threads in flight.
 */

/* nanosleep() is POSIX, not C11: ask for it before any #include. */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <httpext.h>

static atomic_int g_in_flight;          /* worker threads still running */

typedef struct {
    EXTENSION_CONTROL_BLOCK *ecb;
    atomic_int refs;                    /* worker + completion routine */
    atomic_int completion_ran;
    atomic_int done;                    /* DONE_WITH_SESSION sent */
    char async_text[64];                /* must live until the completion */
} async_ctx;

static const char kHeaders[] = "Content-Type: text/plain\r\n\r\n";
static const char kLine1[]   = "written synchronously from a worker pthread\n";
static const char kLine2[]   = "written with HSE_IO_ASYNC\n";

BOOL WINAPI GetExtensionVersion(HSE_VERSION_INFO *pVer)
{
    pVer->dwExtensionVersion = MAKELONG(HSE_VERSION_MINOR, HSE_VERSION_MAJOR);
    strncpy(pVer->lpszExtensionDesc, "isapid sample: async",
            HSE_MAX_EXT_DLL_NAME_LEN - 1);
    pVer->lpszExtensionDesc[HSE_MAX_EXT_DLL_NAME_LEN - 1] = '\0';
    return TRUE;
}

static void ctx_release(async_ctx *ctx)
{
    if (atomic_fetch_sub(&ctx->refs, 1) == 1)
        free(ctx);
}

/* Ends the request exactly once. */
static void finish(async_ctx *ctx, DWORD status)
{
    if (atomic_exchange(&ctx->done, 1) == 0) {
        DWORD st = status;
        ctx->ecb->ServerSupportFunction(ctx->ecb->ConnID,
                                        HSE_REQ_DONE_WITH_SESSION,
                                        &st, NULL, NULL);
    }
}

static BOOL send_headers(EXTENSION_CONTROL_BLOCK *pECB)
{
    HSE_SEND_HEADER_EX_INFO hdr;
    memset(&hdr, 0, sizeof hdr);
    hdr.pszStatus = "200 OK";
    hdr.cchStatus = 6;
    hdr.pszHeader = kHeaders;
    hdr.cchHeader = (DWORD)(sizeof kHeaders - 1);
    hdr.fKeepConn = TRUE;
    pECB->dwHttpStatusCode = 200;
    return pECB->ServerSupportFunction(pECB->ConnID,
                                       HSE_REQ_SEND_RESPONSE_HEADER_EX,
                                       &hdr, NULL, NULL);
}

/* The completion routine registered with HSE_REQ_IO_COMPLETION.
 * cbIO = bytes written, dwError = ERROR_SUCCESS or a Windows error. */
static VOID WINAPI on_io_complete(EXTENSION_CONTROL_BLOCK *pECB,
                                  PVOID pContext, DWORD cbIO, DWORD dwError)
{
    (void)pECB;
    (void)cbIO;
    async_ctx *ctx = pContext;
    atomic_store(&ctx->completion_ran, 1);
    finish(ctx, dwError == ERROR_SUCCESS ? HSE_STATUS_SUCCESS_AND_KEEP_CONN
                                         : HSE_STATUS_ERROR);
    ctx_release(ctx);
}

static void *worker(void *arg)
{
    async_ctx *ctx = arg;
    EXTENSION_CONTROL_BLOCK *pECB = ctx->ecb;

    DWORD len = (DWORD)(sizeof kLine1 - 1);
    if (!send_headers(pECB) ||
        !pECB->WriteClient(pECB->ConnID, (LPVOID)kLine1, &len, HSE_IO_SYNC)) {
        finish(ctx, HSE_STATUS_ERROR);
        ctx_release(ctx);               /* the worker's reference */
        ctx_release(ctx);               /* the unused completion's one */
        atomic_fetch_sub(&g_in_flight, 1);
        return NULL;
    }

    /* One asynchronous write. The buffer is in ctx so it stays valid until
     * the completion routine has run. */
    memcpy(ctx->async_text, kLine2, sizeof kLine2);
    len = (DWORD)(sizeof kLine2 - 1);
    BOOL ok = pECB->WriteClient(pECB->ConnID, ctx->async_text, &len,
                                HSE_IO_ASYNC);
    /* From here on, pECB may already be invalid: do not use it. */
    if (!ok && !atomic_load(&ctx->completion_ran)) {
        /* IIS does not call the completion routine when the async call
         * itself fails (mod_isapi calls it inline either way). */
        finish(ctx, HSE_STATUS_ERROR);
        ctx_release(ctx);               /* the completion's reference */
    }
    ctx_release(ctx);                   /* the worker's reference */
    atomic_fetch_sub(&g_in_flight, 1);
    return NULL;
}

DWORD WINAPI HttpExtensionProc(EXTENSION_CONTROL_BLOCK *pECB)
{
    async_ctx *ctx = calloc(1, sizeof *ctx);
    if (ctx == NULL)
        return HSE_STATUS_ERROR;
    ctx->ecb = pECB;
    atomic_init(&ctx->refs, 2);
    atomic_init(&ctx->completion_ran, 0);
    atomic_init(&ctx->done, 0);

    /* lpvBuffer = the routine, lpdwDataType = its context (both cast, as on
     * IIS). On IIS you would write (LPVOID)on_io_complete; ISO C does not
     * allow casting a function pointer to void *, so copy its bits instead
     * (POSIX guarantees they are the same size). Failure means
     * ISAPIFakeAsync is Off: answer synchronously. */
    PFN_HSE_IO_COMPLETION pfn = on_io_complete;
    LPVOID pfn_as_ptr;
    _Static_assert(sizeof pfn == sizeof pfn_as_ptr, "function pointer size");
    memcpy(&pfn_as_ptr, &pfn, sizeof pfn_as_ptr);
    if (!pECB->ServerSupportFunction(pECB->ConnID, HSE_REQ_IO_COMPLETION,
                                     pfn_as_ptr, NULL,
                                     (LPDWORD)(void *)ctx)) {
        free(ctx);
        static const char msg[] =
            "async sample: HSE_REQ_IO_COMPLETION failed; enable "
            "ISAPIFakeAsync On for asynchronous requests. Answered "
            "synchronously.\n";
        DWORD len = (DWORD)(sizeof msg - 1);
        if (!send_headers(pECB) ||
            !pECB->WriteClient(pECB->ConnID, (LPVOID)msg, &len, HSE_IO_SYNC))
            return HSE_STATUS_ERROR;
        return HSE_STATUS_SUCCESS_AND_KEEP_CONN;
    }

    pthread_attr_t attr;
    pthread_t tid;
    if (pthread_attr_init(&attr) != 0) {
        free(ctx);
        return HSE_STATUS_ERROR;
    }
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    atomic_fetch_add(&g_in_flight, 1);
    int rc = pthread_create(&tid, &attr, worker, ctx);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        atomic_fetch_sub(&g_in_flight, 1);
        free(ctx);
        pECB->dwHttpStatusCode = 503;   /* nothing sent: host sends a 503 */
        return HSE_STATUS_ERROR;
    }
    return HSE_STATUS_PENDING;          /* the worker finishes the request */
}

BOOL WINAPI TerminateExtension(DWORD dwFlags)
{
    if (atomic_load(&g_in_flight) == 0)
        return TRUE;
    if (dwFlags & HSE_TERM_ADVISORY_UNLOAD)
        return FALSE;                   /* refuse: requests still running */

    /* HSE_TERM_MUST_UNLOAD: wait (up to 10 s) for workers to leave. A
     * thread decrements the counter as its last statement; the few
     * instructions after it are a tiny window, so wait a little more. */
    struct timespec ts = { 0, 10 * 1000 * 1000 };
    for (int i = 0; i < 1000 && atomic_load(&g_in_flight) > 0; i++)
        nanosleep(&ts, NULL);
    nanosleep(&ts, NULL);
    return TRUE;
}
