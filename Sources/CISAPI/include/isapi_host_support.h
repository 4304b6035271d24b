/*
 * isapi_host_support.h - HOST-ONLY helpers for isapid's ISAPI host.
 *
 * Not part of the extension SDK: extensions must not include this header
 * or call anything in it. Only the host (ISAPIHost) uses it.
 */

#ifndef ISAPI_HOST_SUPPORT_H
#define ISAPI_HOST_SUPPORT_H

#include "httpext.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Record a callback failure for the calling thread: sets the thread's last
 * error (what GetLastError() returns) to `error`, a Windows error number
 * such as ERROR_INVALID_PARAMETER (87), and then, as its final act, sets
 * errno to the same number (for Zeus-style extensions that read errno).
 * The host calls this immediately before returning FALSE from a callback.
 */
void isapi_fail(DWORD error);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ISAPI_HOST_SUPPORT_H */
