/*
 * httpext.h - ISAPI extension SDK for isapid (Linux, LP64).
 *
 * Microsoft's names, values and field order, laid out for LP64 Linux the way
 * Windows x64 (LLP64) lays them out: DWORD is uint32_t, BOOL is int32_t,
 * pointers and HANDLEs are 64-bit, WINAPI is empty (there is only the SysV
 * ABI). The EXTENSION_CONTROL_BLOCK is 192 bytes.
 *
 * An extension needs nothing but this directory:
 *
 *     cc -shared -fPIC -I Sources/CISAPI/include ext.c -o ext.dll
 *
 * Self-contained C99/C11/C++; windows.h is neither needed nor included.
 * The Windows base types are defined only when the including code has not
 * defined them itself (as macros, or by having included windows.h first).
 * Define ISAPI_NO_WIN32_TYPES to suppress all of them.
 *
 * GetLastError()/SetLastError() are provided by the host (isapid exports
 * them to what it loads), with a thread-local last error holding Windows
 * error numbers. When a server callback returns FALSE the host has also
 * stored the same number in errno.
 */

#ifndef _HTTPEXT_H_
#define _HTTPEXT_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Visibility / calling-convention plumbing                                 */
/* ------------------------------------------------------------------------ */

/* Marks the entry points and GetLastError/SetLastError with default
 * visibility, so an extension built with -fvisibility=hidden still exports
 * GetExtensionVersion & co. and still links GetLastError from the host. */
#ifndef ISAPI_SDK_EXPORT
# if defined(__GNUC__) || defined(__clang__)
#  define ISAPI_SDK_EXPORT __attribute__((visibility("default")))
# else
#  define ISAPI_SDK_EXPORT
# endif
#endif

#if !defined(_WIN32)
/* Calling conventions do not exist on the SysV ABI. */
# ifndef __stdcall
#  define __stdcall
# endif
# ifndef _stdcall
#  define _stdcall
# endif
# ifndef __cdecl
#  define __cdecl
# endif
# ifndef _cdecl
#  define _cdecl
# endif
/* __declspec(dllexport) etc.: map the common ones; anything else fails to
 * compile (ISAPI_DECLSPEC_<name> undeclared) instead of silently vanishing. */
# if !defined(__declspec) && !defined(ISAPI_NO_DECLSPEC)
#  define __declspec(x) ISAPI_DECLSPEC_##x
#  define ISAPI_DECLSPEC_dllexport ISAPI_SDK_EXPORT
#  define ISAPI_DECLSPEC_dllimport
#  define ISAPI_DECLSPEC_thread __thread
#  define ISAPI_DECLSPEC_noreturn __attribute__((noreturn))
# endif
#endif

#ifndef WINAPI
# define WINAPI
#endif
#ifndef WINAPIV
# define WINAPIV
#endif
#ifndef APIENTRY
# define APIENTRY WINAPI
#endif
#ifndef CALLBACK
# define CALLBACK
#endif
#ifndef PASCAL
# define PASCAL
#endif

/* ------------------------------------------------------------------------ */
/* Windows base types (LLP64 sizes)                                          */
/* ------------------------------------------------------------------------ */

#if !defined(ISAPI_NO_WIN32_TYPES) && !defined(_WINDEF_) && \
    !defined(_MINWINDEF_) && !defined(_WINDOWS_)

#ifndef VOID
# define VOID void
#endif
#ifndef CONST
# define CONST const
#endif
#ifndef TRUE
# define TRUE 1
#endif
#ifndef FALSE
# define FALSE 0
#endif
#ifndef MAX_PATH
# define MAX_PATH 260
#endif

#ifndef CHAR
typedef char CHAR;
#endif
#ifndef UCHAR
typedef unsigned char UCHAR;
#endif
#ifndef BYTE
typedef unsigned char BYTE;
#endif
#ifndef BOOLEAN
typedef unsigned char BOOLEAN;
#endif
#ifndef SHORT
typedef int16_t SHORT;
#endif
#ifndef USHORT
typedef uint16_t USHORT;
#endif
#ifndef WORD
typedef uint16_t WORD;
#endif
#ifndef WCHAR
typedef uint16_t WCHAR;           /* UTF-16 code unit; wchar_t is 32-bit here */
#endif
#ifndef INT
typedef int32_t INT;
#endif
#ifndef UINT
typedef uint32_t UINT;
#endif
#ifndef LONG
typedef int32_t LONG;             /* 32-bit, as on Windows; not C's long */
#endif
#ifndef ULONG
typedef uint32_t ULONG;
#endif
#ifndef DWORD
typedef uint32_t DWORD;           /* never unsigned long: that is 64-bit here */
#endif
#ifndef BOOL
typedef int32_t BOOL;
#endif
#ifndef HRESULT
typedef int32_t HRESULT;
#endif
#ifndef LONGLONG
typedef int64_t LONGLONG;
#endif
#ifndef ULONGLONG
typedef uint64_t ULONGLONG;
#endif
#ifndef DWORD64
typedef uint64_t DWORD64;
#endif
#ifndef INT_PTR
typedef intptr_t INT_PTR;
#endif
#ifndef UINT_PTR
typedef uintptr_t UINT_PTR;
#endif
#ifndef LONG_PTR
typedef intptr_t LONG_PTR;
#endif
#ifndef ULONG_PTR
typedef uintptr_t ULONG_PTR;
#endif
#ifndef DWORD_PTR
typedef uintptr_t DWORD_PTR;
#endif
#ifndef SIZE_T
typedef size_t SIZE_T;
#endif

#ifndef PVOID
typedef void *PVOID;
#endif
#ifndef LPVOID
typedef void *LPVOID;
#endif
#ifndef LPCVOID
typedef const void *LPCVOID;
#endif
#ifndef PSTR
typedef CHAR *PSTR;
#endif
#ifndef LPSTR
typedef CHAR *LPSTR;
#endif
#ifndef PCSTR
typedef const CHAR *PCSTR;
#endif
#ifndef LPCSTR
typedef const CHAR *LPCSTR;
#endif
#ifndef PWSTR
typedef WCHAR *PWSTR;
#endif
#ifndef LPWSTR
typedef WCHAR *LPWSTR;
#endif
#ifndef PCWSTR
typedef const WCHAR *PCWSTR;
#endif
#ifndef LPCWSTR
typedef const WCHAR *LPCWSTR;
#endif
#ifndef PBYTE
typedef BYTE *PBYTE;
#endif
#ifndef LPBYTE
typedef BYTE *LPBYTE;
#endif
#ifndef PWORD
typedef WORD *PWORD;
#endif
#ifndef LPWORD
typedef WORD *LPWORD;
#endif
#ifndef PDWORD
typedef DWORD *PDWORD;
#endif
#ifndef LPDWORD
typedef DWORD *LPDWORD;
#endif
#ifndef PBOOL
typedef BOOL *PBOOL;
#endif
#ifndef LPBOOL
typedef BOOL *LPBOOL;
#endif
#ifndef PLONG
typedef LONG *PLONG;
#endif
#ifndef LPLONG
typedef LONG *LPLONG;
#endif

#ifndef HANDLE
typedef void *HANDLE;             /* pointer-sized; carry an fd as (intptr_t)fd */
#endif
#ifndef PHANDLE
typedef HANDLE *PHANDLE;
#endif
#ifndef HINSTANCE
typedef void *HINSTANCE;
#endif
#ifndef HMODULE
typedef void *HMODULE;
#endif
#ifndef INVALID_HANDLE_VALUE
# define INVALID_HANDLE_VALUE ((HANDLE)(LONG_PTR)-1)
#endif

#ifndef MAKEWORD
# define MAKEWORD(a, b) ((WORD)(((BYTE)(((DWORD_PTR)(a)) & 0xff)) | \
                                ((WORD)((BYTE)(((DWORD_PTR)(b)) & 0xff))) << 8))
#endif
#ifndef MAKELONG
# define MAKELONG(a, b) ((LONG)(((WORD)(((DWORD_PTR)(a)) & 0xffff)) | \
                                ((DWORD)((WORD)(((DWORD_PTR)(b)) & 0xffff))) << 16))
#endif
#ifndef LOWORD
# define LOWORD(l) ((WORD)(((DWORD_PTR)(l)) & 0xffff))
#endif
#ifndef HIWORD
# define HIWORD(l) ((WORD)((((DWORD_PTR)(l)) >> 16) & 0xffff))
#endif
#ifndef LOBYTE
# define LOBYTE(w) ((BYTE)(((DWORD_PTR)(w)) & 0xff))
#endif
#ifndef HIBYTE
# define HIBYTE(w) ((BYTE)((((DWORD_PTR)(w)) >> 8) & 0xff))
#endif

/* DllMain reasons (a host may call an exported DllMain itself). */
#ifndef DLL_PROCESS_DETACH
# define DLL_PROCESS_DETACH 0
#endif
#ifndef DLL_PROCESS_ATTACH
# define DLL_PROCESS_ATTACH 1
#endif
#ifndef DLL_THREAD_ATTACH
# define DLL_THREAD_ATTACH 2
#endif
#ifndef DLL_THREAD_DETACH
# define DLL_THREAD_DETACH 3
#endif

#endif /* Windows base types */

/* ------------------------------------------------------------------------ */
/* Win32 error numbers ISAPI uses (values from winerror.h)                   */
/* ------------------------------------------------------------------------ */

#ifndef NO_ERROR
# define NO_ERROR 0L
#endif
#ifndef ERROR_SUCCESS
# define ERROR_SUCCESS 0L
#endif
#ifndef ERROR_INVALID_FUNCTION
# define ERROR_INVALID_FUNCTION 1L
#endif
#ifndef ERROR_FILE_NOT_FOUND
# define ERROR_FILE_NOT_FOUND 2L
#endif
#ifndef ERROR_PATH_NOT_FOUND
# define ERROR_PATH_NOT_FOUND 3L
#endif
#ifndef ERROR_ACCESS_DENIED
# define ERROR_ACCESS_DENIED 5L
#endif
#ifndef ERROR_INVALID_HANDLE
# define ERROR_INVALID_HANDLE 6L
#endif
#ifndef ERROR_NOT_ENOUGH_MEMORY
# define ERROR_NOT_ENOUGH_MEMORY 8L
#endif
#ifndef ERROR_WRITE_FAULT
# define ERROR_WRITE_FAULT 29L
#endif
#ifndef ERROR_READ_FAULT
# define ERROR_READ_FAULT 30L
#endif
#ifndef ERROR_NOT_SUPPORTED
# define ERROR_NOT_SUPPORTED 50L
#endif
#ifndef ERROR_NETNAME_DELETED
# define ERROR_NETNAME_DELETED 64L
#endif
#ifndef ERROR_INVALID_PARAMETER
# define ERROR_INVALID_PARAMETER 87L
#endif
#ifndef ERROR_BROKEN_PIPE
# define ERROR_BROKEN_PIPE 109L
#endif
#ifndef ERROR_CALL_NOT_IMPLEMENTED
# define ERROR_CALL_NOT_IMPLEMENTED 120L
#endif
#ifndef ERROR_INSUFFICIENT_BUFFER
# define ERROR_INSUFFICIENT_BUFFER 122L
#endif
#ifndef ERROR_MOD_NOT_FOUND
# define ERROR_MOD_NOT_FOUND 126L
#endif
#ifndef ERROR_PROC_NOT_FOUND
# define ERROR_PROC_NOT_FOUND 127L
#endif
#ifndef ERROR_NO_DATA
# define ERROR_NO_DATA 232L
#endif
#ifndef ERROR_MORE_DATA
# define ERROR_MORE_DATA 234L
#endif
#ifndef ERROR_NO_MORE_ITEMS
# define ERROR_NO_MORE_ITEMS 259L
#endif
#ifndef ERROR_OPERATION_ABORTED
# define ERROR_OPERATION_ABORTED 995L
#endif
#ifndef ERROR_IO_PENDING
# define ERROR_IO_PENDING 997L
#endif
#ifndef ERROR_DLL_INIT_FAILED
# define ERROR_DLL_INIT_FAILED 1114L
#endif
#ifndef ERROR_NOT_FOUND
# define ERROR_NOT_FOUND 1168L
#endif
#ifndef ERROR_CONNECTION_ABORTED
# define ERROR_CONNECTION_ABORTED 1236L
#endif
#ifndef ERROR_INVALID_INDEX
# define ERROR_INVALID_INDEX 1413L
#endif
#ifndef ERROR_TIMEOUT
# define ERROR_TIMEOUT 1460L
#endif
#ifndef WSAEINVAL
# define WSAEINVAL 10022L
#endif

/* ------------------------------------------------------------------------ */
/* Manifest constants                                                        */
/* ------------------------------------------------------------------------ */

#ifndef HSE_VERSION_MAJOR
# define HSE_VERSION_MAJOR 2      /* ISAPI 2.0 */
#endif
#ifndef HSE_VERSION_MINOR
# define HSE_VERSION_MINOR 0
#endif
#define HSE_VERSION MAKELONG(HSE_VERSION_MINOR, HSE_VERSION_MAJOR)

#define HSE_LOG_BUFFER_LEN       80
#define HSE_MAX_EXT_DLL_NAME_LEN 256

/* HttpExtensionProc return codes */
#define HSE_STATUS_SUCCESS                1
#define HSE_STATUS_SUCCESS_AND_KEEP_CONN  2
#define HSE_STATUS_PENDING                3
#define HSE_STATUS_ERROR                  4

/* ServerSupportFunction request codes */
#define HSE_REQ_BASE                      0
#define HSE_REQ_SEND_URL_REDIRECT_RESP    (HSE_REQ_BASE + 1)
#define HSE_REQ_SEND_URL                  (HSE_REQ_BASE + 2)
#define HSE_REQ_SEND_RESPONSE_HEADER      (HSE_REQ_BASE + 3)
#define HSE_REQ_DONE_WITH_SESSION         (HSE_REQ_BASE + 4)
#define HSE_REQ_END_RESERVED              1000

/* Microsoft extensions (HSE_REQ_END_RESERVED + n) */
#define HSE_REQ_MAP_URL_TO_PATH                  (HSE_REQ_END_RESERVED + 1)
#define HSE_REQ_GET_SSPI_INFO                    (HSE_REQ_END_RESERVED + 2)
#define HSE_APPEND_LOG_PARAMETER                 (HSE_REQ_END_RESERVED + 3)
#define HSE_REQ_SEND_URL_EX                      (HSE_REQ_END_RESERVED + 4)  /* 1995 headers only */
#define HSE_REQ_IO_COMPLETION                    (HSE_REQ_END_RESERVED + 5)
#define HSE_REQ_TRANSMIT_FILE                    (HSE_REQ_END_RESERVED + 6)
#define HSE_REQ_REFRESH_ISAPI_ACL                (HSE_REQ_END_RESERVED + 7)
#define HSE_REQ_IS_KEEP_CONN                     (HSE_REQ_END_RESERVED + 8)
#define HSE_REQ_ASYNC_READ_CLIENT                (HSE_REQ_END_RESERVED + 10)
#define HSE_REQ_GET_IMPERSONATION_TOKEN          (HSE_REQ_END_RESERVED + 11)
#define HSE_REQ_MAP_URL_TO_PATH_EX               (HSE_REQ_END_RESERVED + 12)
#define HSE_REQ_EXECUTE_CHILD                    (HSE_REQ_END_RESERVED + 13) /* IIS 4/5 only */
#define HSE_REQ_ABORTIVE_CLOSE                   (HSE_REQ_END_RESERVED + 14)
#define HSE_REQ_GET_CERT_INFO_EX                 (HSE_REQ_END_RESERVED + 15)
#define HSE_REQ_SEND_RESPONSE_HEADER_EX          (HSE_REQ_END_RESERVED + 16)
#define HSE_REQ_CLOSE_CONNECTION                 (HSE_REQ_END_RESERVED + 17)
#define HSE_REQ_IS_CONNECTED                     (HSE_REQ_END_RESERVED + 18)
#define HSE_REQ_EXTENSION_TRIGGER                (HSE_REQ_END_RESERVED + 20) /* IIS 6 beta only */
#define HSE_REQ_MAP_UNICODE_URL_TO_PATH          (HSE_REQ_END_RESERVED + 23)
#define HSE_REQ_MAP_UNICODE_URL_TO_PATH_EX       (HSE_REQ_END_RESERVED + 24)
#define HSE_REQ_EXEC_UNICODE_URL                 (HSE_REQ_END_RESERVED + 25)
#define HSE_REQ_EXEC_URL                         (HSE_REQ_END_RESERVED + 26)
#define HSE_REQ_GET_EXEC_URL_STATUS              (HSE_REQ_END_RESERVED + 27)
#define HSE_REQ_SEND_CUSTOM_ERROR                (HSE_REQ_END_RESERVED + 28)
#define HSE_REQ_IS_IN_PROCESS                    (HSE_REQ_END_RESERVED + 30)
#define HSE_REQ_REPORT_UNHEALTHY                 (HSE_REQ_END_RESERVED + 32)
#define HSE_REQ_NORMALIZE_URL                    (HSE_REQ_END_RESERVED + 33)
#define HSE_REQ_VECTOR_SEND                      (HSE_REQ_END_RESERVED + 37) /* 1022 in the IIS 6 beta */
#define HSE_REQ_GET_ANONYMOUS_TOKEN              (HSE_REQ_END_RESERVED + 38)
#define HSE_REQ_GET_CACHE_INVALIDATION_CALLBACK  (HSE_REQ_END_RESERVED + 40)
#define HSE_REQ_GET_UNICODE_ANONYMOUS_TOKEN      (HSE_REQ_END_RESERVED + 41)
#define HSE_REQ_GET_TRACE_INFO                   (HSE_REQ_END_RESERVED + 42)
#define HSE_REQ_SET_FLUSH_FLAG                   (HSE_REQ_END_RESERVED + 43)
#define HSE_REQ_GET_TRACE_INFO_EX                (HSE_REQ_END_RESERVED + 44)
#define HSE_REQ_RAISE_TRACE_EVENT                (HSE_REQ_END_RESERVED + 45)
#define HSE_REQ_GET_CONFIG_OBJECT                (HSE_REQ_END_RESERVED + 46)
#define HSE_REQ_GET_WORKER_PROCESS_SETTINGS      (HSE_REQ_END_RESERVED + 47)
#define HSE_REQ_GET_PROTOCOL_MANAGER_CUSTOM_INTERFACE_CALLBACK (HSE_REQ_END_RESERVED + 48)
#define HSE_REQ_CANCEL_IO                        (HSE_REQ_END_RESERVED + 49)
#define HSE_REQ_GET_CHANNEL_BINDING_TOKEN        (HSE_REQ_END_RESERVED + 50)

/* TerminateExtension flags: Microsoft's values (mod_isapi.h swaps them). */
#define HSE_TERM_ADVISORY_UNLOAD          0x00000001
#define HSE_TERM_MUST_UNLOAD              0x00000002

/* I/O flags (WriteClient, TransmitFile, VectorSend, ASYNC_READ_CLIENT) */
#define HSE_IO_SYNC                       0x00000001
#define HSE_IO_ASYNC                      0x00000002
#define HSE_IO_DISCONNECT_AFTER_SEND      0x00000004
#define HSE_IO_SEND_HEADERS               0x00000008
#define HSE_IO_FINAL_SEND                 0x00000010
#define HSE_IO_CACHE_RESPONSE             0x00000020
#define HSE_IO_TRY_SKIP_CUSTOM_ERRORS     0x00000040
#define HSE_IO_NODELAY                    0x00001000

/* HSE_URL_MAPEX_INFO.dwFlags */
#define HSE_URL_FLAGS_READ                0x00000001
#define HSE_URL_FLAGS_WRITE               0x00000002
#define HSE_URL_FLAGS_EXECUTE             0x00000004
#define HSE_URL_FLAGS_SSL                 0x00000008
#define HSE_URL_FLAGS_DONT_CACHE          0x00000010
#define HSE_URL_FLAGS_NEGO_CERT           0x00000020
#define HSE_URL_FLAGS_REQUIRE_CERT        0x00000040
#define HSE_URL_FLAGS_MAP_CERT            0x00000080
#define HSE_URL_FLAGS_SSL128              0x00000100
#define HSE_URL_FLAGS_SCRIPT              0x00000200
#define HSE_URL_FLAGS_MASK                0x000003ff

/* HSE_REQ_IS_IN_PROCESS answers */
#define HSE_APP_FLAG_IN_PROCESS           0
#define HSE_APP_FLAG_ISOLATED_OOP         1
#define HSE_APP_FLAG_POOLED_OOP           2

/* HSE_VECTOR_ELEMENT.ElementType */
#define HSE_VECTOR_ELEMENT_TYPE_MEMORY_BUFFER 0
#define HSE_VECTOR_ELEMENT_TYPE_FILE_HANDLE   1

/* HSE_EXEC_URL_INFO.dwExecUrlFlags */
#define HSE_EXEC_URL_NO_HEADERS                    0x02
#define HSE_EXEC_URL_IGNORE_CURRENT_INTERCEPTOR    0x04
#define HSE_EXEC_URL_IGNORE_VALIDATION_AND_RANGE   0x10
#define HSE_EXEC_URL_DISABLE_CUSTOM_ERROR          0x20
#define HSE_EXEC_URL_SSI_CMD                       0x40
#define HSE_EXEC_URL_HTTP_CACHE_ELIGIBLE           0x80

/* ------------------------------------------------------------------------ */
/* Structures                                                                */
/* ------------------------------------------------------------------------ */

#ifndef HCONN
typedef LPVOID HCONN;
#endif

/* Filled by the extension in GetExtensionVersion. 260 bytes. */
typedef struct _HSE_VERSION_INFO {
    DWORD dwExtensionVersion;                             /*   0 */
    CHAR  lpszExtensionDesc[HSE_MAX_EXT_DLL_NAME_LEN];    /*   4 */
} HSE_VERSION_INFO, *LPHSE_VERSION_INFO;

/* The per-request control block. 192 bytes on LP64 (144 on ILP32). */
typedef struct _EXTENSION_CONTROL_BLOCK {
    DWORD   cbSize;                                  /*   0 */
    DWORD   dwVersion;                               /*   4 */
    HCONN   ConnID;                                  /*   8 */
    DWORD   dwHttpStatusCode;                        /*  16 */
    CHAR    lpszLogData[HSE_LOG_BUFFER_LEN];         /*  20 (+4 pad) */
    LPSTR   lpszMethod;                              /* 104 */
    LPSTR   lpszQueryString;                         /* 112 */
    LPSTR   lpszPathInfo;                            /* 120 */
    LPSTR   lpszPathTranslated;                      /* 128 */
    DWORD   cbTotalBytes;                            /* 136 */
    DWORD   cbAvailable;                             /* 140 */
    LPBYTE  lpbData;                                 /* 144 */
    LPSTR   lpszContentType;                         /* 152 */

    BOOL (WINAPI *GetServerVariable)(HCONN hConn,    /* 160 */
                                     LPSTR lpszVariableName,
                                     LPVOID lpvBuffer,
                                     LPDWORD lpdwSize);

    BOOL (WINAPI *WriteClient)(HCONN ConnID,         /* 168 */
                               LPVOID Buffer,
                               LPDWORD lpdwBytes,
                               DWORD dwReserved);

    BOOL (WINAPI *ReadClient)(HCONN ConnID,          /* 176 */
                              LPVOID lpvBuffer,
                              LPDWORD lpdwSize);

    BOOL (WINAPI *ServerSupportFunction)(HCONN hConn, /* 184 */
                                         DWORD dwHSERequest,
                                         LPVOID lpvBuffer,
                                         LPDWORD lpdwSize,
                                         LPDWORD lpdwDataType);
} EXTENSION_CONTROL_BLOCK, *LPEXTENSION_CONTROL_BLOCK;

/* Entry points an extension exports. Each declaration carries default
 * visibility (ISAPI_SDK_EXPORT), and a later definition inherits it: an
 * extension built with -fvisibility=hidden still exports these, also when its
 * source writes a bare definition, __declspec(dllexport), or defines
 * __declspec(x) away (before or after including this header). */
ISAPI_SDK_EXPORT BOOL  WINAPI GetExtensionVersion(HSE_VERSION_INFO *pVer);
ISAPI_SDK_EXPORT DWORD WINAPI HttpExtensionProc(EXTENSION_CONTROL_BLOCK *pECB);
ISAPI_SDK_EXPORT BOOL  WINAPI TerminateExtension(DWORD dwFlags);

/* Optional. Windows' loader calls DllMain; dlopen does not, so isapid calls
 * an exported DllMain itself: DLL_PROCESS_ATTACH (after dlopen, before
 * GetExtensionVersion; FALSE refuses the load) and DLL_PROCESS_DETACH (after
 * TerminateExtension, before dlclose). hinstDLL is the dlopen handle, the
 * module handle isapi_win32.h's GetModuleFileNameA accepts. lpvReserved is
 * NULL. DLL_THREAD_ATTACH/DETACH are never sent. */
#if !defined(ISAPI_NO_WIN32_TYPES) && !defined(_WINDEF_) && \
    !defined(_MINWINDEF_) && !defined(_WINDOWS_)
ISAPI_SDK_EXPORT BOOL  WINAPI DllMain(HINSTANCE hinstDLL, DWORD fdwReason, LPVOID lpvReserved);
#endif

typedef BOOL  (WINAPI *PFN_GETEXTENSIONVERSION)(HSE_VERSION_INFO *pVer);
typedef DWORD (WINAPI *PFN_HTTPEXTENSIONPROC)(EXTENSION_CONTROL_BLOCK *pECB);
typedef BOOL  (WINAPI *PFN_TERMINATEEXTENSION)(DWORD dwFlags);

/* Completion callback for HSE_REQ_IO_COMPLETION. */
typedef VOID (WINAPI *PFN_HSE_IO_COMPLETION)(EXTENSION_CONTROL_BLOCK *pECB,
                                             PVOID pContext,
                                             DWORD cbIO,
                                             DWORD dwError);

/* HSE_REQ_TRANSMIT_FILE. 72 bytes on LP64. */
typedef struct _HSE_TF_INFO {
    PFN_HSE_IO_COMPLETION pfnHseIO;      /*  0 */
    PVOID   pContext;                    /*  8 */
    HANDLE  hFile;                       /* 16: pointer-sized, (HANDLE)(intptr_t)fd */
    LPCSTR  pszStatusCode;               /* 24 */
    DWORD   BytesToWrite;                /* 32: 0 = whole file */
    DWORD   Offset;                      /* 36 */
    PVOID   pHead;                       /* 40 */
    DWORD   HeadLength;                  /* 48 (+4 pad) */
    PVOID   pTail;                       /* 56 */
    DWORD   TailLength;                  /* 64 */
    DWORD   dwFlags;                     /* 68 */
} HSE_TF_INFO, *LPHSE_TF_INFO;

/* HSE_REQ_GET_CERT_INFO_EX: wincrypt.h's CERT_CONTEXT (Microsoft's field names,
 * order and types), defined here unless a wincrypt.h (or the including code,
 * with ISAPI_NO_WINCRYPT_TYPES) has defined it. pCertInfo and hCertStore are
 * always NULL from isapid: the certificate is in pbCertEncoded (DER). */
#ifndef X509_ASN_ENCODING
# define X509_ASN_ENCODING   0x00000001
#endif
#ifndef PKCS_7_ASN_ENCODING
# define PKCS_7_ASN_ENCODING 0x00010000
#endif

#if !defined(ISAPI_NO_WIN32_TYPES) && !defined(ISAPI_NO_WINCRYPT_TYPES) && \
    !defined(__WINCRYPT_H__) && !defined(_WINCRYPT_H_) && !defined(_WINCRYPT_H)
#define ISAPI_WINCRYPT_TYPES 1
typedef void *HCERTSTORE;
typedef struct _CERT_INFO CERT_INFO, *PCERT_INFO;   /* opaque here */

/* 40 bytes on LP64 (as on Win64). */
typedef struct _CERT_CONTEXT {
    DWORD      dwCertEncodingType;       /*  0: X509_ASN_ENCODING | PKCS_7_ASN_ENCODING */
    BYTE      *pbCertEncoded;            /*  8 */
    DWORD      cbCertEncoded;            /* 16 (+4 pad) */
    PCERT_INFO pCertInfo;                /* 24 */
    HCERTSTORE hCertStore;               /* 32 */
} CERT_CONTEXT, *PCERT_CONTEXT;
typedef const CERT_CONTEXT *PCCERT_CONTEXT;
#endif

/* HSE_REQ_GET_CERT_INFO_EX. 48 bytes on LP64. The caller allocates
 * CertContext.pbCertEncoded and says how big it is in cbAllocated. */
typedef struct _CERT_CONTEXT_EX {
    CERT_CONTEXT CertContext;            /*  0 */
    DWORD        cbAllocated;            /* 40 */
    DWORD        dwCertificateFlags;     /* 44: CERT_FLAGS (bit 0 present, bit 1 untrusted issuer) */
} CERT_CONTEXT_EX, *PCERT_CONTEXT_EX;

/* HSE_REQ_SEND_RESPONSE_HEADER_EX. 32 bytes on LP64. */
typedef struct _HSE_SEND_HEADER_EX_INFO {
    LPCSTR  pszStatus;                   /*  0 */
    LPCSTR  pszHeader;                   /*  8 */
    DWORD   cchStatus;                   /* 16 */
    DWORD   cchHeader;                   /* 20 */
    BOOL    fKeepConn;                   /* 24 (+4 pad) */
} HSE_SEND_HEADER_EX_INFO, *LPHSE_SEND_HEADER_EX_INFO;

/* HSE_REQ_MAP_URL_TO_PATH_EX. 280 bytes. */
typedef struct _HSE_URL_MAPEX_INFO {
    CHAR    lpszPath[MAX_PATH];          /*   0 */
    DWORD   dwFlags;                     /* 260 */
    DWORD   cchMatchingPath;             /* 264 */
    DWORD   cchMatchingURL;              /* 268 */
    DWORD   dwReserved1;                 /* 272 */
    DWORD   dwReserved2;                 /* 276 */
} HSE_URL_MAPEX_INFO, *LPHSE_URL_MAPEX_INFO;

/* HSE_REQ_MAP_UNICODE_URL_TO_PATH_EX (current SDK layout). 532 bytes. */
typedef struct _HSE_UNICODE_URL_MAPEX_INFO {
    WCHAR   lpszPath[MAX_PATH];          /*   0 */
    DWORD   dwFlags;                     /* 520 */
    DWORD   cchMatchingPath;             /* 524 */
    DWORD   cchMatchingURL;              /* 528 */
} HSE_UNICODE_URL_MAPEX_INFO, *LPHSE_UNICODE_URL_MAPEX_INFO;

/* HSE_REQ_EXEC_URL / HSE_REQ_EXEC_UNICODE_URL */
typedef struct _HSE_EXEC_URL_USER_INFO {
    HANDLE  hImpersonationToken;
    LPSTR   pszCustomUserName;
    LPSTR   pszCustomAuthType;
} HSE_EXEC_URL_USER_INFO, *LPHSE_EXEC_URL_USER_INFO;

typedef struct _HSE_EXEC_URL_ENTITY_INFO {
    DWORD   cbAvailable;
    LPVOID  lpbData;
} HSE_EXEC_URL_ENTITY_INFO, *LPHSE_EXEC_URL_ENTITY_INFO;

typedef struct _HSE_EXEC_URL_STATUS {
    USHORT  uHttpStatusCode;
    USHORT  uHttpSubStatus;
    DWORD   dwWin32Error;
} HSE_EXEC_URL_STATUS, *LPHSE_EXEC_URL_STATUS;

typedef struct _HSE_EXEC_URL_INFO {
    LPSTR   pszUrl;
    LPSTR   pszMethod;
    LPSTR   pszChildHeaders;
    LPHSE_EXEC_URL_USER_INFO   pUserInfo;
    LPHSE_EXEC_URL_ENTITY_INFO pEntity;
    DWORD   dwExecUrlFlags;
} HSE_EXEC_URL_INFO, *LPHSE_EXEC_URL_INFO;

typedef struct _HSE_EXEC_UNICODE_URL_USER_INFO {
    HANDLE  hImpersonationToken;
    LPWSTR  pszCustomUserName;
    LPSTR   pszCustomAuthType;
} HSE_EXEC_UNICODE_URL_USER_INFO, *LPHSE_EXEC_UNICODE_URL_USER_INFO;

typedef struct _HSE_EXEC_UNICODE_URL_INFO {
    LPWSTR  pszUrl;
    LPSTR   pszMethod;
    LPSTR   pszChildHeaders;
    LPHSE_EXEC_UNICODE_URL_USER_INFO pUserInfo;
    LPHSE_EXEC_URL_ENTITY_INFO       pEntity;
    DWORD   dwExecUrlFlags;
} HSE_EXEC_UNICODE_URL_INFO, *LPHSE_EXEC_UNICODE_URL_INFO;

/* HSE_REQ_SEND_CUSTOM_ERROR */
typedef struct _HSE_CUSTOM_ERROR_INFO {
    CHAR   *pszStatus;
    USHORT  uHttpSubError;
    BOOL    fAsync;
} HSE_CUSTOM_ERROR_INFO, *LPHSE_CUSTOM_ERROR_INFO;

/* HSE_REQ_VECTOR_SEND */
typedef struct _HSE_VECTOR_ELEMENT {
    DWORD     ElementType;               /* HSE_VECTOR_ELEMENT_TYPE_* */
    PVOID     pvContext;                 /* buffer, or file HANDLE */
    ULONGLONG cbOffset;
    ULONGLONG cbSize;
} HSE_VECTOR_ELEMENT, *LPHSE_VECTOR_ELEMENT;

typedef struct _HSE_RESPONSE_VECTOR {
    DWORD   dwFlags;                     /* HSE_IO_* */
    LPSTR   pszStatus;
    LPSTR   pszHeaders;
    DWORD   nElementCount;
    LPHSE_VECTOR_ELEMENT lpElementArray;
} HSE_RESPONSE_VECTOR, *LPHSE_RESPONSE_VECTOR;

/* HSE_REQ_GET_TRACE_INFO */
typedef struct _HSE_TRACE_INFO {
    BOOL    fTraceRequest;
    BYTE    TraceContextId[16];
    DWORD   dwReserved1;
    DWORD   dwReserved2;
} HSE_TRACE_INFO, *LPHSE_TRACE_INFO;

/* HSE_REQ_GET_CACHE_INVALIDATION_CALLBACK */
typedef HRESULT (WINAPI *PFN_HSE_CACHE_INVALIDATION_CALLBACK)(WCHAR *pszUrl);

/* HSE_REQ_GET_PROTOCOL_MANAGER_CUSTOM_INTERFACE_CALLBACK */
typedef HRESULT (WINAPI *PFN_HSE_GET_PROTOCOL_MANAGER_CUSTOM_INTERFACE_CALLBACK)(
    LPCWSTR pszProtocolManagerDll,
    LPCWSTR pszProtocolManagerDllInitFunction,
    DWORD   dwCustomInterfaceId,
    PVOID  *ppCustomInterface);

/* ------------------------------------------------------------------------ */
/* Last error: thread-local, Windows numbers, provided by the host.          */
/* (Skipped if the including code maps them itself, e.g. to errno.)          */
/* ------------------------------------------------------------------------ */

#ifndef GetLastError
ISAPI_SDK_EXPORT DWORD WINAPI GetLastError(void);
#endif
#ifndef SetLastError
ISAPI_SDK_EXPORT VOID WINAPI SetLastError(DWORD dwErrCode);
#endif

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* _HTTPEXT_H_ */
