import CLuaJIT
import MoongateCore
import MoongateHTTP

// lua_code_cache off: a request runs in a Lua VM of its own, as ngx_lua's
// ngx_http_lua_create_ctx does. The VM gets the ngx API and resty.core, then runs
// init_by_lua again (init_worker_by_lua does not run); `*_by_lua_file` code and
// required modules load afresh. Subrequests issued from Lua share their parent's VM
// (`sr_ctx->vm_state = ctx->vm_state`), and timers keep the VM they were created in.
// The VM is closed when the last context using it goes away.
extension LuaRuntime {
    /// init_by_lua* of the running configuration, run again in each per-request VM.
    nonisolated(unsafe) static var initCode: LuaCode?

    /// Whether this VM is a request's own (`lua_code_cache off`).
    var isPerRequest: Bool { self !== LuaRuntime.shared }

    /// The VM for a request's first Lua context; nil (logged, the request fails with 500)
    /// when a request's own VM cannot be set up.
    static func forNewContext(_ r: HTTPRequest, locConf: LuaLocConf?) -> LuaRuntime? {
        guard let shared else { return nil }
        if let parent = r.parent, let pctx = LuaRequestContext.attached(parent) {
            return pctx.runtime
        }
        let on = locConf?.codeCache ?? shared.mainConf.codeCache
        if on { return shared }
        do {
            return try shared.makeRequestVM()
        } catch {
            r.log(.error, "\(error)")
            return nil
        }
    }

    /// A fresh VM with the worker VM's package paths, the ngx API and init_by_lua run.
    func makeRequestVM() throws -> LuaRuntime {
        let rt: LuaRuntime
        do {
            rt = try LuaRuntime(mainConf: mainConf)
        } catch {
            throw CoreError("failed to initialize Lua VM")
        }
        // ngx_lua copies package.path and cpath from the worker VM as they are now.
        for field in ["path", "cpath"] {
            lua_getfield(L, mg_lua_globalsindex(), "package")
            lua_getfield(L, -1, field)
            let value = vm.luaString(at: -1)
            mg_lua_pop(L, 2)
            guard let value else { continue }
            lua_getfield(rt.L, mg_lua_globalsindex(), "package")
            lua_pushstring(rt.L, value)
            lua_setfield(rt.L, -2, field)
            mg_lua_pop(rt.L, 1)
        }
        if let code = LuaRuntime.initCode {
            let ctx = LuaRequestContext(request: nil, phase: .initPhase, runtime: rt)
            guard let fn = code.function(rt, nil, log: { ErrorLog.shared.log(.error, $0) }) else {
                throw CoreError("failed to load init_by_lua code")
            }
            if let err = rt.callSync(ref: fn.ref, context: ctx) {
                throw CoreError("init_by_lua error: \(err)")
            }
        }
        rt.lockGlobals()
        return rt
    }
}
