-- The ngx.errlog module of lua-resty-core: the lines lua_capture_error_log
-- captured in this worker, their filter level, the error log's level and
-- raw_log.

local ffi = require "ffi"
local base = require "resty.core.base"
require "resty.core.misc"

local C = ffi.C
local ffi_new = ffi.new
local ffi_str = ffi.string
local new_tab = base.new_tab
local get_size_ptr = base.get_size_ptr
local get_errmsg_ptr = base.get_errmsg_ptr
local FFI_ERROR = base.FFI_ERROR
local FFI_DONE = base.FFI_DONE
local type = type
local error = error
local tonumber = tonumber

ffi.cdef[[
int mg_errlog_set_filter_level(int level, char **err);
int mg_errlog_get_msg(const unsigned char **log, size_t *len, int *level,
    double *time, char **err);
]]

local logp = ffi_new("const unsigned char *[1]")
local levelp = ffi_new("int[1]")
local timep = ffi_new("double[1]")

local _M = { version = base.version }

function _M.set_filter_level(level)
    if not level then
        return nil, [[missing "level" argument]]
    end
    local err = get_errmsg_ptr()
    local rc = C.mg_errlog_set_filter_level(level, err)
    if rc == FFI_ERROR then
        return nil, ffi_str(err[0])
    end
    return true
end

function _M.get_logs(max, logs)
    local err = get_errmsg_ptr()
    local lenp = get_size_ptr()

    max = max or 10
    if not logs then
        logs = new_tab(max * 3 + 1, 0)
    end

    local count = 0
    for i = 1, max do
        local rc = C.mg_errlog_get_msg(logp, lenp, levelp, timep, err)
        if rc == FFI_ERROR then
            return nil, ffi_str(err[0])
        end

        if rc == FFI_DONE then
            logs[count + 1] = nil
            break
        end

        logs[count + 1] = levelp[0]
        logs[count + 2] = timep[0]
        logs[count + 3] = ffi_str(logp[0], lenp[0])
        count = count + 3

        if i == max then
            logs[count + 1] = nil
            break
        end
    end

    return logs
end

function _M.get_sys_filter_level()
    return tonumber(C.mg_log_level())
end

function _M.raw_log(level, msg)
    if type(level) ~= "number" then
        error("bad argument #1 to 'raw_log' (must be a number)", 2)
    end
    if type(msg) ~= "string" then
        error("bad argument #2 to 'raw_log' (must be a string)", 2)
    end
    if level < 0 or level > 8 then
        error("bad log level", 2)
    end
    C.mg_raw_log(level, msg, #msg)
end

return _M
