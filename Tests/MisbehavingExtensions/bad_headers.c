/*
 * bad_headers.c - MISBEHAVES: hands the server response heads that would split
 * the response (CR/LF inside the status or a header value, a line folded onto
 * the next) or carry a header name that is not a token, through every path an
 * extension has: HSE_REQ_SEND_RESPONSE_HEADER, HSE_REQ_SEND_RESPONSE_HEADER_EX,
 * the first WriteClient, HSE_REQ_TRANSMIT_FILE and HSE_REQ_SEND_URL_REDIRECT_RESP.
 * Every injected line is an "X-Injected:" header that must never reach the
 * client. Then it ignores the FALSE it got, writes a body anyway and returns
 * HSE_STATUS_SUCCESS. The query string picks the path and the trick:
 *
 *   hdr-status-crlf  hdr-value-cr  hdr-bad-name  hdr-fold
 *   ex-status-crlf   ex-value-cr   ex-bad-name   ex-status-lf
 *   write-value-cr   write-bad-name
 *   tf-status-crlf   tf-value-cr
 *   redirect-crlf    redirect-lf
 *   good             (a correct head, for comparison: 200 "fine")
 *
 * What it saw is left in lpszLogData ("MODE head=0/87 body=0/87": the result
 * and GetLastError of the head call, then of the body write), which the server
 * writes to its error log.
 */

#define _POSIX_C_SOURCE 200809L

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <httpext.h>

BOOL WINAPI GetExtensionVersion(HSE_VERSION_INFO *v)
{
    v->dwExtensionVersion = MAKELONG(HSE_VERSION_MINOR, HSE_VERSION_MAJOR);
    strcpy(v->lpszExtensionDesc, "bad_headers");
    return TRUE;
}

static const char kGoodHeaders[] = "Content-Type: text/plain\r\n\r\n";

/* SEND_RESPONSE_HEADER: lpvBuffer is the status, lpdwDataType the header block. */
static BOOL send_header(EXTENSION_CONTROL_BLOCK *ecb, const char *status, const char *headers)
{
    return ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_SEND_RESPONSE_HEADER, (LPVOID)status, NULL,
                                      (LPDWORD)(void *)headers);
}

static BOOL send_header_ex(EXTENSION_CONTROL_BLOCK *ecb, const char *status, const char *headers)
{
    HSE_SEND_HEADER_EX_INFO info;
    memset(&info, 0, sizeof info);
    info.pszStatus = status;
    info.cchStatus = (DWORD)strlen(status);
    info.pszHeader = headers;
    info.cchHeader = (DWORD)strlen(headers);
    info.fKeepConn = TRUE;
    return ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_SEND_RESPONSE_HEADER_EX, &info, NULL, NULL);
}

static BOOL write_text(EXTENSION_CONTROL_BLOCK *ecb, const char *text)
{
    DWORD length = (DWORD)strlen(text);
    return ecb->WriteClient(ecb->ConnID, (LPVOID)text, &length, HSE_IO_SYNC);
}

static BOOL transmit_empty_file(EXTENSION_CONTROL_BLOCK *ecb, const char *status, const char *headers)
{
    int fd = open("/dev/null", O_RDONLY);
    if (fd < 0)
        return FALSE;
    HSE_TF_INFO tf;
    memset(&tf, 0, sizeof tf);
    tf.hFile = (HANDLE)(intptr_t)fd;
    tf.pszStatusCode = status;
    tf.pHead = (PVOID)headers;
    tf.HeadLength = (DWORD)strlen(headers);
    tf.dwFlags = HSE_IO_SEND_HEADERS;
    BOOL ok = ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_TRANSMIT_FILE, &tf, NULL, NULL);
    DWORD error = GetLastError();
    close(fd);
    SetLastError(error);
    return ok;
}

static BOOL redirect(EXTENSION_CONTROL_BLOCK *ecb, const char *url)
{
    DWORD length = (DWORD)strlen(url);
    return ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_SEND_URL_REDIRECT_RESP, (LPVOID)url, &length, NULL);
}

enum path { SEND_HEADER, SEND_HEADER_EX, WRITE_CLIENT, TRANSMIT_FILE, REDIRECT };

/* One row per trick: the path it takes, then the status (or the whole text for
 * WriteClient, or the URL for a redirect) and the header block. */
static const struct {
    const char *mode;
    enum path path;
    const char *status;
    const char *headers;
} kTricks[] = {
    { "good", SEND_HEADER, "200 OK", kGoodHeaders },
    { "hdr-status-crlf", SEND_HEADER, "200 OK\r\nX-Injected: hdr-status-crlf", kGoodHeaders },
    { "hdr-value-cr", SEND_HEADER, "200 OK", "Content-Type: text/plain\r\nX-Note: a\rX-Injected: hdr-value-cr\r\n\r\n" },
    { "hdr-bad-name", SEND_HEADER, "200 OK", "Content-Type: text/plain\r\nX Injected: hdr-bad-name\r\n\r\n" },
    { "hdr-fold", SEND_HEADER, "200 OK", "Content-Type: text/plain\r\nX-Note: a\r\n X-Injected: hdr-fold\r\n\r\n" },
    { "ex-status-crlf", SEND_HEADER_EX, "200 OK\r\nX-Injected: ex-status-crlf", kGoodHeaders },
    { "ex-status-lf", SEND_HEADER_EX, "200 OK\nX-Injected: ex-status-lf", kGoodHeaders },
    { "ex-value-cr", SEND_HEADER_EX, "200 OK", "Content-Type: text/plain\r\nX-Note: a\rX-Injected: ex-value-cr\r\n\r\n" },
    { "ex-bad-name", SEND_HEADER_EX, "200 OK", "Content-Type: text/plain\r\nX-Injected(name): ex-bad-name\r\n\r\n" },
    { "write-value-cr", WRITE_CLIENT, "Content-Type: text/plain\r\nX-Note: a\rX-Injected: write-value-cr\r\n\r\nbody\n", "" },
    { "write-bad-name", WRITE_CLIENT, "Content-Type: text/plain\r\nX-Injected : write-bad-name\r\n\r\nbody\n", "" },
    { "tf-status-crlf", TRANSMIT_FILE, "200 OK\r\nX-Injected: tf-status-crlf", kGoodHeaders },
    { "tf-value-cr", TRANSMIT_FILE, "200 OK", "Content-Type: text/plain\r\nX-Note: a\rX-Injected: tf-value-cr\r\n\r\n" },
    { "redirect-crlf", REDIRECT, "http://localhost/x\r\nX-Injected: redirect-crlf", "" },
    { "redirect-lf", REDIRECT, "/x\nX-Injected: redirect-lf", "" },
};

static BOOL bad_head(EXTENSION_CONTROL_BLOCK *ecb, const char *mode)
{
    for (size_t i = 0; i < sizeof kTricks / sizeof kTricks[0]; i++) {
        if (strcmp(mode, kTricks[i].mode) != 0)
            continue;
        switch (kTricks[i].path) {
        case SEND_HEADER: return send_header(ecb, kTricks[i].status, kTricks[i].headers);
        case SEND_HEADER_EX: return send_header_ex(ecb, kTricks[i].status, kTricks[i].headers);
        case WRITE_CLIENT: return write_text(ecb, kTricks[i].status);
        case TRANSMIT_FILE: return transmit_empty_file(ecb, kTricks[i].status, kTricks[i].headers);
        case REDIRECT: return redirect(ecb, kTricks[i].status);
        }
    }
    SetLastError(ERROR_INVALID_FUNCTION);
    return FALSE;
}

DWORD WINAPI HttpExtensionProc(EXTENSION_CONTROL_BLOCK *ecb)
{
    const char *mode = ecb->lpszQueryString ? ecb->lpszQueryString : "";
    SetLastError(0);
    BOOL head = bad_head(ecb, mode);
    DWORD headError = GetLastError();
    /* The bug on top of the bug: the FALSE is ignored. */
    SetLastError(0);
    BOOL body = write_text(ecb, strcmp(mode, "good") == 0 ? "fine" : "written after the refusal\n");
    DWORD bodyError = GetLastError();
    snprintf(ecb->lpszLogData, HSE_LOG_BUFFER_LEN, "%.40s head=%d/%u body=%d/%u", mode, (int)head,
             (unsigned)headError, (int)body, (unsigned)bodyError);
    return HSE_STATUS_SUCCESS;
}
