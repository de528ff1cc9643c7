-- ngx.now, ngx.time, ngx.update_time, ngx.today, ngx.localtime,
-- ngx.utctime, ngx.cookie_time, ngx.http_time and ngx.parse_http_time over
-- Moongate's mg_time_* functions (the worker's cached clock).

local ffi = require "ffi"
local base = require "resty.core.base"

local C = ffi.C
local ffi_new = ffi.new
local ffi_string = ffi.string
local ngx = ngx
local type = type
local tonumber = tonumber
local error = error
local get_string_buf = base.get_string_buf

local _M = {version = base.version}

ffi.cdef [[
    double mg_time_now(void);
    long mg_time_time(void);
    void mg_time_update(void);
    int mg_time_today(unsigned char *buf);
    int mg_time_localtime(unsigned char *buf);
    int mg_time_utctime(unsigned char *buf);
    int mg_time_cookie_time(unsigned char *buf, long t);
    int mg_time_http_time(unsigned char *buf, long t);
    int mg_time_parse_http_time(const unsigned char *str, size_t len,
                                long *time);
]]

local NGX_OK = 0
-- Large enough for every format, even with years past 9999.
local TIME_BUF_SIZE = 64
local time_val = ffi_new("long[1]")

function ngx.now()
    return tonumber(C.mg_time_now())
end

function ngx.time()
    return tonumber(C.mg_time_time())
end

function ngx.update_time()
    C.mg_time_update()
end

local function format(fn)
    local buf = get_string_buf(TIME_BUF_SIZE)
    -- No tail call: the JIT cannot return from ffi.string to an interpreted caller.
    local s_ = ffi_string(buf, fn(buf))
    return s_
end

function ngx.today()
    return format(C.mg_time_today)
end

function ngx.localtime()
    return format(C.mg_time_localtime)
end

function ngx.utctime()
    return format(C.mg_time_utctime)
end

function ngx.cookie_time(sec)
    if type(sec) ~= "number" then
        error("number argument only", 2)
    end
    local buf = get_string_buf(TIME_BUF_SIZE)
    -- No tail call: the JIT cannot return from ffi.string to an interpreted caller.
    local s_ = ffi_string(buf, C.mg_time_cookie_time(buf, sec))
    return s_
end

function ngx.http_time(sec)
    if type(sec) ~= "number" then
        error("number argument only", 2)
    end
    local buf = get_string_buf(TIME_BUF_SIZE)
    -- No tail call: the JIT cannot return from ffi.string to an interpreted caller.
    local s_ = ffi_string(buf, C.mg_time_http_time(buf, sec))
    return s_
end

function ngx.parse_http_time(time_str)
    if type(time_str) ~= "string" then
        error("string argument only", 2)
    end
    if C.mg_time_parse_http_time(time_str, #time_str, time_val) ~= NGX_OK
    then
        return nil
    end
    return tonumber(time_val[0])
end

return _M
