import CLuaJIT
import MoongateCore

/// `int mg_tcp_sslhandshake(void *s, const char *name, size_t nl, int verify, char **err)`:
/// 0 the connection already speaks TLS, -2 yield (resumed with `1` or `nil, err`),
/// -1 error. `name` NULL: no server name.
@_cdecl("mg_tcp_sslhandshake")
public func mg_tcp_sslhandshake(
    _ p: UnsafeMutableRawPointer?, _ name: UnsafePointer<CChar>?, _ nl: Int, _ verify: Int32,
    _ err: UnsafeMutablePointer<UnsafePointer<CChar>?>?
) -> Int32 {
    if let rc = cosocketCheck(err) { return rc }
    guard let p else {
        FFIError.set(err, "closed")
        return FFI.error
    }
    let s = Unmanaged<LuaTCPSocket>.fromOpaque(p).takeUnretainedValue()
    guard s.usable(by: LuaRuntime.current) else {
        FFIError.set(err, "bad request")
        return FFI.badContext
    }
    guard let thread = LuaThread.running, let rt = LuaRuntime.shared else {
        FFIError.set(err, "no thread")
        return FFI.error
    }
    let serverName = name == nil ? nil : string(name, nl)
    switch s.sslHandshake(serverName: serverName, verify: verify != 0, conf: rt.mainConf, thread: thread) {
    case .done: return FFI.ok
    case .again: return FFI.again
    case .failed(let m):
        FFIError.set(err, m)
        return FFI.error
    }
}
