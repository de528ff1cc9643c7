import CLuaJIT
import MoongateCore
import MoongateHTTP

// ngx.on_abort (ngx_http_lua_uthread.c's on_abort part).

/// `int mg_http_on_abort(void *r, int fn_ref, char **err)`: registers the function with
/// registry ref `fn_ref` to run when the client closes the connection early. -1 with an
/// error string when refused (the Lua side returns nil, err), -101 in a wrong phase.
@_cdecl("mg_http_on_abort")
public func mg_http_on_abort(_ rp: UnsafeMutableRawPointer?, _ fnRef: Int32, _ err: UnsafeMutablePointer<UnsafePointer<CChar>?>?) -> Int32 {
    guard let ctx = luaContext(rp), let r = ctx.request, let rt = LuaRuntime.shared else {
        FFIError.set(err, "no request found")
        return FFI.noRequest
    }
    if r.moduleContexts["lua_on_abort"] != nil {
        FFIError.set(err, "duplicate call")
        return FFI.error
    }
    guard LuaLocConf.of(r.loc)?.checkClientAbort ?? rt.mainConf.checkClientAbort else {
        FFIError.set(err, "lua_check_client_abort is off")
        return FFI.error
    }
    guard [.rewrite, .access, .content].contains(ctx.phase) else {
        FFIError.set(err, "API disabled in the context of \(ctx.phase.contextName)")
        return FFI.badContext
    }
    if fnRef < 0 { return FFI.ok }  // the Lua side only checks (bad argument follows)
    final class Registration {
        let ref: Int32
        init(ref: Int32) { self.ref = ref }
    }
    let reg = Registration(ref: fnRef)
    r.moduleContexts["lua_on_abort"] = reg
    r.cleanups.append { [weak r] in
        defer { luaL_unref(rt.L, mg_lua_registryindex(), reg.ref) }
        guard let r, r.clientAborted else { return }
        let abortCtx = LuaRequestContext(request: r, phase: ctx.phase)
        let thread = LuaThread(runtime: rt, context: abortCtx) { outcome in
            if case .failed(let msg) = outcome {
                r.log(.error, "lua user thread aborted: runtime error: \(msg)")
            }
        }
        thread.start(function: reg.ref)
    }
    return FFI.ok
}
