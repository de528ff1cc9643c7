-- ngx.log, print, ngx.get_phase, ngx.sleep, ngx.worker.*, ngx.config.*,
-- ngx.is_subrequest (ngx_http_lua_log.c, _phase.c, _sleep.c, _worker.c,
-- _config.c).

local ffi = require "ffi"
local base = require "resty.core.base"
local runtime = require "moongate.runtime"

local C = ffi.C
local ffi_string = ffi.string
local getinfo = debug.getinfo
local type = type
local tostring = tostring
local select = select
local error = error
local concat = table.concat
local getmetatable = getmetatable
local get_request = base.get_request
local get_string_buf = base.get_string_buf
local get_size_ptr = base.get_size_ptr
local errmsg = base.get_errmsg_ptr()
local yield_io = runtime.yield_io
local ngx = ngx

ffi.cdef [[
    int mg_log(int level, const unsigned char *msg, size_t len);
    int mg_log_level(void);
    int mg_raw_log(int level, const unsigned char *msg, size_t len);
    int mg_get_phase_name(const unsigned char **name, size_t *len);
    unsigned int mg_http_phase(void);
    int mg_check_context(unsigned int mask, char **err);
    int mg_sleep(int ms, char **err);
    int mg_worker_info(int what);
    int mg_config_str(int what, const unsigned char **v, size_t *vl);
    int mg_http_is_subrequest(void *r);
    int mg_http_arg_get(int idx, const unsigned char **v, size_t *vl);
    int mg_http_arg_set(int idx, const unsigned char *v, size_t vl, int flag,
                        char **err);
    int mg_http_arg_count(void);
]]

local _M = { version = base.version }

local str_ptr = ffi.new("const unsigned char *[1]")
local null = ngx.null

local function format_args(fname, ...)
    local n = select("#", ...)
    local buf = {}
    for i = 1, n do
        local v = select(i, ...)
        local t = type(v)
        if t == "string" then
            buf[i] = v
        elseif t == "number" then
            buf[i] = tostring(v)
        elseif t == "nil" then
            buf[i] = "nil"
        elseif t == "boolean" then
            buf[i] = v and "true" or "false"
        elseif v == null then
            buf[i] = "null"
        else
            local mt = getmetatable(v)
            if mt and mt.__tostring then
                buf[i] = tostring(v)
            elseif t == "table" then
                error("bad argument #" .. i .. " to '" .. fname
                      .. "' (expected table to have __tostring metamethod)",
                      3)
            else
                error("bad argument #" .. (fname == "log" and i + 1 or i)
                      .. " to '" .. fname .. "' (string, number, boolean, "
                      .. "or nil expected, got " .. t .. ")", 3)
            end
        end
    end
    return concat(buf, "", 1, n)
end

local function where(level)
    local info = getinfo(level, "Sln")
    if not info then
        return "[lua] ?: "
    end
    local name = info.name
    return "[lua] " .. info.short_src .. ":" .. (info.currentline or 0)
           .. ": " .. (name and name .. "(): " or "")
end

function ngx.log(level, ...)
    if type(level) ~= "number" then
        error("bad argument #1 to 'log' (number expected, got "
              .. type(level) .. ")", 2)
    end
    if level < 0 or level > 8 then
        error("bad log level", 2)
    end
    if level ~= 0 and level > C.mg_log_level() then
        return
    end
    local msg = where(3) .. format_args("log", ...)
    C.mg_log(level, msg, #msg)
end

function _G.print(...)
    if 6 > C.mg_log_level() then
        return
    end
    local msg = where(3) .. format_args("print", ...)
    C.mg_log(6, msg, #msg)
end

function ngx.get_phase()
    local sz = get_size_ptr()
    C.mg_get_phase_name(str_ptr, sz)
    -- No tail call: the JIT cannot return from ffi.string to an interpreted caller.
    local s_ = ffi_string(str_ptr[0], sz[0])
    return s_
end

--- Raises ngx_lua's context error unless the phase is in `mask`.
function _M.check_context(mask, level)
    if C.mg_check_context(mask, errmsg) ~= 0 then
        error(ffi_string(errmsg[0]), (level or 1) + 1)
    end
end

function ngx.sleep(sec)
    if type(sec) ~= "number" then
        sec = tonumber(sec)
        if not sec then
            error("bad argument #1 to 'sleep' (number expected)", 2)
        end
    end
    if sec < 0 then
        error("invalid sleep duration \"" .. sec * 1000 .. "\"", 2)
    end
    local rc = C.mg_sleep(sec * 1000, errmsg)
    if rc == -2 then
        return yield_io()
    end
    error(ffi_string(errmsg[0]), 2)
end

local worker = ngx.worker

function worker.pid()
    return C.mg_worker_info(0)
end

function worker.id()
    local id = C.mg_worker_info(1)
    if id < 0 then
        return nil
    end
    return id
end

function worker.count()
    return C.mg_worker_info(2)
end

function worker.exiting()
    return C.mg_worker_info(3) == 1
end

local function config_str(what)
    local sz = get_size_ptr()
    C.mg_config_str(what, str_ptr, sz)
    -- No tail call: the JIT cannot return from ffi.string to an interpreted caller.
    local s_ = ffi_string(str_ptr[0], sz[0])
    return s_
end

local config = ngx.config
config.subsystem = "http"
config.debug = false
config.nginx_version = 1027001
config.ngx_lua_version = 10026
config.moongate_version = "0.1.0"

function config.prefix()
    return config_str(0)
end

function config.nginx_configure()
    return config_str(1)
end


local function arg_get(t, idx)
    if type(idx) ~= "number" then
        return nil
    end
    local sz = get_size_ptr()
    local rc = C.mg_http_arg_get(idx, str_ptr, sz)
    if C.mg_http_phase() == 256 and idx == 2 then
        return rc == 1
    end
    if rc ~= 0 then
        return nil
    end
    -- No tail call: the JIT cannot return from ffi.string to an interpreted caller.
    local s_ = ffi_string(str_ptr[0], sz[0])
    return s_
end

local function arg_set(t, idx, v)
    local rc
    if idx == 2 then
        rc = C.mg_http_arg_set(2, nil, 0, v and 1 or 0, errmsg)
    else
        local tv = type(v)
        if v == nil then
            v = ""
        elseif tv ~= "table" and tv ~= "string" and tv ~= "number" then
            error("bad chunk data type: " .. tv, 2)
        elseif tv == "table" then
            local parts = {}
            for i = 1, #v do
                parts[i] = tostring(v[i])
            end
            v = concat(parts)
        elseif type(v) ~= "string" then
            v = tostring(v)
        end
        rc = C.mg_http_arg_set(idx, v, #v, 0, errmsg)
    end
    if rc ~= 0 then
        error(ffi_string(errmsg[0]), 2)
    end
end

ngx.arg = setmetatable({}, {
    __index = arg_get,
    __newindex = arg_set,
    __len = function() return C.mg_http_arg_count() end,
})

_M.config_str = config_str
_M.get_string_buf = get_string_buf

return _M
