import CLuaJIT
import MoongateConfig
import MoongateCore
import MoongateHTTP

/// `balancer_by_lua_block` / `balancer_by_lua_file` inside `upstream { }`: runs for each
/// try, synchronously and without yielding (ngx_lua's `ngx_http_lua_balancer_get_peer`).
final class LuaBalancer: UpstreamBalancerHook {
    let code: LuaCode

    /// The request and state of the balancer code running now (it runs synchronously):
    /// `ngx.balancer` finds the state here rather than through the request's module
    /// contexts.
    nonisolated(unsafe) static var running: (request: ObjectIdentifier, state: Unmanaged<BalancerState>)?

    init(code: LuaCode) { self.code = code }

    /// The `lua_code_cache` of the location the last run was for (this balancer belongs
    /// to one configuration, whose locations live as long as it): no keyed look-up of the
    /// location's Lua conf per request.
    private var codeCacheLoc: ObjectIdentifier?
    private var codeCacheOfLoc: Bool?

    private func locCodeCache(_ loc: LocationConfig) -> Bool? {
        let id = ObjectIdentifier(loc)
        if id == codeCacheLoc { return codeCacheOfLoc }
        let v = LuaLocConf.of(loc)?.codeCache
        codeCacheLoc = id
        codeCacheOfLoc = v
        return v
    }

    /// Registers the directives (called from `LuaModule.register()`).
    static func register() {
        let R = DirectiveRegistry.register
        let apply: DirectiveHandler = { d, c in
            guard let block = c.upstream as? UpstreamBlock else {
                throw ConfigError("\"\(d.name)\" directive is not allowed here", at: d.location)
            }
            if block.balancer != nil {
                throw ConfigError("\"\(d.name)\" directive is duplicate", at: d.location)
            }
            block.balancer = LuaBalancer(code: try LuaCode.from(d, base: "balancer_by_lua"))
        }
        R(DirectiveSpec("balancer_by_lua_block", .upstream, .exactly(0), block: .luaBlock), apply)
        R(DirectiveSpec("balancer_by_lua_file", .upstream, .exactly(1)), apply)
    }

    /// A context kept for balancer runs of requests that have no Lua context yet: making
    /// one per request (and attaching it, with its cleanup) cost ~3k instructions. It is
    /// lent for one run; a run that leaves state in it (ngx.ctx, a cosocket, ...) gives it
    /// to the request, as LuaRequestContext.of would have, and the next run makes another.
    nonisolated(unsafe) static var spare: LuaRequestContext?

    func choosePeer(_ r: HTTPRequest, _ state: BalancerState) -> Int? {
        // The request's own context when it has one; else the spare (the worker's VM only:
        // with lua_code_cache off, or in a subrequest, LuaRequestContext.of picks the VM).
        var lent: LuaRequestContext? = nil
        let ctx: LuaRequestContext
        if let c = LuaRequestContext.attached(r) {
            ctx = c
        } else if r.parent == nil, let shared = LuaRuntime.shared,
            locCodeCache(r.loc) ?? shared.mainConf.codeCache
        {
            // (A spare of another VM, should the worker's be replaced, is dropped.)
            let c: LuaRequestContext
            if let s = Self.spare.take(), s.runtime === shared {
                c = s
            } else {
                c = LuaRequestContext(request: nil, phase: .balancer, runtime: shared)
            }
            c.lend(to: r)
            lent = c
            ctx = c
        } else {
            ctx = LuaRequestContext.of(r, phase: .balancer)
        }
        defer {
            if let c = lent {
                if c.isPristine {
                    c.lend(to: nil)
                    Self.spare = c
                } else {
                    // What LuaRequestContext.of does for a new context.
                    r.moduleContexts.lua = c
                    r.cleanups.append { c.release() }
                }
            }
        }
        // The request's own VM with lua_code_cache off, as ngx_http_lua_get_lua_vm.
        guard let rt = ctx.runtime else { return 500 }
        let savedPhase = lent == nil ? ctx.phase : .balancer
        defer { ctx.phase = savedPhase }
        ctx.phase = .balancer
        ctx.exitCode = nil
        let savedRunning = Self.running
        Self.running = (ObjectIdentifier(r), Unmanaged.passUnretained(state))
        defer { Self.running = savedRunning }
        // (The worker VM's compiled inline chunk at once: no logging closure made.)
        guard let fn = LuaPhaseHandler.function(code, rt, r) else { return 500 }
        defer { if fn.temporary { rt.release(fn.ref) } }
        if let err = rt.callSync(ref: fn.ref, context: ctx) {
            r.log(.error, "failed to run balancer_by_lua*: \(err)")
            return 500
        }
        if let code = ctx.exitCode {
            ctx.exitCode = nil
            // ngx.exit(ngx.ERROR) and statuses fail the request as nginx without the
            // balancer status patch does; ngx.exit(ngx.OK) goes on.
            if code == -3 { return 502 }
            if code != 0 { return 500 }
        }
        return nil
    }
}

extension LuaRequestContext {
    /// Holds nothing a later phase of the request could see (the balancer's spare
    /// context goes back to the spare only then).
    var isPristine: Bool {
        ctxRef == LUA_NOREF && exitCode == nil && pendingJump == nil && entry == nil && bodyChunk == nil
            && http10Buffer == nil && !bodyEOF && !mimeSet && !bodyRead && !bodyChunkChanged
            && !rawSocketAcquired && setArgs.isEmpty && !cleanupRegistered && lightThreads == nil
            && timerLog == nil && timerLoc == nil && cosocket == nil && cosockets.isEmpty
    }
}
