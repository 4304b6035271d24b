/*
 * pending.c - MISBEHAVES: returns HSE_STATUS_PENDING and never calls
 * HSE_REQ_DONE_WITH_SESSION, so the request it promised to finish never ends.
 * The host must give up after its deadline, answer or close the connection,
 * log it and take its pool thread back.
 *
 *   ?        sends nothing, returns HSE_STATUS_PENDING
 *   ?head    sends a head and "partial\n" (no Content-Length), then returns
 *            HSE_STATUS_PENDING: the client holds half an answer
 *   ?ok      answers 200 "ok\n" and returns HSE_STATUS_SUCCESS (for showing
 *            that the pool thread is free again)
 */

#include <string.h>
#include <httpext.h>

BOOL WINAPI GetExtensionVersion(HSE_VERSION_INFO *v)
{
    v->dwExtensionVersion = MAKELONG(HSE_VERSION_MINOR, HSE_VERSION_MAJOR);
    strcpy(v->lpszExtensionDesc, "pending");
    return TRUE;
}

static BOOL answer(EXTENSION_CONTROL_BLOCK *ecb, const char *text)
{
    static const char headers[] = "Content-Type: text/plain\r\n\r\n";
    HSE_SEND_HEADER_EX_INFO info = { "200 OK", headers, 6, sizeof headers - 1, TRUE };
    if (!ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_SEND_RESPONSE_HEADER_EX, &info, NULL, NULL))
        return FALSE;
    DWORD length = (DWORD)strlen(text);
    return ecb->WriteClient(ecb->ConnID, (LPVOID)text, &length, HSE_IO_SYNC);
}

DWORD WINAPI HttpExtensionProc(EXTENSION_CONTROL_BLOCK *ecb)
{
    const char *q = ecb->lpszQueryString ? ecb->lpszQueryString : "";
    if (strcmp(q, "ok") == 0)
        return answer(ecb, "ok\n") ? HSE_STATUS_SUCCESS : HSE_STATUS_ERROR;
    if (strcmp(q, "head") == 0 && !answer(ecb, "partial\n"))
        return HSE_STATUS_ERROR;
    return HSE_STATUS_PENDING; /* and no HSE_REQ_DONE_WITH_SESSION, ever */
}
