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
    }

    static func of(_ l: LocationConfig) -> LuaLocConf? { l.moduleConf["lua"] as? LuaLocConf }

    static func get(_ l: LocationConfig) -> LuaLocConf {
        if let c = l.moduleConf["lua"] as? LuaLocConf { return c }
        let c = LuaLocConf()
        l.moduleConf["lua"] = c
        return c
    }
}
