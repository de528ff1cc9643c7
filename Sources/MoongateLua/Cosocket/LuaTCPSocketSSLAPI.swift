import CMoongate
import CLuaJIT
import MoongateCore

/// `int mg_tcp_sslhandshake(void *s, void *sess, const char *name, size_t nl, int verify,
/// int status_req, char **err)`: 0 the connection already speaks TLS, -2 yield (resumed
/// with `1` or `nil, err`), -1 error. `name` NULL: no server name; `sess` NULL: no
/// session to resume (else an SSL_SESSION from mg_tcp_sslsession).
@_cdecl("mg_tcp_sslhandshake")
public func mg_tcp_sslhandshake(
    _ p: UnsafeMutableRawPointer?, _ sess: UnsafeMutableRawPointer?, _ name: UnsafePointer<CChar>?, _ nl: Int,
    _ verify: Int32, _ statusReq: Int32, _ err: UnsafeMutablePointer<UnsafePointer<CChar>?>?
) -> Int32 {
    if let rc = cosocketCheck(err) { return rc }
    guard let p else {
        FFIError.set(err, "closed")
        return FFI.error
    }
    let s = LuaTCPSocket.of(p).takeUnretainedValue()
    guard s.usable(by: LuaRuntime.current) else {
        FFIError.set(err, "bad request")
        return FFI.badContext
    }
    guard let thread = LuaThread.running, let rt = LuaRuntime.shared else {
        FFIError.set(err, "no thread")
        return FFI.error
    }
    let serverName = name == nil ? nil : string(name, nl)
    let start = s.sslHandshake(
        serverName: serverName, verify: verify != 0, session: sess, statusRequest: statusReq != 0,
        conf: LuaLocConf.socketConf(LuaRuntime.current, rt.mainConf), thread: thread)
    switch start {
    case .done: return FFI.ok
    case .again: return FFI.again
    case .failed(let m):
        FFIError.set(err, m)
        return FFI.error
    }
}

/// `void *mg_tcp_sslsession(void *s)`: the session of the socket's TLS connection
/// (ngx_http_lua_ffi_socket_tcp_get_sslhandshake_result), a reference freed by
/// `mg_tls_session_free` (the cdata's finalizer), or NULL.
@_cdecl("mg_tcp_sslsession")
public func mg_tcp_sslsession(_ p: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    guard let p else { return nil }
    return LuaTCPSocket.of(p).takeUnretainedValue().sslSession()
}

/// `void mg_tcp_sslsession_free(void *sess)`: ngx_http_lua_ffi_ssl_free_session.
@_cdecl("mg_tcp_sslsession_free")
public func mg_tcp_sslsession_free(_ sess: UnsafeMutableRawPointer?) {
    mg_tls_session_free(sess)
}
