-- The ngx.errlog module of lua-resty-core. Moongate has no
-- lua_capture_error_log buffer: get_logs and set_filter_level report that
-- the directive is not set, as ngx_lua does without it.

local ffi = require "ffi"
local base = require "resty.core.base"
require "resty.core.misc"

local C = ffi.C
local type = type
local error = error

local _M = { version = base.version }

local NOT_SET = 'directive "lua_capture_error_log" is not set'

function _M.set_filter_level(level)
    if not level then
        return nil, [[missing "level" argument]]
    end
    return nil, NOT_SET
end

function _M.get_logs(max, logs)
    return nil, NOT_SET
end

function _M.get_sys_filter_level()
    return C.mg_log_level()
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
