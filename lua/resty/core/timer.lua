-- ngx.timer.at, ngx.timer.every, ngx.timer.running_count,
-- ngx.timer.pending_count (ngx_http_lua_timer.c). Swift keeps the deadlines;
-- the callbacks and their arguments stay here, by timer id.

local ffi = require "ffi"
local base = require "resty.core.base"

local C = ffi.C
local ffi_string = ffi.string
local getinfo = debug.getinfo
local select = select
local unpack = unpack
local type = type
local error = error
local tonumber = tonumber
local tostring = tostring
local errmsg = base.get_errmsg_ptr()

ffi.cdef [[
    int mg_timer_add(int id, double delay_ms, int every, char **err);
    int mg_timer_count(int running);
    int mg_raw_log(int level, const unsigned char *msg, size_t len);
]]

local _M = { version = base.version }

local timers = {}
local next_id = 0

-- The API function's name as its caller sees it ('?' under pcall), as
-- luaL_argerror reports it.
local function fname()
    local info = getinfo(3, "n")
    return info and info.name or "?"
end

local function add(name, every, ...)
    local n = select("#", ...)
    if n < 2 then
        error("expecting at least 2 arguments but got " .. n, 3)
    end
    local delay, callback = ...
    local d = tonumber(delay)
    if type(delay) ~= "number" and not d then
        name = fname()
        error("bad argument #1 to '" .. name .. "' (number expected, got "
              .. type(delay) .. ")", 3)
    end
    local ms = d * 1000
    if every and ms < 1 then
        error("delay cannot be zero", 3)
    end
    if type(callback) ~= "function" then
        name = fname()
        error("bad argument #2 to '" .. name .. "' (Lua function expected)", 3)
    end
    next_id = next_id + 1
    local id = next_id
    local rc = C.mg_timer_add(id, ms, every and 1 or 0, errmsg)
    if rc == -1 then
        return nil, ffi_string(errmsg[0])
    end
    if rc ~= 0 then
        error(ffi_string(errmsg[0]), 3)
    end
    timers[id] = { n = n, ... }
    return 1
end

--- Started by Swift in the timer's own coroutine.
function _M.run(id, premature, keep, overload)
    local t = timers[id]
    if not keep then
        timers[id] = nil
    end
    if not t then
        return
    end
    if overload then
        local info = getinfo(t[2], "S")
        local msg = "lua failed to run timer with function defined at "
                    .. tostring(info and info.source or "(unknown)") .. ":"
                    .. tostring(info and info.linedefined or 0) .. ": "
                    .. overload
        C.mg_raw_log(2, msg, #msg)
        return
    end
    return t[2](premature, unpack(t, 3, t.n))
end

local timer = ngx.timer

-- Not tail calls: add() raises errors at level 3, the caller of these.
function timer.at(...)
    local ok, err = add("at", false, ...)
    return ok, err
end

function timer.every(...)
    local ok, err = add("every", true, ...)
    return ok, err
end

function timer.running_count()
    return C.mg_timer_count(1)
end

function timer.pending_count()
    return C.mg_timer_count(0)
end

return _M
