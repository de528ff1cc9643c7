import CLuaJIT
#if canImport(Glibc)
import Glibc
#endif

/// Registry refs to Lua functions of the lua/ modules that Swift starts threads with
/// (the timer and light-thread runners).
enum LuaModuleRef {
    /// The ref of `require(module)[field]`, loaded once per VM.
    static func function(_ rt: LuaRuntime, module: String, field: String) -> Int32? {
        let key = module + "." + field
        if let r = rt.moduleRefs[key] { return r }
        let L = rt.L
        LuaRuntime.seedRandomIfPending()
        let top = lua_gettop(L)
        let src = "return require('\(module)').\(field)"
        let ok = src.withCString { p in luaL_loadbuffer(L, p, strlen(p), "=" + key) } == 0
        guard ok, lua_pcall(L, 0, 1, 0) == 0, lua_type(L, -1) == LUA_TFUNCTION else {
            lua_settop(L, top)
            return nil
        }
        let ref = luaL_ref(L, mg_lua_registryindex())
        lua_settop(L, top)
        rt.moduleRefs[key] = ref
        return ref
    }
}
