import CLuaJIT
import MoongateCore

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

/// `output(newline, ...)`: ngx.print/ngx.say of strings and numbers, written straight
/// into the response (no joined Lua string). Any other argument type returns -1000
/// without output: the Lua side flattens the arguments and calls again with one string.
/// -100 (no request) comes before that, as ngx_lua checks the request first.
private let cfOutput: lua_CFunction = { L in
    var err: UnsafePointer<CChar>? = nil
    guard let rp = mg_http_get_request() else {
        return pushResult(L, mg_http_output(nil, nil, 0, &err), err)
    }
    let top = lua_gettop(L)
    let newline = lua_toboolean(L, 1) != 0
    var total = newline ? 1 : 0
    var i: Int32 = 2
    while i <= top {
        let t = lua_type(L, i)
        if t == LUA_TNUMBER, let n = smallInteger(lua_tonumber(L, i)) {
            total += DecimalDigits.length(n)
        } else if t == LUA_TSTRING || t == LUA_TNUMBER {
            var len = 0
            // Other numbers become strings in place, formatted as tostring() does.
            _ = lua_tolstring(L, i, &len)
            total += len
        } else {
            lua_pushinteger(L, -1000)
            lua_pushnil(L)
            return 2
        }
        i += 1
    }
    let rc = httpOutput(rp, total, &err) { dst in
        var at = 0
        var i: Int32 = 2
        while i <= top {
            if lua_type(L, i) == LUA_TNUMBER, let n = smallInteger(lua_tonumber(L, i)) {
                at += DecimalDigits.write(n, to: dst + at)
            } else {
                var len = 0
                if let p = lua_tolstring(L, i, &len), len > 0 {
                    (dst + at).copyMemory(from: p, byteCount: len)
                    at += len
                }
            }
            i += 1
        }
        if newline { dst.storeBytes(of: 10, toByteOffset: at, as: UInt8.self) }
    }
    return pushResult(L, rc, err)
}

/// `d` as an integer when LuaJIT's tostring ("%.14g") prints it as plain decimal digits:
/// integral, below 1e14 in magnitude, and not -0.
@inline(__always) private func smallInteger(_ d: Double) -> Int64? {
    guard d.magnitude < 1e14, d == d.rounded(.towardZero), !(d == 0 && d.sign == .minus) else { return nil }
    return Int64(d)
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
