import MoongateCore
import MoongateHTTP

// ngx.var (ngx_http_lua_variable.c).

/// `int mg_http_var_get(void *r, const char *name, size_t len, int capture,
///   const unsigned char **val, size_t *vlen, const char **err)`:
/// 0 found, -5 not found/unset (nil), -1 error. `capture > 0` reads `$N`.
@_cdecl("mg_http_var_get")
public func mg_http_var_get(
    _ rp: UnsafeMutableRawPointer?, _ name: UnsafePointer<CChar>?, _ len: Int, _ capture: Int32,
    _ val: UnsafeMutablePointer<UnsafePointer<UInt8>?>?, _ vlen: UnsafeMutablePointer<Int>?,
    _ err: UnsafeMutablePointer<UnsafePointer<CChar>?>?
) -> Int32 {
    guard let ctx = luaContextOrCurrent(rp), let r = ctx.request else {
        FFIError.set(err, "no request object found")
        return FFI.noRequest
    }
    if capture > 0 || (name == nil && capture == 0) {
        guard let v = r.capture(Int(capture)) else { return FFI.declined }
        FFIScratch.put(v, val, vlen)
        return FFI.ok
    }
    let n = lowercasedString(name, len)
    // nginx has $request_body only once a module read the body (ngx.req.read_body,
    // lua_need_request_body); our connection buffers it earlier.
    if n == "request_body" && !(ctx.bodyRead || r.body.replaced) { return FFI.declined }
    // nginx adds $gzip_ratio with NGX_HTTP_VAR_NOHASH: log_format sees it, ngx.var
    // (a lookup by name) does not.
    if n == "gzip_ratio" { return FFI.declined }
    guard let v = Variables.get(n, r) else { return FFI.declined }
    FFIScratch.put(v, val, vlen)
    return FFI.ok
}

/// `int mg_http_var_set(void *r, const char *name, size_t len, const unsigned char *val,
///   size_t vlen, int is_nil, const char **err)`.
@_cdecl("mg_http_var_set")
public func mg_http_var_set(
    _ rp: UnsafeMutableRawPointer?, _ name: UnsafePointer<CChar>?, _ len: Int, _ val: UnsafePointer<UInt8>?,
    _ vlen: Int, _ isNil: Int32, _ err: UnsafeMutablePointer<UnsafePointer<CChar>?>?
) -> Int32 {
    guard let ctx = luaContext(rp), let r = ctx.request else {
        FFIError.set(err, "no request object found")
        return FFI.noRequest
    }
    let n = lowercasedString(name, len)
    let v: String? = isNil != 0 ? nil : string(val, vlen)
    switch Variables.set(n, v, r) {
    case .ok:
        if v == nil, r.userVars[n] == "" {
            r.userVars.removeValue(forKey: n)
            r.variableStore.unset.insert(n)
        }
        return FFI.ok
    case .notChangeable:
        FFIError.set(err, "variable \"\(n)\" not changeable")
        return FFI.error
    case .notFound:
        FFIError.set(err, "variable \"\(n)\" not found for writing; maybe it is a built-in variable that is not changeable or you forgot to use \"set $\(n) '';\" in the config file to define it first")
        return FFI.error
    }
}
