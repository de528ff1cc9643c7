import MoongateCore
import MoongateHTTP
#if canImport(Glibc)
import Glibc
#endif

/// The FFI half of `ngx.balancer` (ngx_lua's `ngx_http_lua_ffi_balancer_*`).
private func balancerState(
    _ p: UnsafeMutableRawPointer?, _ err: UnsafeMutablePointer<UnsafePointer<CChar>?>?
) -> BalancerState? {
    guard let ctx = luaContext(p), let r = ctx.request else {
        FFIError.set(err, "no request found")
        return nil
    }
    // The balancer running now for this request: the state BalancerState.of(r) finds.
    if ctx.phase == .balancer, let run = LuaBalancer.running, run.request == ObjectIdentifier(r) {
        return run.state.takeUnretainedValue()
    }
    guard let state = BalancerState.of(r) else {
        FFIError.set(err, "no upstream found")
        return nil
    }
    guard ctx.phase == .balancer else {
        FFIError.set(err, "API disabled in the current context")
        return nil
    }
    return state
}

/// The host of the last `set_current_peer` (the worker's one thread calls it).
nonisolated(unsafe) private var lastPeerHost: String?

/// The arguments of the last successful `set_current_peer` and what they gave (the
/// worker's one thread calls it): the same address and port again (the usual case) take
/// that result without the address being checked again (its checks depend on nothing
/// else). Optionals: nil globals are laid out at build time (no lazy initializer).
nonisolated(unsafe) private var lastPeerArgs: [UInt8]? = nil
nonisolated(unsafe) private var lastPeerArgPort: Int32 = 0
nonisolated(unsafe) private var lastPeerResult: (host: String, port: Int)? = nil

/// `int mg_balancer_set_current_peer(r, addr, len, port, err)`.
@_cdecl("mg_balancer_set_current_peer")
public func mg_balancer_set_current_peer(
    _ p: UnsafeMutableRawPointer?, _ addr: UnsafePointer<UInt8>?, _ len: Int, _ port: Int32,
    _ err: UnsafeMutablePointer<UnsafePointer<CChar>?>?
) -> Int32 {
    guard let state = balancerState(p, err) else { return FFI.error }
    // Byte-level: Character-level String scans cost ~14k instructions per call here.
    let b = UnsafeBufferPointer(start: addr, count: addr == nil ? 0 : len)
    if port == lastPeerArgPort, let args = lastPeerArgs, let base = b.baseAddress, args.count == b.count,
        args.withUnsafeBytes({ memcmp($0.baseAddress!, base, b.count) == 0 }), let last = lastPeerResult
    {
        state.chosen = last
        return FFI.ok
    }
    var hostStart = 0
    var hostEnd = b.count
    var portValue = Int(port)
    /// The decimal number in b[from..<to], nil if empty, not digits or too long.
    func number(_ from: Int, _ to: Int) -> Int? {
        guard to > from, to - from <= 9 else { return nil }
        var v = 0
        for i in from..<to {
            let d = b[i] &- 48
            guard d < 10 else { return nil }
            v = v * 10 + Int(d)
        }
        return v
    }
    if b.count > 0 && b[0] == UInt8(ascii: "[") {
        guard let close = b.firstIndex(of: UInt8(ascii: "]")) else {
            FFIError.set(err, "invalid IPv6 address")
            return FFI.error
        }
        if close + 1 < b.count && b[close + 1] == UInt8(ascii: ":"), let p = number(close + 2, b.count) {
            portValue = p
        }
        hostStart = 1
        hostEnd = close
    } else {
        var colons = 0
        var colon = 0
        for i in 0..<b.count where b[i] == UInt8(ascii: ":") {
            colons += 1
            colon = i
        }
        if colons == 1 {
            guard let p = number(colon + 1, b.count), p > 0, p < 65536 else {
                FFIError.set(err, "invalid port")
                return FFI.error
            }
            portValue = p
            hostEnd = colon
        }
    }
    if hostEnd <= hostStart {
        FFIError.set(err, "no host")
        return FFI.error
    }
    var isV6 = false
    var isV4 = true
    var parts = 0
    var partStart = hostStart
    for i in hostStart...hostEnd {
        if i == hostEnd || b[i] == UInt8(ascii: ".") {
            if let v = number(partStart, i), v <= 255 {} else { isV4 = false }
            parts += 1
            partStart = i + 1
        } else if b[i] == UInt8(ascii: ":") {
            isV6 = true
        }
    }
    isV4 = isV4 && parts == 4
    if !isV4 && !isV6 {
        FFIError.set(err, "no host allowed")
        return FFI.error
    }
    if portValue <= 0 || portValue > 65535 {
        FFIError.set(err, "invalid port")
        return FFI.error
    }
    let hostBytes = UnsafeBufferPointer(rebasing: b[hostStart..<hostEnd])
    // The same host as the last call (the usual case) reuses its String.
    let host: String
    if var last = lastPeerHost,
        last.withUTF8({ $0.count == hostBytes.count && memcmp($0.baseAddress!, hostBytes.baseAddress!, $0.count) == 0 })
    {
        host = last
    } else {
        host = String(decoding: hostBytes, as: UTF8.self)
        lastPeerHost = host
    }
    state.chosen = (host, portValue)
    if b.count > 0 {
        lastPeerArgs = Array(b)
        lastPeerArgPort = port
        lastPeerResult = (host, portValue)
    }
    return FFI.ok
}

/// `int mg_balancer_set_more_tries(r, count, err)`: `err` carries a warning on success.
@_cdecl("mg_balancer_set_more_tries")
public func mg_balancer_set_more_tries(
    _ p: UnsafeMutableRawPointer?, _ count: Int32, _ err: UnsafeMutablePointer<UnsafePointer<CChar>?>?
) -> Int32 {
    guard let state = balancerState(p, err) else { return FFI.error }
    let maxTries = state.maxTries == 0 ? 3 : state.maxTries
    let total = state.totalTries + state.triesLeft - 1
    var n = Int(count)
    if total + n > maxTries {
        n = max(0, maxTries - total)
        FFIError.set(err, "reduced tries due to limit")
    } else {
        err?.pointee = nil
    }
    state.moreTries = n
    return FFI.ok
}

/// `int mg_balancer_get_last_failure(r, int *status, err)`: 0, 2 (next) or 4 (failed).
@_cdecl("mg_balancer_get_last_failure")
public func mg_balancer_get_last_failure(
    _ p: UnsafeMutableRawPointer?, _ status: UnsafeMutablePointer<Int32>?,
    _ err: UnsafeMutablePointer<UnsafePointer<CChar>?>?
) -> Int32 {
    guard let state = balancerState(p, err) else { return FFI.error }
    status?.pointee = Int32(state.totalTries > 1 ? state.lastStatus : 0)
    return Int32(state.totalTries > 1 ? state.lastPeerState : 0)
}

/// `int mg_balancer_set_timeouts(r, connect, send, read, err)` in milliseconds (0 = keep).
@_cdecl("mg_balancer_set_timeouts")
public func mg_balancer_set_timeouts(
    _ p: UnsafeMutableRawPointer?, _ connect: Int, _ send: Int, _ read: Int,
    _ err: UnsafeMutablePointer<UnsafePointer<CChar>?>?
) -> Int32 {
    guard let state = balancerState(p, err) else { return FFI.error }
    if connect > 0 { state.connectTimeout = connect }
    if send > 0 { state.sendTimeout = send }
    if read > 0 { state.readTimeout = read }
    return FFI.ok
}

/// `int mg_balancer_recreate_request(r, err)`: rebuild the upstream request before the try.
@_cdecl("mg_balancer_recreate_request")
public func mg_balancer_recreate_request(
    _ p: UnsafeMutableRawPointer?, _ err: UnsafeMutablePointer<UnsafePointer<CChar>?>?
) -> Int32 {
    guard let state = balancerState(p, err) else { return FFI.error }
    state.recreateRequest = true
    return FFI.ok
}

/// `int mg_balancer_enable_keepalive(r, timeout_ms, max_requests, err)`.
@_cdecl("mg_balancer_enable_keepalive")
public func mg_balancer_enable_keepalive(
    _ p: UnsafeMutableRawPointer?, _ timeout: Int, _ requests: Int,
    _ err: UnsafeMutablePointer<UnsafePointer<CChar>?>?
) -> Int32 {
    guard let state = balancerState(p, err) else { return FFI.error }
    guard state.chosen != nil else {
        FFIError.set(err, "no current peer set")
        return FFI.error
    }
    state.keepalive = (timeout, requests)
    return FFI.ok
}
