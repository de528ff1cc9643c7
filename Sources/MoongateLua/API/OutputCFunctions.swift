import CLuaJIT

// Output calls can run header_filter_by_lua / body_filter_by_lua (and the log phase),
// i.e. Lua code, before they return. LuaJIT does not allow re-entering the VM from a
// function called through the FFI (the calling trace's state is not synced; the
// `phases` benchmark crashed in libluajit), so these few go through the classic C API,
// as ngx_lua's ngx.say/ngx.print do. They return (rc, err) and the Lua side raises.

private func pushResult(_ L: OpaquePointer?, _ rc: Int32, _ err: UnsafePointer<CChar>?) -> Int32 {
    lua_pushinteger(L, Int(rc))
    if rc != 0, let err {
        lua_pushstring(L, err)
    } else {
        lua_pushnil(L)
    }
    return 2
}

private let cfOutput: lua_CFunction = { L in
    var len = 0
    var err: UnsafePointer<CChar>? = nil
    guard let p = lua_tolstring(L, 1, &len) else {
        return pushResult(L, mg_http_output(mg_http_get_request(), nil, 0, &err), err)
    }
    let rc = p.withMemoryRebound(to: UInt8.self, capacity: max(len, 1)) { u in
        mg_http_output(mg_http_get_request(), u, len, &err)
    }
    return pushResult(L, rc, err)
}

private let cfSendHeaders: lua_CFunction = { L in
    var err: UnsafePointer<CChar>? = nil
    let rc = mg_http_send_headers(mg_http_get_request(), &err)
    return pushResult(L, rc, err)
}

private let cfFlush: lua_CFunction = { L in
    var err: UnsafePointer<CChar>? = nil
    let rc = mg_http_flush(mg_http_get_request(), lua_toboolean(L, 1) != 0 ? 1 : 0, &err)
    return pushResult(L, rc, err)
}

private let cfEOF: lua_CFunction = { L in
    var err: UnsafePointer<CChar>? = nil
    let rc = mg_http_eof(mg_http_get_request(), &err)
    return pushResult(L, rc, err)
}

extension LuaRuntime {
    /// Installs `package.loaded["moongate.cfuncs"]` with the output functions above.
    func registerCFunctions() {
        mg_lua_newtable(L)
        let fns: [(String, lua_CFunction)] = [
            ("output", cfOutput), ("send_headers", cfSendHeaders), ("flush", cfFlush), ("eof", cfEOF),
        ]
        for (name, f) in fns {
            mg_lua_pushcfunction(L, f)
            lua_setfield(L, -2, name)
        }
        lua_getfield(L, mg_lua_globalsindex(), "package")
        lua_getfield(L, -1, "loaded")
        lua_pushvalue(L, -3)
        lua_setfield(L, -2, "moongate.cfuncs")
        mg_lua_pop(L, 3)
    }
}
