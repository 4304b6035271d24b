/*
 * bigwrite.cpp - a C++ extension in the style of a framework's ISAPI module (DCL): a
 * WriteClient that returns FALSE becomes an exception, and this one is deliberately
 * left to escape HttpExtensionProc, so std::terminate aborts the serving process. It
 * must never happen to a response whose bytes were all accepted.
 *
 *   ?one=<file>   a 1 MiB body (Content-Length) in one WriteClient
 *   ?many=<file>  the same body in 64 KiB WriteClients
 *   ?stream=<file> 64 MiB, chunked, in 64 KiB WriteClients; a FALSE ends it quietly
 *                 (the client that leaves early is expected here)
 *
 * Before throwing, the failing call is appended to <file> ("FALSE err=<GetLastError>").
 */
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>
#include <httpext.h>

extern "C" BOOL WINAPI GetExtensionVersion(HSE_VERSION_INFO *pVer)
{
    pVer->dwExtensionVersion = MAKELONG(HSE_VERSION_MINOR, HSE_VERSION_MAJOR);
    std::strncpy(pVer->lpszExtensionDesc, "C++ writer that throws on FALSE", HSE_MAX_EXT_DLL_NAME_LEN - 1);
    return TRUE;
}

static const char *argument(const char *qs, const char *name)
{
    size_t n = std::strlen(name);
    return std::strncmp(qs, name, n) == 0 && qs[n] == '=' ? qs + n + 1 : nullptr;
}

static void record(const char *file, const std::string &line)
{
    if (FILE *f = std::fopen(file, "a")) {
        std::fprintf(f, "%s\n", line.c_str());
        std::fclose(f);
    }
}

static void write(EXTENSION_CONTROL_BLOCK *pECB, const char *file, const char *data, DWORD size)
{
    DWORD len = size;
    SetLastError(0);
    if (!pECB->WriteClient(pECB->ConnID, (LPVOID)data, &len, HSE_IO_SYNC)) {
        record(file, "FALSE err=" + std::to_string(GetLastError()));
        throw std::runtime_error("WriteClient failed");
    }
}

extern "C" DWORD WINAPI HttpExtensionProc(EXTENSION_CONTROL_BLOCK *pECB)
{
    const char *qs = pECB->lpszQueryString ? pECB->lpszQueryString : "";
    const char *file = nullptr;
    const size_t size = 1 << 20;
    static std::vector<char> body(64 << 20, 'b');
    if ((file = argument(qs, "stream")) != nullptr) {
        static char headers[] = "Content-Type: application/octet-stream\r\n\r\n";
        DWORD hlen = sizeof headers - 1;
        if (!pECB->ServerSupportFunction(pECB->ConnID, HSE_REQ_SEND_RESPONSE_HEADER, (LPVOID)"200 OK", &hlen,
                                         (LPDWORD)(void *)headers))
            return HSE_STATUS_ERROR;
        for (size_t sent = 0; sent < body.size(); sent += 65536) {
            DWORD len = 65536;
            if (!pECB->WriteClient(pECB->ConnID, body.data() + sent, &len, HSE_IO_SYNC)) {
                record(file, "stream ended at " + std::to_string(sent));
                return HSE_STATUS_ERROR;
            }
        }
        return HSE_STATUS_SUCCESS;
    }
    bool one = (file = argument(qs, "one")) != nullptr;
    if (!one && (file = argument(qs, "many")) == nullptr)
        return HSE_STATUS_ERROR;
    std::string headers = "Content-Type: application/octet-stream\r\nContent-Length: " + std::to_string(size) + "\r\n\r\n";
    DWORD hlen = (DWORD)headers.size();
    if (!pECB->ServerSupportFunction(pECB->ConnID, HSE_REQ_SEND_RESPONSE_HEADER, (LPVOID)"200 OK", &hlen,
                                     (LPDWORD)(void *)headers.c_str()))
        return HSE_STATUS_ERROR;
    // Deliberately no try/catch: an exception here reaches std::terminate.
    if (one) {
        write(pECB, file, body.data(), (DWORD)size);
    } else {
        for (size_t sent = 0; sent < size; sent += 65536)
            write(pECB, file, body.data() + sent, 65536);
    }
    return HSE_STATUS_SUCCESS;
}
