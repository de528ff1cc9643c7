-- ngx.ctx, ngx.status, ngx.headers_sent, ngx.is_subrequest: fields of `ngx`
-- computed per request (lua-resty-core's ctx.lua and status.lua).

local ffi = require "ffi"
local base = require "resty.core.base"

local C = ffi.C
local ffi_string = ffi.string
local error = error
local type = type
local tonumber = tonumber
local rawget = rawget
local rawset = rawset
local setmetatable = setmetatable
local get_request = base.get_request
local ref_in_table = base.ref_in_table
local errmsg = base.get_errmsg_ptr()
local registry = debug.getregistry()
local ngx = ngx

ffi.cdef [[
    int mg_http_ctx_ref(void *r);
    int mg_http_set_ctx_ref(void *r, int ref);
    int mg_http_get_status(void *r);
    int mg_http_set_status(void *r, int status, char **err);
    int mg_http_headers_sent(void *r);
    int mg_http_is_subrequest(void *r);
]]

local _M = { version = base.version }

local function get_ctx()
    -- NULL: the running request (one FFI call instead of two per access).
    local ref = C.mg_http_ctx_ref(nil)
    if ref >= 0 then
        return registry[ref]
    end
    if ref == -100 then
        error("no request found", 3)
    end
    local r = get_request()
    local ctx = {}
    ref = ref_in_table(registry, ctx)
    C.mg_http_set_ctx_ref(r, ref)
    return ctx
end

local function set_ctx(ctx)
    local r = get_request()
    if not r then
        error("no request found", 3)
    end
    if type(ctx) ~= "table" then
        error("ctx should be a table while getting a " .. type(ctx), 3)
    end
    local ref = C.mg_http_ctx_ref(r)
    if ref >= 0 then
        registry[ref] = ctx
        return
    end
    ref = ref_in_table(registry, ctx)
    C.mg_http_set_ctx_ref(r, ref)
end

local function get_status()
    local s = C.mg_http_get_status(nil)
    if s == -100 then
        error("no request found", 3)
    end
    return s
end

local function set_status(status)
    local r = get_request()
    if not r then
        base.no_request(3, true)
    end
    if type(status) ~= "number" then
        status = tonumber(status)
        if not status then
            error("bad status value", 3)
        end
    end
    local rc = C.mg_http_set_status(r, status, errmsg)
    if rc == -1 or rc == -101 then
        error(ffi_string(errmsg[0]), 3)
    end
end

local getters = {
    ctx = get_ctx,
    status = get_status,
    headers_sent = function()
        local r = get_request()
        if not r then
            error("no request found", 3)
        end
        return C.mg_http_headers_sent(r) == 1
    end,
    is_subrequest = function()
        local r = get_request()
        if not r then
            error("no request found", 3)
        end
        return C.mg_http_is_subrequest(r) == 1
    end,
}

local setters = { ctx = set_ctx, status = set_status }

local mt = getmetatable(ngx) or {}
mt.__index = function(t, k)
    local g = getters[k]
    if g then
        return g()
    end
    return nil
end
mt.__newindex = function(t, k, v)
    local s = setters[k]
    if s then
        return s(v)
    end
    rawset(t, k, v)
end
setmetatable(ngx, mt)

_M.get_ctx = get_ctx

return _M
