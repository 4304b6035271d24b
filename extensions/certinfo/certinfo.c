/*
 * certinfo.c - what an extension learns about the secure channel: IIS's
 * HTTPS/CERT_* variables as text/plain "NAME=value" lines, then the client
 * certificate through HSE_REQ_GET_CERT_INFO_EX.
 *
 * The usual two-call pattern for GET_CERT_INFO_EX:
 *   - first with CertContext.pbCertEncoded NULL and cbAllocated 0: FALSE with
 *     ERROR_INSUFFICIENT_BUFFER, and cbCertEncoded holds the size needed;
 *   - then with a buffer of that size: TRUE, the DER certificate copied in,
 *     dwCertificateFlags = CERT_FLAGS (bit 0 present, bit 1 issuer untrusted).
 * Without a client certificate (or on plain HTTP) it is FALSE with
 * ERROR_NO_DATA. pCertInfo and hCertStore are NULL on isapid: there is no
 * CryptoAPI; parse the DER yourself (or hand it to OpenSSL's d2i_X509).
 *
 * Output, last line:
 *   GET_CERT_INFO_EX=<n> bytes, flags <f>, first bytes 30 82 03 1a ...
 *   GET_CERT_INFO_EX=<error 232>             (no client certificate)
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <httpext.h>

static const char *const kVariables[] = {
    "HTTPS", "SERVER_PORT_SECURE", "HTTPS_KEYSIZE", "HTTPS_SECRETKEYSIZE",
    "HTTPS_SERVER_SUBJECT", "HTTPS_SERVER_ISSUER", "CERT_SUBJECT", "CERT_ISSUER",
    "CERT_SERIALNUMBER", "CERT_FLAGS", "CERT_COOKIE", "CERT_KEYSIZE",
    "CERT_SECRETKEYSIZE", "CERT_SERVER_SUBJECT", "CERT_SERVER_ISSUER",
    "SSL_PROTOCOL", "SSL_CLIENT_S_DN",
};

BOOL WINAPI GetExtensionVersion(HSE_VERSION_INFO *pVer)
{
    pVer->dwExtensionVersion = MAKELONG(HSE_VERSION_MINOR, HSE_VERSION_MAJOR);
    strncpy(pVer->lpszExtensionDesc, "isapid sample: certinfo",
            HSE_MAX_EXT_DLL_NAME_LEN - 1);
    pVer->lpszExtensionDesc[HSE_MAX_EXT_DLL_NAME_LEN - 1] = '\0';
    return TRUE;
}

static BOOL put(EXTENSION_CONTROL_BLOCK *pECB, const char *s)
{
    DWORD len = (DWORD)strlen(s);
    if (len == 0)
        return TRUE;
    return pECB->WriteClient(pECB->ConnID, (LPVOID)s, &len, HSE_IO_SYNC);
}

/* "NAME=value\n", or "NAME=<error N>\n" when the variable is not available
 * (SSL_* without SSLOptions +StdEnvVars: ERROR_INVALID_INDEX, 1413). */
static BOOL put_variable(EXTENSION_CONTROL_BLOCK *pECB, const char *name)
{
    char value[4096];
    char line[4200];
    DWORD size = sizeof value;
    if (pECB->GetServerVariable(pECB->ConnID, (LPSTR)name, value, &size))
        snprintf(line, sizeof line, "%s=%s\n", name, value);
    else
        snprintf(line, sizeof line, "%s=<error %lu>\n", name, (unsigned long)GetLastError());
    return put(pECB, line);
}

static BOOL put_certificate(EXTENSION_CONTROL_BLOCK *pECB)
{
    CERT_CONTEXT_EX info;
    char line[256];
    memset(&info, 0, sizeof info);
    /* First call: how big is it? */
    if (pECB->ServerSupportFunction(pECB->ConnID, HSE_REQ_GET_CERT_INFO_EX, &info, NULL, NULL)
        || GetLastError() != ERROR_INSUFFICIENT_BUFFER) {
        snprintf(line, sizeof line, "GET_CERT_INFO_EX=<error %lu>\n", (unsigned long)GetLastError());
        return put(pECB, line);
    }
    DWORD needed = info.CertContext.cbCertEncoded;
    BYTE *der = malloc(needed);
    if (der == NULL)
        return FALSE;
    info.CertContext.pbCertEncoded = der;
    info.cbAllocated = needed;
    if (!pECB->ServerSupportFunction(pECB->ConnID, HSE_REQ_GET_CERT_INFO_EX, &info, NULL, NULL)) {
        snprintf(line, sizeof line, "GET_CERT_INFO_EX=<error %lu>\n", (unsigned long)GetLastError());
        free(der);
        return put(pECB, line);
    }
    int used = snprintf(line, sizeof line, "GET_CERT_INFO_EX=%lu bytes, flags %lu, first bytes",
                        (unsigned long)info.CertContext.cbCertEncoded,
                        (unsigned long)info.dwCertificateFlags);
    for (DWORD i = 0; i < info.CertContext.cbCertEncoded && i < 8; i++)
        used += snprintf(line + used, sizeof line - (size_t)used, " %02x", der[i]);
    snprintf(line + used, sizeof line - (size_t)used, "\n");
    free(der);
    return put(pECB, line);
}

DWORD WINAPI HttpExtensionProc(EXTENSION_CONTROL_BLOCK *pECB)
{
    static const char headers[] = "Content-Type: text/plain\r\n\r\n";
    HSE_SEND_HEADER_EX_INFO hdr;
    memset(&hdr, 0, sizeof hdr);
    hdr.pszStatus = "200 OK";
    hdr.cchStatus = 6;
    hdr.pszHeader = headers;
    hdr.cchHeader = (DWORD)(sizeof headers - 1);
    hdr.fKeepConn = TRUE;
    pECB->dwHttpStatusCode = 200;
    if (!pECB->ServerSupportFunction(pECB->ConnID, HSE_REQ_SEND_RESPONSE_HEADER_EX, &hdr, NULL, NULL))
        return HSE_STATUS_ERROR;
    for (size_t i = 0; i < sizeof kVariables / sizeof kVariables[0]; i++)
        if (!put_variable(pECB, kVariables[i]))
            return HSE_STATUS_ERROR;
    return put_certificate(pECB) ? HSE_STATUS_SUCCESS_AND_KEEP_CONN : HSE_STATUS_ERROR;
}

BOOL WINAPI TerminateExtension(DWORD dwFlags)
{
    (void)dwFlags;
    return TRUE;
}
