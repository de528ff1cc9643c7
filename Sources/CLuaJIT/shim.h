#ifndef MOONGATE_CLUAJIT_SHIM_H
#define MOONGATE_CLUAJIT_SHIM_H
#include <lua.h>
#include <lualib.h>
#include <lauxlib.h>
#include <luajit.h>

/// lua.h defines these as macros, which Swift cannot import.
static inline void mg_lua_pop(lua_State *L, int n) { lua_settop(L, -(n)-1); }
/// Macro in lua.h.
static inline void mg_lua_newtable(lua_State *L) { lua_createtable(L, 0, 0); }
/// Macro in lua.h.
static inline void mg_lua_pushcfunction(lua_State *L, lua_CFunction f) { lua_pushcclosure(L, f, 0); }
/// Macro in lua.h.
static inline int mg_lua_isfunction(lua_State *L, int n) { return lua_type(L, n) == LUA_TFUNCTION; }
/// Macro in lua.h.
static inline int mg_lua_istable(lua_State *L, int n) { return lua_type(L, n) == LUA_TTABLE; }
/// Macro in lua.h.
static inline int mg_lua_isnil(lua_State *L, int n) { return lua_type(L, n) == LUA_TNIL; }
/// Macro in lua.h.
static inline int mg_lua_isnoneornil(lua_State *L, int n) { return lua_type(L, n) <= 0; }
/// Macro in lua.h.
static inline void mg_lua_pushliteral(lua_State *L, const char *s) { lua_pushstring(L, s); }
/// Macro in lua.h.
static inline void mg_lua_setglobal(lua_State *L, const char *s) { lua_setfield(L, LUA_GLOBALSINDEX, s); }
/// Macro in lua.h.
static inline void mg_lua_getglobal(lua_State *L, const char *s) { lua_getfield(L, LUA_GLOBALSINDEX, s); }
/// Macro in lua.h.
static inline const char *mg_lua_tostring(lua_State *L, int i) { return lua_tolstring(L, i, NULL); }
/// Macro in lua.h.
static inline void mg_lua_getregistry(lua_State *L) { lua_pushvalue(L, LUA_REGISTRYINDEX); }
/// Pseudo-indices are macros in lua.h.
static inline int mg_lua_registryindex(void) { return LUA_REGISTRYINDEX; }
/// Pseudo-indices are macros in lua.h.
static inline int mg_lua_globalsindex(void) { return LUA_GLOBALSINDEX; }
/// Macro in lauxlib.h.
static inline int mg_luaL_dostring(lua_State *L, const char *s) { return luaL_loadstring(L, s) || lua_pcall(L, 0, LUA_MULTRET, 0); }
/// Macro in lua.h.
static inline int mg_lua_upvalueindex(int i) { return LUA_GLOBALSINDEX - i; }
#endif
