import CISAPI
import Foundation

/// The four functions an extension calls through its ECB. Each validates its ConnID and
/// pointers (FALSE with ERROR_INVALID_PARAMETER, never a crash), then hands over to the
/// session. Every FALSE sets the thread's last error and then errno (`isapi_fail`).
enum ECBCallbacks {
    static func install(in ecb: UnsafeMutablePointer<EXTENSION_CONTROL_BLOCK>) {
        _ = slowPathInstalled
        ecb.pointee.GetServerVariable = getServerVariable
        // The C fast path (small writes held in the session), falling back to `writeClient`.
        ecb.pointee.WriteClient = isapi_write_client
        ecb.pointee.ReadClient = readClient
        ecb.pointee.ServerSupportFunction = serverSupportFunction
    }

    static let success: BOOL = 1

    private static let slowPathInstalled: Void = isapi_set_write_slow_path(writeClient)

    /// The live session a ConnID stands for, noting that its extension is active (only
    /// a PENDING request under ISAPIFakeAsync waits on that clock: without it, a callback
    /// takes no lock and reads no clock for it).
    static func liveSession(_ connID: HCONN?) -> ExtensionSession? {
        guard let session = SessionTable.session(connID) else { return nil }
        if session.settings.fakeAsync { session.done.noteActivity() }
        return session
    }

    static func fail(_ error: Int) -> BOOL {
        isapi_fail(DWORD(error))
        return 0
    }

    static let getServerVariable: @convention(c) (HCONN?, LPSTR?, LPVOID?, LPDWORD?) -> BOOL = { connID, name, buffer, size in
        guard let session = liveSession(connID), let name, let size else { return fail(ERROR_INVALID_PARAMETER) }
        guard let value = ServerVariables(request: session.request).value(String(cString: name)) else {
            return fail(ERROR_INVALID_INDEX)
        }
        return copyOut(value, buffer, size)
    }

    /// Copies `value` and a NUL into the caller's buffer (ERROR_INSUFFICIENT_BUFFER and
    /// the size needed when it is too small): GetServerVariable of extensions and filters,
    /// and a filter's GetHeader.
    static func copyOut(_ value: String, _ buffer: LPVOID?, _ size: LPDWORD) -> BOOL {
        let bytes = Array(value.utf8)
        let needed = bytes.count + 1
        guard let buffer, Int(size.pointee) >= needed else {
            size.pointee = DWORD(clamping: needed)
            return fail(ERROR_INSUFFICIENT_BUFFER)
        }
        buffer.copyMemory(from: bytes, byteCount: bytes.count)
        buffer.storeBytes(of: 0, toByteOffset: bytes.count, as: UInt8.self)
        size.pointee = DWORD(needed)
        return success
    }

    static let writeClient: @convention(c) (HCONN?, LPVOID?, LPDWORD?, DWORD) -> BOOL = { connID, buffer, size, flags in
        guard let session = liveSession(connID), let size else { return fail(ERROR_INVALID_PARAMETER) }
        let count = Int(size.pointee)
        guard buffer != nil || count == 0 else { return fail(ERROR_INVALID_PARAMETER) }
        let asyncFlag = DWORD(HSE_IO_ASYNC)
        let allowed = DWORD(HSE_IO_SYNC) | (session.settings.fakeAsync ? asyncFlag : 0)
        guard flags & ~allowed == 0 else { return fail(ERROR_INVALID_PARAMETER) }
        let bytes = UnsafeRawBufferPointer(start: buffer, count: count)
        let error = session.write(bytes)
        if flags & asyncFlag != 0 {
            // ISAPIFakeAsync: the write happened; its completion runs before we return.
            session.complete(bytes: count, error: error ?? 0)
            return success
        }
        if let error { return fail(Int(error)) }
        return success
    }

    static let readClient: @convention(c) (HCONN?, LPVOID?, LPDWORD?) -> BOOL = { connID, buffer, size in
        guard let session = liveSession(connID), let size else { return fail(ERROR_INVALID_PARAMETER) }
        let capacity = Int(size.pointee)
        guard capacity == 0 || buffer != nil else { return fail(ERROR_INVALID_PARAMETER) }
        // The client may be waiting for what was written before it sends more.
        session.handOverHeld()
        guard let read = session.read(into: UnsafeMutableRawBufferPointer(start: buffer, count: capacity)) else {
            size.pointee = 0
            return fail(ERROR_READ_FAULT)
        }
        size.pointee = DWORD(read)
        return success
    }

    static let serverSupportFunction: @convention(c) (HCONN?, DWORD, LPVOID?, LPDWORD?, LPDWORD?) -> BOOL = {
        connID, code, buffer, size, dataType in
        guard let session = liveSession(connID) else { return fail(ERROR_INVALID_PARAMETER) }
        // What was written goes before whatever the support function does (a head check,
        // a file, the end of the session, a wait).
        session.handOverHeld()
        if let error = session.support(code, buffer: buffer, size: size, dataType: dataType) { return fail(Int(error)) }
        return success
    }
}
