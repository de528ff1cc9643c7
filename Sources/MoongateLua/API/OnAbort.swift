import CLuaJIT
import MoongateCore
import MoongateHTTP

// ngx.on_abort (ngx_http_lua_uthread.c's on_abort part).

/// `int mg_http_on_abort(void *r, int fn_ref, char **err)`: registers the function with
/// registry ref `fn_ref` to run when the client closes the connection early. -1 with an
/// error string when refused (the Lua side returns nil, err), -101 in a wrong phase.
@_cdecl("mg_http_on_abort")
public func mg_http_on_abort(_ rp: UnsafeMutableRawPointer?, _ fnRef: Int32, _ err: UnsafeMutablePointer<UnsafePointer<CChar>?>?) -> Int32 {
    guard let ctx = luaContext(rp), let r = ctx.request, let rt = ctx.runtime else {
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
    r.cleanups.append {
        luaL_unref(rt.L, mg_lua_registryindex(), reg.ref)
    }
    // ngx_lua: a client abort while the handler waits runs the function as a light
    // thread; the request goes on until it (or the handler) ends it.
    r.connection.abortHandler = { [weak ctx] in
        guard let ctx, let runner = LuaModuleRef.function(rt, module: "resty.core.thread", field: "run_abort") else {
            return false
        }
        return LuaLightThreads.of(ctx).spawnAbort(runtime: rt, runner: runner, fn: reg.ref)
    }
    return FFI.ok
}
