/// The ServerSupportFunction request codes isapid implements, and the SDK names of
/// every known code, for the "not supported" log line.
enum SupportRequest {
    static let sendURLRedirectResponse: UInt32 = 1
    static let sendURL: UInt32 = 2
    static let sendResponseHeader: UInt32 = 3
    static let doneWithSession: UInt32 = 4
    static let mapURLToPath: UInt32 = 1001
    static let appendLogParameter: UInt32 = 1003
    static let ioCompletion: UInt32 = 1005
    static let transmitFile: UInt32 = 1006
    static let isKeepConn: UInt32 = 1008
    static let asyncReadClient: UInt32 = 1010
    static let mapURLToPathEx: UInt32 = 1012
    static let getCertInfoEx: UInt32 = 1015
    static let sendResponseHeaderEx: UInt32 = 1016
    static let closeConnection: UInt32 = 1017
    static let isConnected: UInt32 = 1018

    static func name(_ code: UInt32) -> String? { names[code] }

    private static let names: [UInt32: String] = [
        1: "HSE_REQ_SEND_URL_REDIRECT_RESP", 2: "HSE_REQ_SEND_URL", 3: "HSE_REQ_SEND_RESPONSE_HEADER",
        4: "HSE_REQ_DONE_WITH_SESSION", 1001: "HSE_REQ_MAP_URL_TO_PATH", 1002: "HSE_REQ_GET_SSPI_INFO",
        1003: "HSE_APPEND_LOG_PARAMETER", 1004: "HSE_REQ_SEND_URL_EX", 1005: "HSE_REQ_IO_COMPLETION",
        1006: "HSE_REQ_TRANSMIT_FILE", 1007: "HSE_REQ_REFRESH_ISAPI_ACL", 1008: "HSE_REQ_IS_KEEP_CONN",
        1010: "HSE_REQ_ASYNC_READ_CLIENT", 1011: "HSE_REQ_GET_IMPERSONATION_TOKEN",
        1012: "HSE_REQ_MAP_URL_TO_PATH_EX", 1013: "HSE_REQ_EXECUTE_CHILD", 1014: "HSE_REQ_ABORTIVE_CLOSE",
        1015: "HSE_REQ_GET_CERT_INFO_EX", 1016: "HSE_REQ_SEND_RESPONSE_HEADER_EX",
        1017: "HSE_REQ_CLOSE_CONNECTION", 1018: "HSE_REQ_IS_CONNECTED", 1020: "HSE_REQ_EXTENSION_TRIGGER",
        1023: "HSE_REQ_MAP_UNICODE_URL_TO_PATH", 1024: "HSE_REQ_MAP_UNICODE_URL_TO_PATH_EX",
        1025: "HSE_REQ_EXEC_UNICODE_URL", 1026: "HSE_REQ_EXEC_URL", 1027: "HSE_REQ_GET_EXEC_URL_STATUS",
        1028: "HSE_REQ_SEND_CUSTOM_ERROR", 1030: "HSE_REQ_IS_IN_PROCESS", 1032: "HSE_REQ_REPORT_UNHEALTHY",
        1033: "HSE_REQ_NORMALIZE_URL", 1037: "HSE_REQ_VECTOR_SEND", 1038: "HSE_REQ_GET_ANONYMOUS_TOKEN",
        1040: "HSE_REQ_GET_CACHE_INVALIDATION_CALLBACK", 1041: "HSE_REQ_GET_UNICODE_ANONYMOUS_TOKEN",
        1042: "HSE_REQ_GET_TRACE_INFO", 1043: "HSE_REQ_SET_FLUSH_FLAG", 1044: "HSE_REQ_GET_TRACE_INFO_EX",
        1045: "HSE_REQ_RAISE_TRACE_EVENT", 1046: "HSE_REQ_GET_CONFIG_OBJECT",
        1047: "HSE_REQ_GET_WORKER_PROCESS_SETTINGS", 1048: "HSE_REQ_GET_PROTOCOL_MANAGER_CUSTOM_INTERFACE_CALLBACK",
        1049: "HSE_REQ_CANCEL_IO", 1050: "HSE_REQ_GET_CHANNEL_BINDING_TOKEN",
    ]
}
