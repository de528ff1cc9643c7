-- ngx.thread.spawn, ngx.thread.wait, ngx.thread.kill and ngx.on_abort
-- (ngx_http_lua_uthread.c). Swift schedules the coroutines; this file keeps
-- each light thread's function, arguments and results.

local ffi = require "ffi"
local base = require "resty.core.base"
local runtime = require "moongate.runtime"

local C = ffi.C
local ffi_new = ffi.new
local ffi_string = ffi.string
local co_running = coroutine.running
local yield_io = runtime.yield_io
local traceback = debug.traceback
local select = select
local unpack = unpack
local type = type
local error = error
local tostring = tostring
local gsub = string.gsub
local getinfo = debug.getinfo
local registry = debug.getregistry()
local xpcall = xpcall
local setmetatable = setmetatable
local errmsg = base.get_errmsg_ptr()

ffi.cdef [[
    int mg_thread_spawn(int id, char **err);
    int mg_thread_wait(const int *ids, int n, char **err);
    int mg_thread_kill(int id);
    int mg_thread_check(char **err);
    int mg_log(int level, const unsigned char *msg, size_t len);
]]

local _M = { version = base.version }

-- Threads about to start, by id (the runner takes them out).
local starting = {}
-- Thread records by coroutine; weak keys so that dropped threads go away.
local recs = setmetatable({}, { __mode = "k" })
-- The same records by id (for the waiter, resumed with an id).
local by_id = setmetatable({}, { __mode = "v" })
local next_id = 0
local ids_buf = ffi_new("int[?]", 64)

local function pack(...)
    return { n = select("#", ...), ... }
end

local last_err

local function on_error(e)
    last_err = e
    if type(e) ~= "string" then
        e = tostring(e)
    end
    return traceback(e, 2)
end

--- The body of every light thread: Swift starts it with the thread's id.
function _M.run(id)
    local s = starting[id]
    starting[id] = nil
    local rec = s.rec
    local co = co_running()
    recs[co] = rec
    s.co = co
    local res = pack(xpcall(s.f, on_error, unpack(s.args, 1, s.args.n)))
    if not res[1] then
        local msg = "lua user thread aborted: runtime error: "
                    .. tostring(res[2])
        C.mg_log(4, msg, #msg)
        local e = last_err
        if type(e) == "string" then
            -- ngx.thread.wait reports the message without its position.
            e = gsub(e, "^[^\n]-:%d+: ", "", 1)
        end
        res = { n = 2, false, e }
        last_err = nil
    end
    rec.res = res
    rec.done = true
end

--- The body of the ngx.on_abort light thread: Swift starts it with the
--- registry ref of the handler when the client closes the connection.
function _M.run_abort(ref)
    local f = registry[ref]
    local ok, err = xpcall(f, on_error)
    if not ok then
        local msg = "lua user thread aborted: runtime error: " .. tostring(err)
        C.mg_log(4, msg, #msg)
    end
end

-- The function's name as its caller sees it ('?' under pcall), as
-- luaL_argerror reports it.
local function fname()
    local info = getinfo(2, "n")
    return info and info.name or "?"
end

local function check(level)
    local rc = C.mg_thread_check(errmsg)
    if rc ~= 0 then
        error(ffi_string(errmsg[0]), level + 1)
    end
end

local function spawn(f, ...)
    if type(f) ~= "function" then
        error("bad argument #1 to '" .. fname() .. "' (Lua function expected)",
              2)
    end
    check(2)
    next_id = next_id + 1
    local id = next_id
    local rec = { id = id, parent = co_running() }
    by_id[id] = rec
    local s = { f = f, args = pack(...), rec = rec }
    starting[id] = s
    local rc = C.mg_thread_spawn(id, errmsg)
    if rc ~= -2 then
        starting[id] = nil
        error(ffi_string(errmsg[0]), 2)
    end
    yield_io()
    return s.co
end

local function take(rec)
    rec.waited = true
    local res = rec.res
    rec.res = nil
    return unpack(res, 1, res.n)
end

local function wait(...)
    local n = select("#", ...)
    check(2)
    local me = co_running()
    local live = 0
    for i = 1, n do
        local co = select(i, ...)
        if type(co) ~= "thread" then
            error("bad argument #" .. i .. " to '" .. fname()
                  .. "' (lua thread expected)", 2)
        end
        local rec = recs[co]
        if not rec then
            error("bad argument #" .. i .. " to '" .. fname()
                  .. "' (lua thread expected)", 2)
        end
        if rec.parent ~= me then
            error("only the parent coroutine can wait on the thread", 2)
        end
        if rec.waited then
            return nil, "already waited or killed"
        end
        if rec.done then
            return take(rec)
        end
        if live < 64 then
            ids_buf[live] = rec.id
            live = live + 1
        end
    end
    if live == 0 then
        error("at least one coroutine should be specified", 2)
    end
    local rc = C.mg_thread_wait(ids_buf, live, errmsg)
    if rc ~= -2 then
        error(ffi_string(errmsg[0]), 2)
    end
    local id = yield_io()
    local rec = by_id[id]
    return take(rec)
end

local function kill(co)
    if type(co) ~= "thread" then
        error("bad argument #1 to '" .. fname() .. "' (lua thread expected)",
              2)
    end
    check(2)
    local rec = recs[co]
    if not rec then
        return nil, "not user thread"
    end
    if rec.parent ~= co_running() then
        return nil, "killer not parent"
    end
    if rec.waited then
        return nil, "already waited or killed"
    end
    rec.waited = true
    rec.res = nil
    if rec.done then
        return 1
    end
    C.mg_thread_kill(rec.id)
    return 1
end

-- ngx_lua reports light threads by its own scheduler's view: one waiting
-- for I/O is "running", one that ended but was not waited for a "zombie".
local co_status = coroutine.status

function coroutine.status(co)
    local rec = co and recs[co]
    if rec then
        if rec.waited then
            return "dead"
        end
        if rec.done then
            return "zombie"
        end
        if co_status(co) == "suspended" then
            return "running"
        end
    end
    return co_status(co)
end

local thread = ngx.thread
thread.spawn = spawn
thread.wait = wait
thread.kill = kill

-- ngx.on_abort lives in resty.core.output (with ngx_lua's context checks).

return _M
