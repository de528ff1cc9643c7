import CLuaJIT
import MoongateCore
#if canImport(Glibc)
import Glibc
#endif

// FFI of ngx.socket.tcp (lua/resty/core/socket_tcp.lua). A socket handle points to the
// Lua object's `mg_tcp_ref_t`, whose first field is a retained `LuaTCPSocket` pointer,
// released by the Lua object's finalizer or when the owner request ends
// (`LuaTCPSocket.detach`).

/// Phases where cosockets work (ngx_lua: rewrite, access, content, timer, ssl_cert...).
let cosocketPhases: LuaPhase = [.rewrite, .access, .content, .timer, .serverRewrite, .precontent, .sslCert]

/// The socket behind `p` if the running request may use it; else `err` says why. Not
/// retained: the Lua object holding the reference is on the caller's stack for the
/// whole call, so callers use it through `_withUnsafeGuaranteedRef` (no retain and
/// release per FFI call).
@inline(__always)
private func tcpFor(_ p: UnsafeMutableRawPointer?, _ err: UnsafeMutablePointer<UnsafePointer<CChar>?>?) -> Unmanaged<LuaTCPSocket>? {
    guard let p else {
        FFIError.set(err, "bad socket")
        return nil
    }
    let u = LuaTCPSocket.of(p)
    guard u._withUnsafeGuaranteedRef({ $0.usable(bySerial: LuaRuntime.currentSerial) }) else {
        FFIError.set(err, "bad request")
        return nil
    }
    return u
}

/// The context check every cosocket call makes: nil, or the status with `err` set.
func cosocketCheck(_ err: UnsafeMutablePointer<UnsafePointer<CChar>?>?) -> Int32? {
    // init_by_lua has no (fake) request in ngx_lua.
    guard let phase = LuaRuntime.currentPhase, phase != .initPhase else {
        FFIError.set(err, "no request found")
        return FFI.noRequest
    }
    guard cosocketPhases.contains(phase) else {
        FFIError.set(err, "API disabled in the context of \(phase.contextName)")
        return FFI.badContext
    }
    return nil
}

/// `int mg_tcp_new(void **out, char **err)`.
@_cdecl("mg_tcp_new")
public func mg_tcp_new(_ out: UnsafeMutablePointer<UnsafeMutableRawPointer?>?, _ err: UnsafeMutablePointer<UnsafePointer<CChar>?>?) -> Int32 {
    if let rc = cosocketCheck(err) { return rc }
    guard let rt = LuaRuntime.shared else { return FFI.error }
    // The running context read in place (the running thread holds it).
    let s: LuaTCPSocket
    if let cu = LuaRuntime.currentUnretained {
        s = cu._withUnsafeGuaranteedRef { LuaTCPSocket.make(conf: LuaLocConf.socketConf($0, rt.mainConf)) }
    } else {
        s = LuaTCPSocket.make(conf: LuaLocConf.socketConf(nil, rt.mainConf))
    }
    s.attach(out)
    return FFI.ok
}

/// `void mg_tcp_gc(mg_tcp_ref_t *ref)`.
@_cdecl("mg_tcp_gc")
public func mg_tcp_gc(_ p: UnsafeMutableRawPointer?) {
    // A handle detached at its request's end holds no socket.
    guard let p, let sp = p.load(as: UnsafeMutableRawPointer?.self) else { return }
    p.storeBytes(of: nil, as: UnsafeMutableRawPointer?.self)
    // The Lua object's reference, now ours: kept as a spare or released here.
    var s = Unmanaged<LuaTCPSocket>.fromOpaque(sp).takeRetainedValue()
    s.luaRef = nil
    _ = s.close()
    LuaTCPSocket.recycle(&s)
}

/// `int mg_tcp_connect(void *s, const char *host, size_t hl, int port, const char *pool,
/// size_t pl, int pool_size, int backlog, char **err)`: 0 connected (from the pool),
/// -2 yield, -1 error. `backlog` < 0: none.
@_cdecl("mg_tcp_connect")
public func mg_tcp_connect(
    _ p: UnsafeMutableRawPointer?, _ host: UnsafePointer<CChar>?, _ hl: Int, _ port: Int32,
    _ pool: UnsafePointer<CChar>?, _ pl: Int, _ poolSize: Int32, _ backlog: Int32,
    _ err: UnsafeMutablePointer<UnsafePointer<CChar>?>?
) -> Int32 {
    if let rc = cosocketCheck(err) { return rc }
    guard let su = tcpFor(p, err) else { return FFI.badContext }
    guard let tu = LuaThread.runningUnretained else {
        FFIError.set(err, "no thread")
        return FFI.error
    }
    let poolName = pool.map { UnsafeRawBufferPointer(start: $0, count: pl) }
    let r = su._withUnsafeGuaranteedRef { s in
        tu._withUnsafeGuaranteedRef { thread in
            s.connect(
                host: UnsafeRawBufferPointer(start: host, count: host == nil ? 0 : hl), port: Int(port), pool: poolName,
                poolSize: poolSize > 0 ? Int(poolSize) : nil, backlog: backlog >= 0 ? Int(backlog) : nil, thread: thread)
        }
    }
    switch r {
    case .done: return FFI.ok
    case .again: return FFI.again
    case .failed(let m):
        FFIError.set(err, m)
        return FFI.error
    }
}

/// `int mg_tcp_receive(void *s, int kind, int n, const unsigned char *pat, size_t pl,
/// int inclusive, const unsigned char **out, size_t *outl, int *found, char **err)`:
/// kind 0 "*l", 1 "*a", 2 size n, 3 receiveany(n), 4 receiveuntil (n = size or -1).
/// 0 data, -1 `err` with the partial data in `out`, -2 yield, -4 boundary (nil).
@_cdecl("mg_tcp_receive")
public func mg_tcp_receive(
    _ p: UnsafeMutableRawPointer?, _ kind: Int32, _ n: Int32, _ pat: UnsafePointer<UInt8>?, _ pl: Int,
    _ inclusive: Int32, _ out: UnsafeMutablePointer<UnsafePointer<UInt8>?>?, _ outl: UnsafeMutablePointer<Int>?,
    _ found: UnsafeMutablePointer<Int32>?, _ err: UnsafeMutablePointer<UnsafePointer<CChar>?>?
) -> Int32 {
    if let rc = cosocketCheck(err) { return rc }
    guard let su = tcpFor(p, err) else { return FFI.badContext }
    guard let tu = LuaThread.runningUnretained else {
        FFIError.set(err, "no thread")
        return FFI.error
    }
    let pattern: LuaTCPSocket.Pattern
    switch kind {
    case 0: pattern = .line
    case 1: pattern = .all
    case 2: pattern = .size(Int(n))
    case 3: pattern = .any(Int(n))
    default:
        let bytes = pat.map { Array(UnsafeBufferPointer(start: $0, count: pl)) } ?? []
        pattern = .until(bytes, inclusive: inclusive != 0, size: n >= 0 ? Int(n) : nil)
    }
    return su._withUnsafeGuaranteedRef { s in
        guard let r = tu._withUnsafeGuaranteedRef({ s.receive(pattern, thread: $0) }) else { return FFI.again }
        found?.pointee = 0
        switch r {
        case .data(let d, let f):
            found?.pointee = f ? 1 : 0
            d.withUnsafeBytes { FFIScratch.put(bytes: $0, out, outl) }
            return FFI.ok
        case .buffered:
            // The socket's buffer: Lua copies it before its next call on the socket.
            out?.pointee = UnsafePointer(s.out)
            outl?.pointee = s.outCount
            return FFI.ok
        case .fail(let e, let partial):
            FFIError.set(err, e)
            partial.withUnsafeBytes { FFIScratch.put(bytes: $0, out, outl) }
            return FFI.error
        case .done:
            return FFI.done
        }
    }
}

/// `int mg_tcp_send(void *s, const unsigned char *data, size_t len, char **err)`:
/// -2 yield (resumed with the byte count or nil, err), -1 error.
@_cdecl("mg_tcp_send")
public func mg_tcp_send(
    _ p: UnsafeMutableRawPointer?, _ data: UnsafePointer<UInt8>?, _ len: Int, _ err: UnsafeMutablePointer<UnsafePointer<CChar>?>?
) -> Int32 {
    if let rc = cosocketCheck(err) { return rc }
    guard let su = tcpFor(p, err) else { return FFI.badContext }
    guard let tu = LuaThread.runningUnretained else {
        FFIError.set(err, "no thread")
        return FFI.error
    }
    let bytes = UnsafeRawBufferPointer(start: data, count: len)
    return su._withUnsafeGuaranteedRef { s in
        let now = s.trySendNow(bytes)
        if now == len && len > 0 { return FFI.ok }  // all written: no yield
        if let e = tu._withUnsafeGuaranteedRef({ s.send(UnsafeRawBufferPointer(rebasing: bytes[now...]), thread: $0, total: len) }) {
            FFIError.set(err, e)
            return FFI.error
        }
        return FFI.again
    }
}

/// `int mg_tcp_settimeouts(void *s, int connect, int send, int read)`: -1 keeps a value.
@_cdecl("mg_tcp_settimeouts")
public func mg_tcp_settimeouts(_ p: UnsafeMutableRawPointer?, _ c: Int32, _ w: Int32, _ r: Int32) -> Int32 {
    guard let p else { return FFI.error }
    LuaTCPSocket.of(p)._withUnsafeGuaranteedRef { s in
        if c >= 0 { s.connectTimeout = Int(c) }
        if w >= 0 { s.sendTimeout = Int(w) }
        if r >= 0 { s.readTimeout = Int(r) }
    }
    return FFI.ok
}

/// `int mg_tcp_setkeepalive(void *s, int timeout, int size, char **err)`: -1 = default.
@_cdecl("mg_tcp_setkeepalive")
public func mg_tcp_setkeepalive(
    _ p: UnsafeMutableRawPointer?, _ timeout: Int32, _ size: Int32, _ err: UnsafeMutablePointer<UnsafePointer<CChar>?>?
) -> Int32 {
    if let rc = cosocketCheck(err) { return rc }
    guard let su = tcpFor(p, err) else { return FFI.badContext }
    guard let rt = LuaRuntime.shared else { return FFI.error }
    // The location's settings only for the default timeout (most callers give one).
    if let e = su._withUnsafeGuaranteedRef({ s in
        s.setKeepalive(
            timeoutMs: timeout >= 0 ? Int(timeout) : nil, size: size > 0 ? Int(size) : nil,
            defaultTimeout: { LuaLocConf.socketConf(LuaRuntime.current, rt.mainConf).socketKeepaliveTimeout })
    }) {
        FFIError.set(err, e)
        return FFI.error
    }
    return FFI.ok
}

/// `int mg_tcp_reused(void *s)`: reuse count, -1 when not connected.
@_cdecl("mg_tcp_reused")
public func mg_tcp_reused(_ p: UnsafeMutableRawPointer?) -> Int32 {
    guard let p else { return -1 }
    return LuaTCPSocket.of(p)._withUnsafeGuaranteedRef { s in s.isConnected ? Int32(s.reusedTimes) : -1 }
}

/// `int mg_tcp_close(void *s, char **err)`.
@_cdecl("mg_tcp_close")
public func mg_tcp_close(_ p: UnsafeMutableRawPointer?, _ err: UnsafeMutablePointer<UnsafePointer<CChar>?>?) -> Int32 {
    if let rc = cosocketCheck(err) { return rc }
    guard let su = tcpFor(p, err) else { return FFI.badContext }
    if let e = su._withUnsafeGuaranteedRef({ $0.close() }) {
        FFIError.set(err, e)
        return FFI.error
    }
    return FFI.ok
}

/// `int mg_req_socket(void **out, char **err)`: a socket reading the request body
/// (`ngx.req.socket()`); -1 with "no body" or another reason.
@_cdecl("mg_req_socket")
public func mg_req_socket(_ out: UnsafeMutablePointer<UnsafeMutableRawPointer?>?, _ err: UnsafeMutablePointer<UnsafePointer<CChar>?>?) -> Int32 {
    if let rc = cosocketCheck(err) { return rc }
    guard let ctx = LuaRuntime.current, let r = ctx.request, let rt = LuaRuntime.shared else {
        FFIError.set(err, "no request found")
        return FFI.noRequest
    }
    // ngx_lua 0.10.23's order: a chunked body first, then no body.
    if r.head.chunked {
        FFIError.set(err, "chunked request bodies not supported yet")
        return FFI.error
    }
    if (r.head.contentLength ?? 0) <= 0 {
        FFIError.set(err, "no body")
        return FFI.error
    }
    // ngx_lua marks the body as taken; a second call finds it there.
    if r.moduleContexts["lua_req_socket"] != nil {
        FFIError.set(err, "request body already exists")
        return FFI.error
    }
    let s = LuaTCPSocket(conf: LuaLocConf.socketConf(LuaRuntime.current, rt.mainConf))
    r.moduleContexts["lua_req_socket"] = s
    s.attachBody(ctx, r)
    s.attach(out)
    return FFI.ok
}

/// `int mg_req_socket_raw(void **out, char **err)`: the client connection itself
/// (`ngx.req.socket(true)`, ngx_http_lua_req_socket's raw branch); -1 with
/// ngx_lua's reasons.
@_cdecl("mg_req_socket_raw")
public func mg_req_socket_raw(
    _ out: UnsafeMutablePointer<UnsafeMutableRawPointer?>?, _ err: UnsafeMutablePointer<UnsafePointer<CChar>?>?
) -> Int32 {
    if let rc = cosocketCheck(err) { return rc }
    guard let ctx = LuaRuntime.current, let r = ctx.request, let rt = LuaRuntime.shared else {
        FFIError.set(err, "no request found")
        return FFI.noRequest
    }
    if ctx.bodyRead && !r.body.complete {
        FFIError.set(err, "pending request body reading in some other thread")
        return FFI.error
    }
    // Output the kernel did not take yet (a big print the client is slow to read).
    if r.connection.flushAndCountPending() > 0 {
        FFIError.set(err, "pending data to write")
        return FFI.error
    }
    // Output held back for an HTTP/1.0 client (lua_http10_buffering).
    if ctx.http10Buffer != nil {
        FFIError.set(err, "http 1.0 buffering")
        return FFI.error
    }
    r.markRawResponse()
    if r.moduleContexts["lua_raw_req_socket"] != nil {
        FFIError.set(err, "duplicate call")
        return FFI.error
    }
    let s = LuaTCPSocket(conf: LuaLocConf.socketConf(LuaRuntime.current, rt.mainConf))
    r.moduleContexts["lua_raw_req_socket"] = s
    ctx.rawSocketAcquired = true
    // A body the handler did not read is raw bytes of the connection.
    // A chunked body keeps its framing on the wire: the raw bytes, not the decoded ones.
    let prefix =
        ctx.bodyRead || r.body.replaced
        ? [] : r.head.chunked && r.body.keepRaw ? r.body.raw : Array(r.body.data)
    s.attachRaw(ctx, r.connection, prefix: prefix)
    s.attach(out)
    return FFI.ok
}
