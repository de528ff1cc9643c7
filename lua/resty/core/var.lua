-- ngx.var (ngx_http_lua_variable.c; lua-resty-core's var.lua).

local ffi = require "ffi"
local base = require "resty.core.base"

local C = ffi.C
local ffi_string = ffi.string
local type = type
local tostring = tostring
local error = error
local get_request = base.get_request
local get_size_ptr = base.get_size_ptr
local errmsg = base.get_errmsg_ptr()
local ngx = ngx

ffi.cdef [[
    int mg_http_var_get(void *r, const char *name, size_t len, int capture,
                        const unsigned char **val, size_t *vlen,
                        char **err);
    int mg_http_var_index(const char *name, size_t len);
    int mg_http_var_get_at(int index, const unsigned char **val, size_t *vlen,
                           char **err);
    int mg_http_var_set(void *r, const char *name, size_t len,
                        const unsigned char *val, size_t vlen, int is_nil,
                        char **err);
]]

local _M = { version = base.version }

local value_ptr = ffi.new("const unsigned char *[1]")

-- Each name's index from mg_http_var_index (false: read by name), so that a read
-- passes an index instead of a name to look up again.
local var_index = {}
local n_indexed = 0

local function var_get(self, name)
    -- NULL: the running request (one FFI call instead of two per read).
    local sz = get_size_ptr()
    local rc
    local t = type(name)
    if t == "number" then
        rc = C.mg_http_var_get(nil, nil, 0, name, value_ptr, sz, errmsg)
    elseif t == "string" then
        local i = var_index[name]
        if i == nil then
            i = C.mg_http_var_index(name, #name)
            if i < 0 then
                i = false
            end
            if n_indexed < 4096 then
                var_index[name] = i
                n_indexed = n_indexed + 1
            end
        end
        if i then
            rc = C.mg_http_var_get_at(i, value_ptr, sz, errmsg)
        else
            rc = C.mg_http_var_get(nil, name, #name, 0, value_ptr, sz, errmsg)
        end
    else
        if not get_request() then
            error("no request found", 2)
        end
        error("bad variable name", 2)
    end
    if rc == 0 then
        -- No tail call: the JIT cannot return from ffi.string to an interpreted caller.
        local s_ = ffi_string(value_ptr[0], sz[0])
        return s_
    end
    if rc == -5 then
        return nil
    end
    if rc == -100 then
        error("no request found", 2)
    end
    error(ffi_string(errmsg[0]), 2)
end

local function var_set(self, name, value)
    local r = get_request()
    if not r then
        error("no request found", 2)
    end
    if type(name) ~= "string" then
        error("bad variable name", 2)
    end
    local rc
    if value == nil then
        rc = C.mg_http_var_set(r, name, #name, nil, 0, 1, errmsg)
    else
        local tv = type(value)
        if tv ~= "string" then
            if tv == "number" then
                value = tostring(value)
            else
                error("bad variable value", 2)
            end
        end
        rc = C.mg_http_var_set(r, name, #name, value, #value, 0, errmsg)
    end
    if rc ~= 0 then
        error(ffi_string(errmsg[0]), 2)
    end
end

ngx.var = setmetatable({}, { __index = var_get, __newindex = var_set })

return _M
