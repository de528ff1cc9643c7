import MoongateHTTP

/// ngx_lua's per-location settings that are not handlers.
final class LuaLocConf: MergeableModuleConf {
    var needRequestBody: Bool?
    var transformUnderscores: Bool?
    var useDefaultType: Bool?
    var checkClientAbort: Bool?
    var http10Buffering: Bool?
    /// `lua_code_cache`: off runs each request in a VM of its own.
    var codeCache: Bool?
    var headerFilter: LuaCode?
    var bodyFilter: LuaCode?
    /// `lua_socket_*` / `lua_ssl_*` set at server or location level, in order from the
    /// outermost level (http-level values live in LuaMainConf, the defaults).
    var socketOverrides: [(LuaMainConf) -> Void] = []
    /// The cosocket settings of this location: LuaMainConf's with the overrides applied.
    private var resolvedSocketConf: LuaMainConf?

    func inherited() -> AnyObject {
        let c = LuaLocConf()
        c.needRequestBody = needRequestBody
        c.transformUnderscores = transformUnderscores
        c.useDefaultType = useDefaultType
        c.checkClientAbort = checkClientAbort
        c.http10Buffering = http10Buffering
        c.codeCache = codeCache
        c.headerFilter = headerFilter
        c.bodyFilter = bodyFilter
        c.socketOverrides = socketOverrides
        return c
    }

    func merge(from parent: AnyObject) {
        guard let p = parent as? LuaLocConf else { return }
        needRequestBody = needRequestBody ?? p.needRequestBody
        transformUnderscores = transformUnderscores ?? p.transformUnderscores
        useDefaultType = useDefaultType ?? p.useDefaultType
        checkClientAbort = checkClientAbort ?? p.checkClientAbort
        http10Buffering = http10Buffering ?? p.http10Buffering
        codeCache = codeCache ?? p.codeCache
        headerFilter = headerFilter ?? p.headerFilter
        bodyFilter = bodyFilter ?? p.bodyFilter
        socketOverrides = p.socketOverrides + socketOverrides
    }

    /// Records a cosocket setting: http level into the main conf, server and location
    /// levels as an override that inner levels inherit (ngx_lua's per-location
    /// lua_socket_* and lua_ssl_*).
    static func setSocket(_ c: BuildContext, _ main: LuaMainConf, _ apply: @escaping (LuaMainConf) -> Void) {
        if c.context == .http || c.loc == nil {
            apply(main)
        } else {
            get(c.loc!).socketOverrides.append(apply)
        }
    }

    /// The cosocket settings for code running in `ctx` (its request's location, or the
    /// location that created a timer), else the http level's.
    static func socketConf(_ ctx: LuaRequestContext?, _ main: LuaMainConf) -> LuaMainConf {
        let found: LuaLocConf?
        if let ctx, let r = ctx.request {
            found = ctx.locConf(r)
        } else if let loc = ctx?.timerLoc {
            found = of(loc)
        } else {
            return main
        }
        guard let lc = found, !lc.socketOverrides.isEmpty else { return main }
        if let r = lc.resolvedSocketConf { return r }
        let r = main.socketCopy()
        for f in lc.socketOverrides { f(r) }
        lc.resolvedSocketConf = r
        return r
    }

    static func of(_ l: LocationConfig) -> LuaLocConf? { l.moduleConf["lua"] as? LuaLocConf }

    static func get(_ l: LocationConfig) -> LuaLocConf {
        if let c = l.moduleConf["lua"] as? LuaLocConf { return c }
        let c = LuaLocConf()
        l.moduleConf["lua"] = c
        return c
    }
}
