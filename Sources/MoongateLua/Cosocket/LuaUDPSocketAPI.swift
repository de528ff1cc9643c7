import CLuaJIT
import MoongateCore
#if canImport(Glibc)
import Glibc
#endif

// FFI of ngx.socket.udp (lua/resty/core/socket_udp.lua).

@inline(__always) private func udp(_ p: UnsafeMutableRawPointer?) -> LuaUDPSocket? {
    guard let p else { return nil }
    return Unmanaged<LuaUDPSocket>.fromOpaque(p).takeUnretainedValue()
}

/// ngx_lua's order of checks: a closed socket says "closed" (the caller's own check),
/// an open one whose peer another request or timer set raises "bad request".
@inline(__always) private func foreign(_ s: LuaUDPSocket, _ err: UnsafeMutablePointer<UnsafePointer<CChar>?>?) -> Bool {
    if s.usable(bySerial: LuaRuntime.currentSerial) { return false }
    FFIError.set(err, "bad request")
    return true
}

/// `int mg_udp_new(void **out, char **err)`.
@_cdecl("mg_udp_new")
public func mg_udp_new(_ out: UnsafeMutablePointer<UnsafeMutableRawPointer?>?, _ err: UnsafeMutablePointer<UnsafePointer<CChar>?>?) -> Int32 {
    if let rc = cosocketCheck(err) { return rc }
    guard let rt = LuaRuntime.shared else { return FFI.error }
    out?.pointee = Unmanaged.passRetained(LuaUDPSocket(conf: LuaLocConf.socketConf(LuaRuntime.current, rt.mainConf))).toOpaque()
    return FFI.ok
}

/// `void mg_udp_gc(void *s)`.
@_cdecl("mg_udp_gc")
public func mg_udp_gc(_ p: UnsafeMutableRawPointer?) {
    guard let p else { return }
    let s = Unmanaged<LuaUDPSocket>.fromOpaque(p)
    s.takeUnretainedValue().close()
    s.release()
}

/// `int mg_udp_setpeername(void *s, const char *host, size_t hl, int port, char **err)`:
/// -2 yield (resumed with 1 or nil, err), -1 error.
@_cdecl("mg_udp_setpeername")
public func mg_udp_setpeername(
    _ p: UnsafeMutableRawPointer?, _ host: UnsafePointer<CChar>?, _ hl: Int, _ port: Int32,
    _ err: UnsafeMutablePointer<UnsafePointer<CChar>?>?
) -> Int32 {
    if let rc = cosocketCheck(err) { return rc }
    guard let s = udp(p), let thread = LuaThread.running else {
        FFIError.set(err, "no thread")
        return FFI.error
    }
    if foreign(s, err) { return FFI.badContext }
    switch s.setPeer(host: string(host, hl), port: Int(port), thread: thread) {
    case .done: return FFI.ok
    case .again: return FFI.again
    case .failed(let m):
        FFIError.set(err, m)
        return FFI.error
    }
}

/// `int mg_udp_send(void *s, const unsigned char *d, size_t len, char **err)`.
@_cdecl("mg_udp_send")
public func mg_udp_send(
    _ p: UnsafeMutableRawPointer?, _ d: UnsafePointer<UInt8>?, _ len: Int, _ err: UnsafeMutablePointer<UnsafePointer<CChar>?>?
) -> Int32 {
    if let rc = cosocketCheck(err) { return rc }
    guard let s = udp(p) else { return FFI.error }
    if foreign(s, err) { return FFI.badContext }
    if let e = s.send(UnsafeRawBufferPointer(start: d, count: len)) {
        FFIError.set(err, e)
        return FFI.error
    }
    return FFI.ok
}

/// `int mg_udp_receive(void *s, int size, const unsigned char **out, size_t *outl,
/// char **err)`: 0 data, -1 error, -2 yield.
@_cdecl("mg_udp_receive")
public func mg_udp_receive(
    _ p: UnsafeMutableRawPointer?, _ size: Int32, _ out: UnsafeMutablePointer<UnsafePointer<UInt8>?>?,
    _ outl: UnsafeMutablePointer<Int>?, _ err: UnsafeMutablePointer<UnsafePointer<CChar>?>?
) -> Int32 {
    if let rc = cosocketCheck(err) { return rc }
    guard let s = udp(p), let thread = LuaThread.running else {
        FFIError.set(err, "no thread")
        return FFI.error
    }
    if foreign(s, err) { return FFI.badContext }
    guard let r = s.receive(size: Int(size), thread: thread) else { return FFI.again }
    switch r {
    case .success(let d):
        d.withUnsafeBytes { FFIScratch.put(bytes: $0, out, outl) }
        return FFI.ok
    case .failure(let e):
        FFIError.set(err, e.message)
        return FFI.error
    }
}

/// `int mg_udp_settimeout(void *s, int ms)`.
@_cdecl("mg_udp_settimeout")
public func mg_udp_settimeout(_ p: UnsafeMutableRawPointer?, _ ms: Int32) -> Int32 {
    guard let s = udp(p) else { return FFI.error }
    s.readTimeout = Int(ms)
    return FFI.ok
}

/// `int mg_udp_close(void *s, char **err)`.
@_cdecl("mg_udp_close")
public func mg_udp_close(_ p: UnsafeMutableRawPointer?, _ err: UnsafeMutablePointer<UnsafePointer<CChar>?>?) -> Int32 {
    if let rc = cosocketCheck(err) { return rc }
    guard let s = udp(p) else { return FFI.error }
    if foreign(s, err) { return FFI.badContext }
    if !s.close() {
        FFIError.set(err, "closed")
        return FFI.error
    }
    return FFI.ok
}
