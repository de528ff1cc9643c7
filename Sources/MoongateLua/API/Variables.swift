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

/// ngx.var names resolved once: var.lua keeps each name's index, and a read by index
/// skips lowercasing the name, the getter dictionary, the prefix scan and the suffix String.
enum VariableIndex {
    final class Entry {
        let name: String
        /// The getter for `name` (a prefix getter with its suffix bound), or nil: by name.
        var read: ((HTTPRequest) -> String?)?
        var generation = 0
        init(_ name: String) {
            self.name = name
            resolve()
        }
        func resolve() {
            switch Variables.resolve(name) {
            case .getter(let g): read = g
            case .prefix(let g, let suffix): read = { g($0, suffix) }
            case .byName: read = nil
            }
            generation = Variables.generation
        }
    }
    nonisolated(unsafe) static var entries: [Entry] = []
    nonisolated(unsafe) static var byName: [String: Int32] = [:]
    static let limit = 4096
}

/// `int mg_http_var_index(const char *name, size_t len)`: an index for
/// `mg_http_var_get_at`, or -1 when the name must be read by name (mg_http_var_get).
@_cdecl("mg_http_var_index")
public func mg_http_var_index(_ name: UnsafePointer<CChar>?, _ len: Int) -> Int32 {
    let n = lowercasedString(name, len)
    // These depend on more than the name (see mg_http_var_get).
    if n == "request_body" || n == "gzip_ratio" { return -1 }
    if let i = VariableIndex.byName[n] { return i }
    if VariableIndex.entries.count >= VariableIndex.limit { return -1 }
    let i = Int32(VariableIndex.entries.count)
    VariableIndex.entries.append(VariableIndex.Entry(n))
    VariableIndex.byName[n] = i
    return i
}

/// `int mg_http_var_get_at(int index, const unsigned char **val, size_t *vlen,
///   char **err)`: mg_http_var_get for the running request and a name from
/// mg_http_var_index.
@_cdecl("mg_http_var_get_at")
public func mg_http_var_get_at(
    _ index: Int32, _ val: UnsafeMutablePointer<UnsafePointer<UInt8>?>?, _ vlen: UnsafeMutablePointer<Int>?,
    _ err: UnsafeMutablePointer<UnsafePointer<CChar>?>?
) -> Int32 {
    guard let ctx = LuaRuntime.current, let r = ctx.request else {
        FFIError.set(err, "no request object found")
        return FFI.noRequest
    }
    let e = VariableIndex.entries[Int(index)]
    if e.generation != Variables.generation { e.resolve() }
    let v: String?
    if let read = e.read, Variables.noneSet(r) {
        v = read(r)
    } else {
        v = Variables.get(e.name, r)
    }
    guard let v else { return FFI.declined }
    FFIScratch.put(v, val, vlen)
    return FFI.ok
}
