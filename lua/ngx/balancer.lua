-- ngx.balancer for balancer_by_lua*, with lua-resty-core's API and messages.

local base = require "resty.core.base"
base.allows_subsystem("http")

local ffi = require "ffi"

local C = ffi.C
local ffi_str = ffi.string
local errmsg = base.get_errmsg_ptr()
local get_request = base.get_request
local FFI_OK = base.FFI_OK
local FFI_ERROR = base.FFI_ERROR
local int_out = ffi.new("int[1]")
local error = error
local type = type
local tonumber = tonumber

ffi.cdef [[
    int mg_balancer_set_current_peer(void *r, const unsigned char *addr,
        size_t addr_len, int port, char **err);
    int mg_balancer_set_more_tries(void *r, int count, char **err);
    int mg_balancer_get_last_failure(void *r, int *status, char **err);
    int mg_balancer_set_timeouts(void *r, long connect_timeout,
        long send_timeout, long read_timeout, char **err);
    int mg_balancer_recreate_request(void *r, char **err);
    int mg_balancer_enable_keepalive(void *r, long timeout,
        long max_requests, char **err);
]]

local peer_state_names = {
    [1] = "keepalive",
    [2] = "next",
    [4] = "failed",
}

local _M = { version = base.version }

function _M.set_current_peer(addr, port)
    local r = get_request()
    if not r then
        error("no request found")
    end

    if not port then
        port = 0
    elseif type(port) ~= "number" then
        port = tonumber(port)
    end

    local rc = C.mg_balancer_set_current_peer(r, addr, #addr, port, errmsg)
    if rc == FFI_OK then
        return true
    end

    return nil, ffi_str(errmsg[0])
end

function _M.set_more_tries(count)
    local r = get_request()
    if not r then
        error("no request found")
    end

    local rc = C.mg_balancer_set_more_tries(r, count, errmsg)
    if rc == FFI_OK then
        if errmsg[0] == nil then
            return true
        end
        return true, ffi_str(errmsg[0])  -- a warning
    end

    return nil, ffi_str(errmsg[0])
end

function _M.get_last_failure()
    local r = get_request()
    if not r then
        error("no request found")
    end

    local state = C.mg_balancer_get_last_failure(r, int_out, errmsg)

    if state == 0 then
        return nil
    end

    if state == FFI_ERROR then
        return nil, nil, ffi_str(errmsg[0])
    end

    return peer_state_names[state] or "unknown", int_out[0]
end

local function check_timeout(v, what)
    if not v then
        return 0
    end
    if type(v) ~= "number" or v <= 0 then
        error("bad " .. what .. " timeout", 3)
    end
    return v * 1000
end

function _M.set_timeouts(connect_timeout, send_timeout, read_timeout)
    local r = get_request()
    if not r then
        error("no request found")
    end

    connect_timeout = check_timeout(connect_timeout, "connect")
    send_timeout = check_timeout(send_timeout, "send")
    read_timeout = check_timeout(read_timeout, "read")

    local rc = C.mg_balancer_set_timeouts(r, connect_timeout, send_timeout,
                                          read_timeout, errmsg)
    if rc == FFI_OK then
        return true
    end

    return false, ffi_str(errmsg[0])
end

function _M.recreate_request()
    local r = get_request()
    if not r then
        error("no request found")
    end

    local rc = C.mg_balancer_recreate_request(r, errmsg)
    if rc == FFI_OK then
        return true
    end

    if errmsg[0] ~= nil then
        return nil, ffi_str(errmsg[0])
    end

    return nil, "failed to recreate the upstream request"
end

function _M.enable_keepalive(idle_timeout, max_requests)
    local r = get_request()
    if not r then
        error("no request found")
    end

    if not idle_timeout then
        idle_timeout = 60000
    elseif type(idle_timeout) ~= "number" then
        error("bad argument #1 to 'enable_keepalive' (number expected, got "
              .. type(idle_timeout) .. ")", 2)
    elseif idle_timeout < 0 then
        error("bad argument #1 to 'enable_keepalive' (expected >= 0)", 2)
    else
        idle_timeout = idle_timeout * 1000
    end

    if not max_requests then
        max_requests = 100
    elseif type(max_requests) ~= "number" then
        error("bad argument #2 to 'enable_keepalive' (number expected, got "
              .. type(max_requests) .. ")", 2)
    elseif max_requests < 0 then
        error("bad argument #2 to 'enable_keepalive' (expected >= 0)", 2)
    end

    local rc = C.mg_balancer_enable_keepalive(r, idle_timeout, max_requests,
                                              errmsg)
    if rc == FFI_OK then
        return true
    end

    return nil, ffi_str(errmsg[0])
end

return _M
