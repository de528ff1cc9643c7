-- The Lua half of moongate's runtime: helpers Swift calls (traceback, global
-- lock), the I/O yield protocol shared by every waiting API, coroutine
-- wrappers that let user coroutines do I/O, and the loader of the ngx API.

local ffi = require "ffi"

local debug = debug
local traceback = debug.traceback
local co_create = coroutine.create
local co_resume = coroutine.resume
local co_yield = coroutine.yield
local co_status = coroutine.status
local co_running = coroutine.running
local select = select
local pairs = pairs
local unpack = unpack
local error = error
local type = type
local tostring = tostring
local rawset = rawset
local setmetatable = setmetatable
local getmetatable = getmetatable

local _M = { version = "0.1.0" }

-- A value no user code can produce: what an API yields when it waits for
-- Swift. User coroutine wrappers pass it through to the entry thread.
local IO = setmetatable({}, { __tostring = function() return "io" end })
_M.IO = IO

-- What ngx.exit raises where it cannot yield (filters, log, init).
local EXIT = setmetatable({}, { __tostring = function() return "exit" end })
_M.EXIT = EXIT

--- Called by APIs after Swift armed a wait: returns what Swift resumes with.
function _M.yield_io()
    return co_yield(IO)
end

local function pack(...)
    return { n = select("#", ...), ... }
end

-- coroutine.resume that lets the inner coroutine wait on I/O: when the inner
-- coroutine yields the IO marker, this coroutine yields it further up, and
-- resumes the inner one with what it was resumed with.
local function resume(co, ...)
    local res = pack(co_resume(co, ...))
    while res[1] and res[2] == IO and co_status(co) == "suspended" do
        local back = pack(co_yield(IO))
        res = pack(co_resume(co, unpack(back, 1, back.n)))
    end
    return unpack(res, 1, res.n)
end

local function wrap(f)
    local co = co_create(f)
    return function(...)
        local res = pack(resume(co, ...))
        if not res[1] then
            error(res[2], 2)
        end
        return unpack(res, 2, res.n)
    end
end

coroutine.resume = resume
coroutine.wrap = wrap
coroutine._yield = co_yield

local helpers = {}

--- Error handler for Swift's lua_pcall: keeps the EXIT marker as is.
function helpers.traceback(msg)
    if msg == EXIT then
        return "\0exit"
    end
    if type(msg) ~= "string" then
        local mt = getmetatable(msg)
        if mt and mt.__tostring then
            msg = tostring(msg)
        elseif msg == nil then
            msg = "nil"
        else
            msg = tostring(msg)
        end
    end
    return traceback(msg, 2)
end

-- The main chunk `fn` without the vararg flag, when its own code does not use
-- `...`: LuaJIT starts no trace in a vararg function, and a handler's main chunk
-- would always run interpreted. Same code, chunk name and debug info ("main
-- chunk" in tracebacks): the flag is cleared in string.dump's bytecode, which
-- load turns into a fixed-argument function header.
local band = bit.band
local byte = string.byte
local char = string.char
local sub = string.sub

local function uleb(s, pos)
    local v, shift = 0, 0
    while true do
        local b = byte(s, pos)
        pos = pos + 1
        v = v + band(b, 0x7f) * 2 ^ shift
        if b < 0x80 then
            return v, pos
        end
        shift = shift + 7
    end
end

function helpers.fixed_args(fn)
    local ok, jutil = pcall(require, "jit.util")
    if not ok then
        return fn
    end
    local function probe(...) return ... end
    local varg = band(jutil.funcbc(probe, 1), 0xff)
    local pc = 1
    while true do
        local ins = jutil.funcbc(fn, pc)
        if not ins then
            break
        end
        if band(ins, 0xff) == varg then
            return fn
        end
        pc = pc + 1
    end
    local s = string.dump(fn)
    if sub(s, 1, 3) ~= "\27LJ" then
        return fn
    end
    local flags, pos = uleb(s, 5)
    if band(flags, 2) == 0 then -- not stripped: the chunk name
        local n
        n, pos = uleb(s, pos)
        pos = pos + n
    end
    local main
    while pos <= #s do
        local len
        len, pos = uleb(s, pos)
        if len == 0 then
            break
        end
        main = pos
        pos = pos + len
    end
    if not main then
        return fn
    end
    local pflags = byte(s, main)
    if band(pflags, 2) == 0 then -- PROTO_VARARG
        return fn
    end
    local patched = sub(s, 1, main - 1) .. char(pflags - 2) .. sub(s, main + 1)
    local f = loadstring(patched)
    if type(f) ~= "function" then
        return fn
    end
    return f
end

function _M.ref()
    __moongate_runtime = helpers
    return true
end

--- After init_by_lua: warn when request code writes a global, as ngx_lua.
function _M.lock_globals()
    local C = ffi.C
    local G = _G
    local mt = getmetatable(G) or {}
    if mt.__moongate then
        return
    end
    mt.__moongate = true
    mt.__newindex = function(t, k, v)
        if C.mg_http_get_request() ~= nil then
            local info = debug.getinfo(2, "Sl")
            local where = ""
            if info then
                where = info.short_src .. ":" .. (info.currentline or 0)
                    .. ": "
            end
            ngx.log(ngx.WARN, "writing a global Lua variable ('",
                    tostring(k), "') which may lead to race conditions "
                    .. "between concurrent requests, so prefer the use of "
                    .. "'local' variables")
            local _ = where
        end
        rawset(t, k, v)
    end
    setmetatable(G, mt)
end

package.loaded["moongate.runtime"] = _M

require "moongate.ngx"

return _M
