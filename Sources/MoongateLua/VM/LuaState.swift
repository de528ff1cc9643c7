import CLuaJIT
#if canImport(Glibc)
import Glibc
#endif

/// Owns one LuaJIT VM (`lua_State`). One per worker process, created in the master
/// before fork (DESIGN.md). Not thread-safe: only the worker's event loop thread uses it.
public final class LuaState {
    /// The raw main thread of the VM.
    public let L: OpaquePointer

    /// Creates a VM with the standard libraries and the `package.path` given.
    /// - Parameter packagePath: a Lua `package.path` value (`;`-separated templates).
    /// - Parameter packageCPath: a Lua `package.cpath` value.
    public init(packagePath: String, packageCPath: String) throws {
        guard let L = luaL_newstate() else { throw LuaError.outOfMemory }
        self.L = L
        luaL_openlibs(L)
        lua_getfield(L, mg_lua_globalsindex(), "package")
        lua_pushstring(L, packagePath)
        lua_setfield(L, -2, "path")
        lua_pushstring(L, packageCPath)
        lua_setfield(L, -2, "cpath")
        mg_lua_pop(L, 1)
    }

    deinit {
        lua_close(L)
    }

    /// Compiles and runs `code` with a traceback handler; returns the results as strings
    /// (`nil` for a Lua nil), or throws `LuaError.runtime` with the message and traceback.
    @discardableResult
    public func run(_ code: String, chunkName: String = "=run") throws -> [String?] {
        let base = lua_gettop(L)
        defer { lua_settop(L, base) }
        lua_getfield(L, mg_lua_globalsindex(), "debug")
        lua_getfield(L, -1, "traceback")
        lua_remove(L, -2)
        let handler = lua_gettop(L)
        let loadStatus = code.withCString { ptr in
            luaL_loadbuffer(L, ptr, strlen(ptr), chunkName)
        }
        if loadStatus != 0 {
            throw LuaError.syntax(luaString(at: -1) ?? "unknown error")
        }
        let status = lua_pcall(L, 0, LUA_MULTRET, handler)
        if status != 0 {
            throw LuaError.runtime(luaString(at: -1) ?? "unknown error")
        }
        var out: [String?] = []
        let top = lua_gettop(L)
        if top > handler {
            for i in (handler + 1)...top {
                out.append(lua_type(L, i) == LUA_TNIL ? nil : luaString(at: i, convert: true))
            }
        }
        return out
    }

    /// The string at a stack index (numbers converted by Lua's rules; other types
    /// via `tostring` when `convert` is true).
    public func luaString(at index: Int32, convert: Bool = false) -> String? {
        var len = 0
        let t = lua_type(L, index)
        if t == LUA_TSTRING || t == LUA_TNUMBER {
            guard let p = lua_tolstring(L, index, &len) else { return nil }
            return String(decoding: UnsafeRawBufferPointer(start: p, count: len), as: UTF8.self)
        }
        guard convert else { return nil }
        let idx = index < 0 ? lua_gettop(L) + index + 1 : index
        mg_lua_getglobal(L, "tostring")
        lua_pushvalue(L, idx)
        lua_call(L, 1, 1)
        defer { mg_lua_pop(L, 1) }
        guard let p = lua_tolstring(L, -1, &len) else { return nil }
        return String(decoding: UnsafeRawBufferPointer(start: p, count: len), as: UTF8.self)
    }
}

/// Failures reported by the VM wrapper.
public enum LuaError: Error, CustomStringConvertible {
    case outOfMemory
    case syntax(String)
    case runtime(String)

    public var description: String {
        switch self {
        case .outOfMemory: return "failed to create Lua VM: out of memory"
        case .syntax(let m): return m
        case .runtime(let m): return m
        }
    }
}
