/*
 * sleeper.c - MISBEHAVES: never answers in time. HttpExtensionProc sleeps,
 * without writing or reading, for the number of seconds in its query string,
 * then answers "late". isapid gives up on it after Timeout seconds (504, the
 * thread logged as stuck, IS02030); its pool thread stays busy until it
 * returns. Used by Tests/EndToEndTests/StuckExtensionTests.swift.
 */

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <httpext.h>

BOOL WINAPI GetExtensionVersion(HSE_VERSION_INFO *v)
{
    v->dwExtensionVersion = MAKELONG(HSE_VERSION_MINOR, HSE_VERSION_MAJOR);
    strcpy(v->lpszExtensionDesc, "sleeper");
    return TRUE;
}

DWORD WINAPI HttpExtensionProc(EXTENSION_CONTROL_BLOCK *ecb)
{
    sleep((unsigned)atoi(ecb->lpszQueryString));
    char head[] = "Content-Type: text/plain\r\n\r\n";
    HSE_SEND_HEADER_EX_INFO info = { "200 OK", head, 6, sizeof(head) - 1, FALSE };
    ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_SEND_RESPONSE_HEADER_EX, &info, NULL, NULL);
    DWORD length = 5;
    ecb->WriteClient(ecb->ConnID, "late\n", &length, HSE_IO_SYNC);
    return HSE_STATUS_SUCCESS;
}
