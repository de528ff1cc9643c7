import CLuaJIT
import MoongateCore
import MoongateHTTP

// ngx.location.capture / capture_multi (ngx_http_lua_subrequest.c). Lua adds each
// subrequest with `mg_http_subrequest_add`, then `mg_http_subrequest_run` arms the wait:
// the subrequests start once the entry thread yielded, and the thread is resumed with one
// result table per subrequest when the last one finished.

/// A subrequest described by Lua, not started yet.
private struct PendingSubrequest {
    let request: HTTPRequest
    let sink: SubrequestSink
    /// Gets the parent's body, which is still arriving: starts once it is complete.
    let waitsForBody: Bool
}

private enum SubrequestQueue {
    nonisolated(unsafe) static var pending: [PendingSubrequest] = []
}

private let methodNames: [Int32: String] = [
    2: "GET", 4: "HEAD", 8: "POST", 16: "PUT", 32: "DELETE", 64: "MKCOL", 128: "COPY", 256: "MOVE",
    512: "OPTIONS", 1024: "PROPFIND", 2048: "PROPPATCH", 4096: "LOCK", 8192: "UNLOCK", 16384: "PATCH",
    32768: "TRACE",
]

private let capturePhases: LuaPhase = [.rewrite, .access, .content]

/// `int mg_http_subrequest_add(void *r, const char *uri, size_t ulen, const char *args,
///   size_t alen, const unsigned char *body, size_t blen, int has_body, int forward_body,
///   int method, int ctx_ref, int vars_mode, const char *vars, size_t vlen, char **err)`:
///   `vars` is `k\0v\0...`; vars_mode 1 copies the parent's variables, 2 shares them;
///   forward_body is `always_forward_body`.
@_cdecl("mg_http_subrequest_add")
public func mg_http_subrequest_add(
    _ rp: UnsafeMutableRawPointer?, _ u: UnsafePointer<CChar>?, _ ul: Int, _ a: UnsafePointer<CChar>?, _ al: Int,
    _ b: UnsafePointer<UInt8>?, _ bl: Int, _ hasBody: Int32, _ forwardBody: Int32, _ method: Int32,
    _ ctxRef: Int32, _ varsMode: Int32,
    _ vars: UnsafePointer<CChar>?, _ vl: Int, _ err: UnsafeMutablePointer<UnsafePointer<CChar>?>?
) -> Int32 {
    guard let ctx = luaContext(rp), let r = ctx.request else {
        FFIError.set(err, "no request found")
        return FFI.noRequest
    }
    guard capturePhases.contains(ctx.phase) else {
        SubrequestQueue.pending.removeAll()
        FFIError.set(err, "API disabled in the context of \(ctx.phase.contextName)")
        return FFI.badContext
    }
    guard let methodName = methodNames[method] else {
        SubrequestQueue.pending.removeAll()
        FFIError.set(err, "Bad http request method")
        return FFI.error
    }
    var uri = string(u, ul)
    var args: String? = a == nil ? nil : string(a, al)
    if let q = uri.firstIndex(of: "?") {
        let inline = String(uri[uri.index(after: q)...])
        uri = String(uri[..<q])
        if let extra = args, !extra.isEmpty { args = inline + "&" + extra } else { args = inline }
    }
    if args?.isEmpty == true { args = nil }
    guard !uri.isEmpty, let norm = URINormalizer.normalize(Substring(uri)) else {
        SubrequestQueue.pending.removeAll()
        FFIError.set(err, "unsafe uri in argument #1: \(uri)")
        return FFI.error
    }
    let body: [UInt8]? = hasBody != 0 ? Array(UnsafeRawBufferPointer(start: b, count: bl)) : nil
    let sink = SubrequestSink { _ in }
    let sr = r.makeSubrequest(uri: norm, args: args, method: methodName, body: body, sink: sink)
    // ngx_http_lua_adjust_subrequest: without the body option, the parent's body goes
    // along for PUT and POST (any method with always_forward_body, or when the parent
    // announced no length), and only if the parent has read it (r->request_body).
    var waitsForBody = false
    if body == nil {
        let methodTakesBody = forwardBody != 0 || method == 8 || method == 16 || (r.head.contentLength ?? 0) <= 0
        if methodTakesBody && (ctx.bodyRead || r.body.replaced) {
            waitsForBody = !r.body.complete
        } else {
            sr.body.data = []
            sr.body.chunkSizes = []
            sr.body.tooLarge = false
            sr.body.complete = true
        }
    }
    if varsMode == 2 {
        sr.variableStore = r.variableStore
    } else if varsMode == 1 {
        sr.userVars = r.userVars
    }
    if vl > 0, let vars {
        let parts = UnsafeRawBufferPointer(start: vars, count: vl).split(separator: 0, omittingEmptySubsequences: false)
        var i = 0
        while i + 1 < parts.count {
            let k = String(decoding: parts[i], as: UTF8.self).lowercased()
            let v = String(decoding: parts[i + 1], as: UTF8.self)
            if case .ok = Variables.set(k, v, sr) {} else {
                SubrequestQueue.pending.removeAll()
                FFIError.set(err, "variable \"\(k)\" cannot be assigned a value (maybe you forgot to define it first?)")
                return FFI.error
            }
            i += 2
        }
    }
    if ctxRef >= 0 {
        let sc = LuaRequestContext.of(sr, phase: .content)
        sc.ctxRef = ctxRef
    }
    SubrequestQueue.pending.append(PendingSubrequest(request: sr, sink: sink, waitsForBody: waitsForBody))
    return FFI.ok
}

/// `int mg_http_subrequest_run(void *r, char **err)`: -2, the caller yields and is resumed
/// with the result tables.
@_cdecl("mg_http_subrequest_run")
public func mg_http_subrequest_run(_ rp: UnsafeMutableRawPointer?, _ err: UnsafeMutablePointer<UnsafePointer<CChar>?>?) -> Int32 {
    let subs = SubrequestQueue.pending
    SubrequestQueue.pending.removeAll()
    guard let ctx = luaContext(rp), let parent = ctx.request, let thread = LuaThread.running else {
        FFIError.set(err, "no request found")
        return FFI.noRequest
    }
    if subs.isEmpty {
        FFIError.set(err, "at least one subrequest should be specified")
        return FFI.error
    }
    var remaining = subs.count
    for s in subs {
        s.sink.onDoneHook = { _ in
            remaining -= 1
            if remaining > 0 { return }
            thread.resume { co in
                lua_checkstack(co, Int32(subs.count) + 4)
                for s in subs { pushResult(co, s.request, s.sink) }
                return Int32(subs.count)
            }
        }
    }
    // nginx runs subrequests after the parent handler returned; starting them here would
    // re-enter Lua from inside this FFI call.
    LuaScheduler.after(ms: 0) {
        for s in subs {
            guard let p = s.request.parent, !p.finalized else { continue }
            if !s.waitsForBody {
                s.request.startSubrequest()
                continue
            }
            p.body.whenComplete { [weak p] in
                guard let p, !p.finalized else { return }
                s.request.body.data = p.body.data
                s.request.body.chunkSizes = p.body.chunkSizes
                s.request.body.tooLarge = p.body.tooLarge
                s.request.body.complete = true
                s.request.startSubrequest()
            }
        }
    }
    return FFI.again
}

/// Pushes `{status=, header=, body=, truncated=}` for a finished subrequest.
private func pushResult(_ co: OpaquePointer, _ sr: HTTPRequest, _ sink: SubrequestSink) {
    lua_createtable(co, 0, 4)
    lua_pushinteger(co, sr.status == 0 ? 200 : sr.status)
    lua_setfield(co, -2, "status")
    sink.body.withUnsafeBytes { u in
        lua_pushlstring(co, u.baseAddress?.assumingMemoryBound(to: CChar.self), u.count)
    }
    lua_setfield(co, -2, "body")
    lua_pushboolean(co, sink.sawLast ? 0 : 1)
    lua_setfield(co, -2, "truncated")
    lua_createtable(co, 0, 4)
    var headers = sr.headersOut.list.map { ($0.name, $0.value) }
    if let ct = sr.headersOut.contentType { headers.append(("Content-Type", ct)) }
    if let cl = sr.headersOut.contentLength { headers.append(("Content-Length", String(cl))) }
    if let l = sr.headersOut.location { headers.append(("Location", l)) }
    if let lm = sr.headersOut.lastModified { headers.append(("Last-Modified", CachedTime.httpTime(for: lm))) }
    for (k, v) in headers {
        lua_getfield(co, -1, k)
        switch lua_type(co, -1) {
        case LUA_TNIL:
            mg_lua_pop(co, 1)
            lua_pushstring(co, v)
            lua_setfield(co, -2, k)
        case LUA_TTABLE:
            lua_pushstring(co, v)
            lua_rawseti(co, -2, Int32(lua_objlen(co, -2) + 1))
            mg_lua_pop(co, 1)
        default:
            lua_createtable(co, 2, 0)
            lua_insert(co, -2)
            lua_rawseti(co, -2, 1)
            lua_pushstring(co, v)
            lua_rawseti(co, -2, 2)
            lua_setfield(co, -2, k)
        }
    }
    lua_setfield(co, -2, "header")
}
