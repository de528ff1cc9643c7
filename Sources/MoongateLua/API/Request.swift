import CLuaJIT
import MoongateCore
import MoongateHTTP
#if canImport(Glibc)
import Glibc
#endif

// ngx.req.* (ngx_http_lua_req_method.c, _uri.c, _args.c, _req_body.c, _misc.c) and ngx.ctx.

/// Fields `mg_http_req_get_str` and `mg_http_req_set_str` know.
enum ReqField: Int32 {
    case method = 0, uri = 1, args = 2, rawHeader = 3, requestURI = 4, body = 5, rawHeaderNoRequestLine = 6
}

/// `int mg_http_req_get_str(void *r, int what, const unsigned char **v, size_t *vl)`:
/// 0 with the value, -5 when it is nil.
@_cdecl("mg_http_req_get_str")
public func mg_http_req_get_str(
    _ rp: UnsafeMutableRawPointer?, _ what: Int32, _ v: UnsafeMutablePointer<UnsafePointer<UInt8>?>?,
    _ vl: UnsafeMutablePointer<Int>?
) -> Int32 {
    guard let ctx = luaContext(rp), let r = ctx.request else { return FFI.noRequest }
    switch ReqField(rawValue: what) {
    case .method: FFIScratch.put(r.method, v, vl)
    case .uri: FFIScratch.put(r.uri, v, vl)
    case .args:
        guard let a = r.args else { return FFI.declined }
        FFIScratch.put(a, v, vl)
    case .rawHeader:
        r.head.rawHeader.withUnsafeBytes { FFIScratch.put(bytes: $0, v, vl) }
    case .rawHeaderNoRequestLine:
        var start = r.head.requestLineLength
        let h = r.head.rawHeader
        while start < h.count && (h[start] == 13 || h[start] == 10) {
            start += 1
            if start > 0 && h[start - 1] == 10 { break }
        }
        h.withUnsafeBytes { FFIScratch.put(bytes: UnsafeRawBufferPointer(rebasing: $0[start...]), v, vl) }
    case .requestURI: FFIScratch.put(r.head.rawURI, v, vl)
    case .body:
        guard r.body.complete, !r.body.data.isEmpty, ctx.bodyRead || r.body.replaced else { return FFI.declined }
        r.body.data.withUnsafeBytes { FFIScratch.put(bytes: $0, v, vl) }
    case .none: return FFI.error
    }
    return FFI.ok
}

/// `int mg_http_req_set_str(void *r, int what, const unsigned char *v, size_t vl, int flag,
///   const char **err)`: method, uri (flag = jump), args, body.
@_cdecl("mg_http_req_set_str")
public func mg_http_req_set_str(
    _ rp: UnsafeMutableRawPointer?, _ what: Int32, _ v: UnsafePointer<UInt8>?, _ vl: Int, _ flag: Int32,
    _ err: UnsafeMutablePointer<UnsafePointer<CChar>?>?
) -> Int32 {
    guard let ctx = luaContext(rp), let r = ctx.request else {
        FFIError.set(err, "no request found")
        return FFI.noRequest
    }
    let value = string(v, vl)
    switch ReqField(rawValue: what) {
    case .method:
        r.method = value
        r.headerOnly = value == "HEAD"
    case .uri:
        if flag != 0 {
            guard [.rewrite, .serverRewrite].contains(ctx.phase) else {
                FFIError.set(err, "API disabled in the context of \(ctx.phase.contextName)")
                return FFI.badContext
            }
        }
        if value.isEmpty {
            FFIError.set(err, "attempt to use zero-length uri")
            return FFI.error
        }
        r.uri = value
        if flag != 0 {
            let args = r.args
            ctx.pendingJump = { r.internalRedirect(uri: value, args: args) }
            ctx.exitCode = -4
            return FFI.again
        }
    case .args:
        r.args = value
    case .body:
        r.body.data = Array(UnsafeRawBufferPointer(start: v, count: vl))
        r.body.complete = true
        r.body.replaced = true
        var found = false
        for i in r.head.headers.indices where r.head.headers[i].name.lowercased() == "content-length" {
            r.head.headers[i].value = String(vl)
            found = true
        }
        if !found && vl > 0 { r.head.headers.append(("Content-Length", String(vl))) }
        r.head.contentLength = Int64(vl)
    default:
        return FFI.error
    }
    return FFI.ok
}

/// `double mg_http_req_start_time(void *r)`.
@_cdecl("mg_http_req_start_time")
public func mg_http_req_start_time(_ rp: UnsafeMutableRawPointer?) -> Double {
    guard let ctx = luaContext(rp), let r = ctx.request else { return 0 }
    return r.startTime
}

/// `int mg_http_req_http_version(void *r)`: 9, 10, 11.
@_cdecl("mg_http_req_http_version")
public func mg_http_req_http_version(_ rp: UnsafeMutableRawPointer?) -> Int32 {
    guard let ctx = luaContext(rp), let r = ctx.request else { return FFI.noRequest }
    return Int32(r.head.version)
}

/// `int mg_http_req_is_internal(void *r)`.
@_cdecl("mg_http_req_is_internal")
public func mg_http_req_is_internal(_ rp: UnsafeMutableRawPointer?) -> Int32 {
    guard let ctx = luaContext(rp), let r = ctx.request else { return FFI.noRequest }
    return r.isInternal ? 1 : 0
}

/// `int mg_http_is_subrequest(void *r)`.
@_cdecl("mg_http_is_subrequest")
public func mg_http_is_subrequest(_ rp: UnsafeMutableRawPointer?) -> Int32 {
    guard let ctx = luaContext(rp), let r = ctx.request else { return FFI.noRequest }
    return r.parent != nil ? 1 : 0
}

/// `int mg_http_req_read_body(void *r, const char **err)`: 0 when the body is there,
/// -2 when the caller must yield until it arrived.
@_cdecl("mg_http_req_read_body")
public func mg_http_req_read_body(_ rp: UnsafeMutableRawPointer?, _ err: UnsafeMutablePointer<UnsafePointer<CChar>?>?) -> Int32 {
    guard let ctx = luaContext(rp), let r = ctx.request else {
        FFIError.set(err, "no request found")
        return FFI.noRequest
    }
    guard [.rewrite, .access, .content, .serverRewrite, .precontent].contains(ctx.phase) else {
        FFIError.set(err, "API disabled in the context of \(ctx.phase.contextName)")
        return FFI.badContext
    }
    ctx.bodyRead = true
    if r.body.complete { return FFI.ok }
    guard let thread = LuaThread.running else {
        FFIError.set(err, "no thread")
        return FFI.error
    }
    r.body.whenComplete {
        thread.resume { _ in 0 }
    }
    return FFI.again
}

/// `int mg_http_req_body_read(void *r)`: 1 once `ngx.req.read_body` (or
/// `lua_need_request_body`) asked for the body, as ngx_lua's `r->request_body != NULL`.
@_cdecl("mg_http_req_body_read")
public func mg_http_req_body_read(_ rp: UnsafeMutableRawPointer?) -> Int32 {
    guard let ctx = luaContext(rp), let r = ctx.request else { return FFI.noRequest }
    return ctx.bodyRead || r.body.replaced ? 1 : 0
}

/// `int mg_http_req_discard_body(void *r)`.
@_cdecl("mg_http_req_discard_body")
public func mg_http_req_discard_body(_ rp: UnsafeMutableRawPointer?) -> Int32 {
    guard let ctx = luaContext(rp), let r = ctx.request else { return FFI.noRequest }
    r.body.data = []
    return FFI.ok
}

/// `int mg_http_ctx_ref(void *r)`: the registry ref of `ngx.ctx` (-2 = none yet).
@_cdecl("mg_http_ctx_ref")
public func mg_http_ctx_ref(_ rp: UnsafeMutableRawPointer?) -> Int32 {
    // (luaContextOrCurrent's answer read in place: no context and request retained and
    // released per `ngx.ctx` use.)
    if let rp { return Unmanaged<LuaRequestContext>.fromOpaque(rp)._withUnsafeGuaranteedRef { $0.ctxRef } }
    guard let c = LuaRuntime.currentUnretained else { return FFI.noRequest }
    return c._withUnsafeGuaranteedRef { $0.request == nil ? FFI.noRequest : $0.ctxRef }
}

/// `int mg_http_set_ctx_ref(void *r, int ref)`.
@_cdecl("mg_http_set_ctx_ref")
public func mg_http_set_ctx_ref(_ rp: UnsafeMutableRawPointer?, _ ref: Int32) -> Int32 {
    guard let ctx = luaContext(rp) else { return FFI.noRequest }
    if ctx.ctxRef != LUA_NOREF && ctx.ctxRef != ref, let rt = ctx.runtime {
        luaL_unref(rt.L, mg_lua_registryindex(), ctx.ctxRef)
    }
    ctx.ctxRef = ref
    return FFI.ok
}

/// `int mg_http_arg_get(int idx, const unsigned char **v, size_t *vl)`: body filter chunk
/// (1) and eof (2, returns 1/0), or set_by_lua arguments. -5 when out of range.
@_cdecl("mg_http_arg_get")
public func mg_http_arg_get(_ idx: Int32, _ v: UnsafeMutablePointer<UnsafePointer<UInt8>?>?, _ vl: UnsafeMutablePointer<Int>?) -> Int32 {
    guard let ctx = LuaRuntime.current else { return FFI.noRequest }
    if ctx.phase == .bodyFilter {
        if idx == 1 {
            (ctx.bodyChunk ?? []).withUnsafeBytes { FFIScratch.put(bytes: $0, v, vl) }
            return FFI.ok
        }
        if idx == 2 { return ctx.bodyEOF ? 1 : 0 }
        return FFI.declined
    }
    if ctx.phase == .set {
        let i = Int(idx) - 1
        guard i >= 0 && i < ctx.setArgs.count else { return FFI.declined }
        FFIScratch.put(ctx.setArgs[i], v, vl)
        return FFI.ok
    }
    return FFI.declined
}

/// `int mg_http_arg_count(void)`.
@_cdecl("mg_http_arg_count")
public func mg_http_arg_count() -> Int32 {
    guard let ctx = LuaRuntime.current else { return 0 }
    if ctx.phase == .bodyFilter { return 2 }
    if ctx.phase == .set { return Int32(ctx.setArgs.count) }
    return 0
}

/// `int mg_http_arg_set(int idx, const unsigned char *v, size_t vl, int flag, const char **err)`:
/// body filter only. For idx 2, `flag` is the new eof value.
@_cdecl("mg_http_arg_set")
public func mg_http_arg_set(
    _ idx: Int32, _ v: UnsafePointer<UInt8>?, _ vl: Int, _ flag: Int32, _ err: UnsafeMutablePointer<UnsafePointer<CChar>?>?
) -> Int32 {
    guard let ctx = LuaRuntime.current, ctx.phase == .bodyFilter else {
        FFIError.set(err, "attempt to write to ngx.arg outside body_filter_by_lua*")
        return FFI.error
    }
    if idx == 1 {
        ctx.bodyChunk = Array(UnsafeRawBufferPointer(start: v, count: vl))
        ctx.bodyChunkChanged = true
        return FFI.ok
    }
    if idx == 2 {
        ctx.bodyEOF = flag != 0
        ctx.bodyChunkChanged = true
        return FFI.ok
    }
    FFIError.set(err, "bad index: \(idx)")
    return FFI.error
}
