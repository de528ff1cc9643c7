-- ngx.header and ngx.resp.get_headers (ngx_http_lua_headers_out.c,
-- lua-resty-core's response.lua).

local ffi = require "ffi"
local base = require "resty.core.base"

local C = ffi.C
local ffi_string = ffi.string
local type = type
local tostring = tostring
local error = error
local pairs = pairs
local lower = string.lower
local rawget = rawget
local setmetatable = setmetatable
local gsub = string.gsub
local get_request = base.get_request
local get_size_ptr = base.get_size_ptr
local new_tab = base.new_tab
local errmsg = base.get_errmsg_ptr()
local ngx = ngx

ffi.cdef [[
    int mg_http_resp_header_set(void *r, const char *k, size_t kl,
                                const unsigned char *v, size_t vl, int mode,
                                char **err);
    int mg_http_resp_header_get(void *r, const char *k, size_t kl, int idx,
                                const unsigned char **v, size_t *vl);
    int mg_http_resp_header_count(void *r);
    int mg_http_resp_header_at(void *r, int i, const unsigned char **k,
                               size_t *kl, const unsigned char **v,
                               size_t *vl);
]]

local _M = { version = base.version }

local value_ptr = ffi.new("const unsigned char *[1]")
local key_ptr = ffi.new("const unsigned char *[1]")
local klen = ffi.new("size_t[1]")

local function header_value(v)
    local t = type(v)
    if t == "string" then
        return v
    end
    if t == "number" or t == "boolean" then
        return tostring(v)
    end
    error("invalid header value: " .. t, 3)
end

local function set_one(r, key, value, mode)
    local rc = C.mg_http_resp_header_set(r, key, #key, value,
                                         value and #value or 0, mode, errmsg)
    if rc == -100 then
        -- r was nil (the running request) and there is none: what
        -- header_set raised before (set_one is not tail-called on that path)
        base.no_request(3, true)
    end
    if rc == -5 then
        ngx.log(ngx.ERR, ffi_string(errmsg[0]))
        return
    end
    if rc ~= 0 then
        error(ffi_string(errmsg[0]), 3)
    end
end

local function header_set(self, key, value)
    -- A string or number value: r stays nil, the FFI call finds the running
    -- request itself (one FFI call instead of two).
    local tv = type(value)
    local r = nil
    if tv ~= "string" and tv ~= "number" then
        r = get_request()
        if not r then
            base.no_request(2, true)
        end
    end
    if type(key) ~= "string" then
        key = tostring(key)
    end
    if value == nil then
        return set_one(r, key, nil, 0)
    end
    if type(value) == "table" then
        local n = #value
        if n == 0 then
            return set_one(r, key, nil, 0)
        end
        for i = 1, n do
            set_one(r, key, header_value(value[i]), i == 1 and 1 or 2)
        end
        return
    end
    set_one(r, key, header_value(value), 1)
end

local function header_get(self, key)
    local r = get_request()
    if not r then
        error("no request found", 2)
    end
    if type(key) ~= "string" then
        key = tostring(key)
    end
    local sz = get_size_ptr()
    local n = C.mg_http_resp_header_get(r, key, #key, 0, value_ptr, sz)
    if n <= 0 then
        return nil
    end
    local first = ffi_string(value_ptr[0], sz[0])
    if n == 1 then
        return first
    end
    local out = { first }
    for i = 2, n do
        C.mg_http_resp_header_get(r, key, #key, i - 1, value_ptr, sz)
        out[i] = ffi_string(value_ptr[0], sz[0])
    end
    return out
end

ngx.header = setmetatable({}, { __index = header_get,
                                __newindex = header_set })

local function normalize_key(k)
    return (gsub(lower(k), "_", "-"))
end

local headers_mt = {
    __index = function(t, k)
        if type(k) ~= "string" then
            return nil
        end
        return rawget(t, normalize_key(k))
    end
}

--- Builds the table ngx.req.get_headers / ngx.resp.get_headers return:
-- lowercased keys (unless raw), repeated headers as arrays, "truncated" as the
-- second value past max_headers (default 100, 0 = unlimited).
function _M.collect_headers(r, count_fn, at_fn, max_headers, raw)
    max_headers = max_headers or 100
    local count = count_fn(r)
    local truncated
    if max_headers > 0 and count > max_headers then
        count = max_headers
        truncated = "truncated"
    end
    local out = new_tab(0, count)
    local sz = get_size_ptr()
    for i = 0, count - 1 do
        if at_fn(r, i, key_ptr, klen, value_ptr, sz) == 0 then
            local k = ffi_string(key_ptr[0], klen[0])
            if not raw then
                k = lower(k)
            end
            local v = ffi_string(value_ptr[0], sz[0])
            local old = rawget(out, k)
            if old == nil then
                out[k] = v
            elseif type(old) == "table" then
                old[#old + 1] = v
            else
                out[k] = { old, v }
            end
        end
    end
    if not raw then
        setmetatable(out, headers_mt)
    end
    return out, truncated
end

function ngx.resp.get_headers(max_headers, raw)
    local r = get_request()
    if not r then
        error("no request found", 2)
    end
    return _M.collect_headers(r, C.mg_http_resp_header_count,
                              C.mg_http_resp_header_at, max_headers, raw)
end

_M.headers_mt = headers_mt
_M.normalize_key = normalize_key

return _M
