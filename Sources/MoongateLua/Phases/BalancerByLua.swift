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

    func choosePeer(_ r: HTTPRequest, _ state: BalancerState) -> Int? {
        let ctx = LuaRequestContext.of(r, phase: .balancer)
        // The request's own VM with lua_code_cache off, as ngx_http_lua_get_lua_vm.
        guard let rt = ctx.runtime else { return 500 }
        let savedPhase = ctx.phase
        defer { ctx.phase = savedPhase }
        ctx.phase = .balancer
        ctx.exitCode = nil
        let savedRunning = Self.running
        Self.running = (ObjectIdentifier(r), Unmanaged.passUnretained(state))
        defer { Self.running = savedRunning }
        guard let fn = code.function(rt, r, log: { r.log(.error, $0) }) else { return 500 }
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
