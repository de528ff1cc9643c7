import CLuaJIT
import MoongateCore
import MoongateHTTP
#if canImport(Glibc)
import Glibc
#endif

/// Status codes the FFI returns (nginx's values).
enum FFI {
    static let ok: Int32 = 0
    static let error: Int32 = -1
    static let again: Int32 = -2
    static let busy: Int32 = -3
    static let done: Int32 = -4
    static let declined: Int32 = -5
    static let noRequest: Int32 = -100
    static let badContext: Int32 = -101
}

/// Error messages handed to Lua through `const char **err`. Each message is kept in a
/// small ring of buffers so that the pointer stays valid until Lua copied it.
enum FFIError {
    nonisolated(unsafe) private static var ring: [UnsafeMutablePointer<CChar>] = (0..<8).map { _ in
        UnsafeMutablePointer<CChar>.allocate(capacity: 1024)
    }
    nonisolated(unsafe) private static var next = 0

    static func set(_ err: UnsafeMutablePointer<UnsafePointer<CChar>?>?, _ message: String) {
        guard let err else { return }
        let buf = ring[next]
        next = (next + 1) % ring.count
        var m = message
        m.withUTF8 { u in
            let n = min(u.count, 1023)
            if n > 0 { memcpy(buf, u.baseAddress!, n) }
            buf[n] = 0
        }
        err.pointee = UnsafePointer(buf)
    }
}

/// Memory that FFI getters return pointers into; valid until the next call that uses it.
enum FFIScratch {
    nonisolated(unsafe) private static var buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: 4096)
    nonisolated(unsafe) private static var capacity = 4096
    nonisolated(unsafe) private static var alt = UnsafeMutablePointer<UInt8>.allocate(capacity: 4096)
    nonisolated(unsafe) private static var altCapacity = 4096

    /// Copies `s` into the scratch buffer and returns the pointer and length.
    static func put(
        _ s: String, _ out: UnsafeMutablePointer<UnsafePointer<UInt8>?>?, _ len: UnsafeMutablePointer<Int>?
    ) {
        // Client bytes that are not UTF-8 go back to Lua as the bytes they were.
        LogBytes.withBytes(s) { put(bytes: $0, out, len) }
    }

    static func put(
        bytes u: UnsafeRawBufferPointer, _ out: UnsafeMutablePointer<UnsafePointer<UInt8>?>?,
        _ len: UnsafeMutablePointer<Int>?
    ) {
        if u.count > capacity {
            buffer.deallocate()
            capacity = max(u.count, capacity * 2)
            buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        }
        if u.count > 0 { memcpy(buffer, u.baseAddress!, u.count) }
        out?.pointee = UnsafePointer(buffer)
        len?.pointee = u.count
    }

    /// A second buffer for calls that return two strings (key and value).
    static func putPair(
        _ k: String, _ v: String, _ ko: UnsafeMutablePointer<UnsafePointer<UInt8>?>?,
        _ kl: UnsafeMutablePointer<Int>?, _ vo: UnsafeMutablePointer<UnsafePointer<UInt8>?>?,
        _ vl: UnsafeMutablePointer<Int>?
    ) {
        put(v, vo, vl)
        LogBytes.withBytes(k) { u in
            if u.count > altCapacity {
                alt.deallocate()
                altCapacity = max(u.count, altCapacity * 2)
                alt = UnsafeMutablePointer<UInt8>.allocate(capacity: altCapacity)
            }
            if u.count > 0 { memcpy(alt, u.baseAddress!, u.count) }
            ko?.pointee = UnsafePointer(alt)
            kl?.pointee = u.count
        }
    }
}

/// The request context behind a handle Lua passes back.
@inline(__always) func luaContext(_ p: UnsafeMutableRawPointer?) -> LuaRequestContext? {
    guard let p else { return nil }
    return Unmanaged<LuaRequestContext>.fromOpaque(p).takeUnretainedValue()
}

/// The context behind a handle, or for NULL the running request's (what
/// `mg_http_get_request` would give): hot getters are called without a handle, which
/// spares Lua an FFI call per use. nil when no request runs.
@inline(__always) func luaContextOrCurrent(_ p: UnsafeMutableRawPointer?) -> LuaRequestContext? {
    if p != nil { return luaContext(p) }
    guard let c = LuaRuntime.current, c.request != nil else { return nil }
    return c
}

/// A Lua string as a Swift String; bytes that are not UTF-8 are carried (LogBytes) so
/// that they go out again unchanged.
@inline(__always) func string(_ p: UnsafePointer<CChar>?, _ n: Int) -> String {
    guard let p, n > 0 else { return "" }
    return LogBytes.text(UnsafeRawBufferPointer(start: p, count: n))
}

@inline(__always) func string(_ p: UnsafePointer<UInt8>?, _ n: Int) -> String {
    guard let p, n > 0 else { return "" }
    return LogBytes.text(UnsafeRawBufferPointer(start: p, count: n))
}

/// `void *mg_http_get_request(void)`: the running request's handle, NULL outside requests.
@_cdecl("mg_http_get_request")
public func mg_http_get_request() -> UnsafeMutableRawPointer? {
    guard let c = LuaRuntime.currentUnretained, c._withUnsafeGuaranteedRef({ $0.request != nil }) else { return nil }
    return c.toOpaque()
}

/// `int mg_http_phase(void)`: the running phase's bit (0 if none).
@_cdecl("mg_http_phase")
public func mg_http_phase() -> UInt32 {
    LuaRuntime.currentPhase?.rawValue ?? LuaPhase.initPhase.rawValue
}

/// `int mg_check_context(unsigned mask, const char **err)`: ngx_lua's context check.
@_cdecl("mg_check_context")
public func mg_check_context(_ mask: UInt32, _ err: UnsafeMutablePointer<UnsafePointer<CChar>?>?) -> Int32 {
    let phase = LuaRuntime.currentPhase ?? .initPhase
    if LuaPhase(rawValue: mask).contains(phase) { return FFI.ok }
    FFIError.set(err, "API disabled in the context of \(phase.contextName)")
    return FFI.badContext
}

/// `int mg_get_phase_name(const unsigned char **name, size_t *len)`.
@_cdecl("mg_get_phase_name")
public func mg_get_phase_name(_ out: UnsafeMutablePointer<UnsafePointer<UInt8>?>?, _ len: UnsafeMutablePointer<Int>?) -> Int32 {
    FFIScratch.put((LuaRuntime.current?.phase ?? .initPhase).name, out, len)
    return FFI.ok
}

/// `int mg_no_request_error(char **err)`: what an API says when there is no request.
/// ngx_lua runs init_worker_by_lua and timers with a fake request, so there request APIs
/// fail their context check (-101) instead of finding no request (-100).
@_cdecl("mg_no_request_error")
public func mg_no_request_error(_ err: UnsafeMutablePointer<UnsafePointer<CChar>?>?) -> Int32 {
    let phase = LuaRuntime.current?.phase ?? .initPhase
    if phase == .initWorker || phase == .timer || phase == .exitWorker {
        FFIError.set(err, "API disabled in the context of \(phase.contextName)")
        return FFI.badContext
    }
    FFIError.set(err, "no request found")
    return FFI.noRequest
}

/// `string(p, n).lowercased()` without String.lowercased (Unicode-aware, several times
/// the cost) when the bytes are ASCII, as names nearly always are.
func lowercasedString(_ p: UnsafePointer<CChar>?, _ n: Int) -> String {
    guard let p, n > 0 else { return "" }
    let buf = UnsafeRawBufferPointer(start: p, count: n)
    guard LogBytes.isASCII(buf) else { return LogBytes.text(buf).lowercased() }
    return LogBytes.asciiLowercased(buf)
}

/// `s.lowercased()`, returning `s` itself when it is ASCII without capitals.
func lowercasedASCII(_ s: String) -> String {
    var s = s
    // nil: not ASCII; "": ASCII without capitals (`s` as it is).
    let lowered: String? = s.withUTF8 { u in
        let raw = UnsafeRawBufferPointer(u)
        guard LogBytes.isASCII(raw) else { return nil }
        return u.contains(where: asciiIsUpper) ? LogBytes.asciiLowercased(raw) : ""
    }
    guard let lowered else { return s.lowercased() }
    return lowered.isEmpty ? s : lowered
}

/// `s.lowercased() == lower` for a lower-case `lower`, without building a String when
/// `s` is ASCII.
func lowercasedEquals(_ s: String, _ lower: String) -> Bool {
    var s = s
    var l = lower
    let r: Bool? = s.withUTF8 { u in
        guard LogBytes.isASCII(UnsafeRawBufferPointer(u)) else { return nil }
        return l.withUTF8 { lu in
            guard u.count == lu.count else { return false }
            for i in 0..<u.count where asciiLower(u[i]) != lu[i] { return false }
            return true
        }
    }
    return r ?? (s.lowercased() == lower)
}

/// `s.lowercased() == lowercasedASCII(name)` for a name given as ASCII bytes `raw`,
/// without building either string when `s` is ASCII too.
func lowercasedEquals(_ s: String, _ raw: UnsafeRawBufferPointer) -> Bool {
    var s = s
    let r: Bool? = s.withUTF8 { u in
        guard LogBytes.isASCII(UnsafeRawBufferPointer(u)) else { return nil }
        guard u.count == raw.count else { return false }
        for i in 0..<u.count where asciiLower(u[i]) != asciiLower(raw[i]) { return false }
        return true
    }
    if let r { return r }
    return s.lowercased() == LogBytes.asciiLowercased(raw)
}
