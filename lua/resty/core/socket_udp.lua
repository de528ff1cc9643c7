-- ngx.socket.udp (ngx_http_lua_socket_udp.c): setpeername, send,
-- receive, settimeout, close.

local ffi = require "ffi"
local base = require "resty.core.base"
local runtime = require "moongate.runtime"

local C = ffi.C
local ffi_new = ffi.new
local ffi_string = ffi.string
local ffi_gc = ffi.gc
local yield_io = runtime.yield_io
local setmetatable = setmetatable
local tostring = tostring
local tonumber = tonumber
local concat = table.concat
local type = type
local error = error
local floor = math.floor
local sub = string.sub
local errmsg = base.get_errmsg_ptr()
local get_size_ptr = base.get_size_ptr

ffi.cdef [[
    int mg_udp_new(void **out, char **err);
    void mg_udp_gc(void *s);
    int mg_udp_setpeername(void *s, const char *host, size_t hl, int port,
                           char **err);
    int mg_udp_send(void *s, const unsigned char *d, size_t len, char **err);
    int mg_udp_receive(void *s, int size, const unsigned char **out,
                       size_t *outl, char **err);
    int mg_udp_settimeout(void *s, int ms);
    int mg_udp_close(void *s, char **err);
]]

local out_ptr = ffi_new("void *[1]")
local str_ptr = ffi_new("const unsigned char *[1]")

local _M = { version = base.version }

local methods = {}
local mt = { __index = methods }

local function check_self(self, name)
    if type(self) ~= "table" or self[1] == nil then
        error("bad argument #1 to '" .. name .. "' (table expected, got "
              .. type(self) .. ")", 3)
    end
    return self[1]
end

local function udp()
    local rc = C.mg_udp_new(out_ptr, errmsg)
    if rc ~= 0 then
        error(ffi_string(errmsg[0]), 2)
    end
    return setmetatable({ ffi_gc(out_ptr[0], C.mg_udp_gc) }, mt)
end

function methods.setpeername(self, host, port)
    local s = check_self(self, "setpeername")
    if type(host) ~= "string" then
        error("bad argument #1 to 'setpeername' (string expected, got "
              .. type(host) .. ")", 2)
    end
    local p = -1
    if sub(host, 1, 5) ~= "unix:" then
        p = tonumber(port)
        if not p then
            error("bad argument #2 to 'setpeername' (number expected, got "
                  .. type(port) .. ")", 2)
        end
        if p < 0 or p > 65535 then
            return nil, "bad port number: " .. tostring(port)
        end
    end
    local rc = C.mg_udp_setpeername(s, host, #host, p, errmsg)
    if rc == 0 then
        return 1
    end
    if rc == -2 then
        return yield_io()
    end
    if rc == -1 then
        return nil, ffi_string(errmsg[0])
    end
    error(ffi_string(errmsg[0]), 2)
end

function methods.send(self, data)
    local s = check_self(self, "send")
    local td = type(data)
    if td == "table" then
        local out = {}
        for i = 1, #data do
            out[i] = tostring(data[i])
        end
        data = concat(out)
    elseif td == "number" or td == "boolean" or td == "nil" then
        data = tostring(data)
    elseif td ~= "string" then
        error("bad argument #1 to 'send' (string, number, boolean, nil, "
              .. "or array table expected, got " .. td .. ")", 2)
    end
    local rc = C.mg_udp_send(s, data, #data, errmsg)
    if rc == 0 then
        return 1
    end
    if rc == -1 then
        return nil, ffi_string(errmsg[0])
    end
    error(ffi_string(errmsg[0]), 2)
end

function methods.receive(self, size)
    local s = check_self(self, "receive")
    local n = 65536
    if size ~= nil then
        n = tonumber(size)
        if not n then
            error("bad argument #1 to 'receive' (number expected, got "
                  .. type(size) .. ")", 2)
        end
        n = floor(n)
        if n < 0 or n > 65536 then
            error("bad argument #1 to 'receive' (bad size)", 2)
        end
    end
    local sz = get_size_ptr()
    local rc = C.mg_udp_receive(s, n, str_ptr, sz, errmsg)
    if rc == 0 then
        -- No tail call: the JIT cannot return from ffi.string to an interpreted caller.
        local s_ = ffi_string(str_ptr[0], sz[0])
        return s_
    end
    if rc == -2 then
        return yield_io()
    end
    if rc == -1 then
        return nil, ffi_string(errmsg[0])
    end
    error(ffi_string(errmsg[0]), 2)
end

function methods.settimeout(self, ms)
    local s = check_self(self, "settimeout")
    C.mg_udp_settimeout(s, tonumber(ms) or 0)
end

function methods.close(self)
    local s = check_self(self, "close")
    local rc = C.mg_udp_close(s, errmsg)
    if rc == 0 then
        return 1
    end
    if rc == -1 then
        return nil, ffi_string(errmsg[0])
    end
    error(ffi_string(errmsg[0]), 2)
end

ngx.socket.udp = udp
_M.udp = udp
return _M
