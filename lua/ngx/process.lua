-- The ngx.process module of lua-resty-core: the process type and the
-- master's pid. Privileged agents are not supported by moongate.

local ffi = require "ffi"
local base = require "resty.core.base"
require "resty.core.misc"

local C = ffi.C
local ffi_string = ffi.string
local type = type
local get_size_ptr = base.get_size_ptr
local ngx = ngx

local _M = { version = base.version }

local str_ptr = ffi.new("const unsigned char *[1]")

function _M.type()
    local sz = get_size_ptr()
    if C.mg_config_str(2, str_ptr, sz) ~= 0 then
        return nil
    end
    -- No tail call: the JIT cannot return from ffi.string to an interpreted caller.
    local s_ = ffi_string(str_ptr[0], sz[0])
    return s_
end

function _M.enable_privileged_agent(connections)
    if ngx.get_phase() ~= "init" then
        return nil, "API disabled in the current context"
    end
    connections = connections or 512
    if type(connections) ~= "number" or connections < 0 then
        return nil, "bad 'connections' argument: "
                    .. "number expected and greater than 0"
    end
    return nil, "not supported"
end

function _M.signal_graceful_exit()
    C.mg_process_signal_graceful_exit()
end

function _M.get_master_pid()
    local pid = C.mg_worker_info(4)
    if pid <= 0 then
        return nil
    end
    return pid
end

ffi.cdef [[
    void mg_process_signal_graceful_exit(void);
]]

return _M
