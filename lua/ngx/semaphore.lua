-- ngx.semaphore (lua-resty-core's lib/ngx/semaphore.lua over moongate's
-- FFI): new(n), post(n), wait(timeout), count().

local ffi = require "ffi"
local base = require "resty.core.base"
local runtime = require "moongate.runtime"

local C = ffi.C
local ffi_new = ffi.new
local ffi_string = ffi.string
local ffi_gc = ffi.gc
local yield_io = runtime.yield_io
local setmetatable = setmetatable
local tonumber = tonumber
local type = type
local error = error
local errmsg = base.get_errmsg_ptr()

ffi.cdef [[
    int mg_sema_new(void **psem, int n, char **err);
    void mg_sema_gc(void *sem);
    int mg_sema_post(void *sem, int n);
    int mg_sema_count(void *sem);
    int mg_sema_wait(void *sem, int ms, char **err);
]]

local psem = ffi_new("void *[1]")

local _M = { version = base.version }
local mt = { __index = _M }

function _M.new(n)
    n = tonumber(n) or 0
    if n < 0 then
        return error("no negative number")
    end
    local rc = C.mg_sema_new(psem, n, errmsg)
    if rc ~= 0 then
        return nil, ffi_string(errmsg[0])
    end
    local sem = ffi_gc(psem[0], C.mg_sema_gc)
    return setmetatable({ sem = sem }, mt)
end

function _M.wait(self, seconds)
    if type(self) ~= "table" or type(self.sem) ~= "cdata" then
        return error("not a semaphore instance")
    end
    local ms = tonumber(seconds) * 1000
    if ms < 0 then
        return error("no negative number")
    end
    local rc = C.mg_sema_wait(self.sem, ms, errmsg)
    if rc == 0 then
        return true
    end
    if rc == -5 then
        return nil, "timeout"
    end
    if rc == -2 then
        return yield_io()
    end
    if rc == -100 then
        return error("no request found")
    end
    return nil, ffi_string(errmsg[0])
end

function _M.post(self, n)
    if type(self) ~= "table" or type(self.sem) ~= "cdata" then
        return error("not a semaphore instance")
    end
    local num = n and tonumber(n) or 1
    if num < 1 then
        return error("positive number required")
    end
    C.mg_sema_post(self.sem, num)
    return true
end

function _M.count(self)
    if type(self) ~= "table" or type(self.sem) ~= "cdata" then
        return error("not a semaphore instance")
    end
    return C.mg_sema_count(self.sem)
end

return _M
