-- ngx.location.capture and ngx.location.capture_multi
-- (ngx_http_lua_subrequest.c).

local ffi = require "ffi"
local base = require "resty.core.base"
local runtime = require "moongate.runtime"

local C = ffi.C
local ffi_string = ffi.string
local type = type
local pairs = pairs
local tostring = tostring
local error = error
local concat = table.concat
local get_request = base.get_request
local no_request = base.no_request
local ref_in_table = base.ref_in_table
local errmsg = base.get_errmsg_ptr()
local yield_io = runtime.yield_io
local registry = debug.getregistry()
local ngx = ngx

ffi.cdef [[
    int mg_http_subrequest_add(void *r, const char *uri, size_t ulen,
        const char *args, size_t alen, const unsigned char *body,
        size_t blen, int has_body, int forward_body, int method,
        int ctx_ref, int vars_mode,
        const char *vars, size_t vlen, char **err);
    int mg_http_subrequest_run(void *r, char **err);
]]

local _M = { version = base.version }

local function encode_vars(vars)
    local buf = {}
    local n = 0
    for k, v in pairs(vars) do
        local tv = type(v)
        if tv ~= "string" and tv ~= "number" then
            error("Bad vars option value", 4)
        end
        buf[n + 1] = tostring(k)
        buf[n + 2] = tostring(v)
        n = n + 2
    end
    if n == 0 then
        return nil
    end
    return concat(buf, "\0", 1, n) .. "\0"
end

local function add(r, uri, opts)
    if type(uri) ~= "string" then
        error("bad argument #1 to 'capture' (string expected, got "
              .. type(uri) .. ")", 3)
    end
    local method, args, body, has_body, forward_body = 2, nil, nil, 0, 0
    local ctx_ref, vars_mode, vars = -1, 0, nil
    if opts ~= nil then
        if type(opts) ~= "table" then
            error("Bad options value", 3)
        end
        if opts.method ~= nil then
            method = opts.method
            if type(method) ~= "number" then
                error("Bad http request method", 3)
            end
        end
        local a = opts.args
        if a ~= nil then
            if type(a) == "table" then
                args = ngx.encode_args(a)
            elseif type(a) == "string" then
                args = a
            else
                error("Bad args option value", 3)
            end
        end
        if opts.body ~= nil then
            body = opts.body
            if type(body) ~= "string" then
                body = tostring(body)
            end
            has_body = 1
        end
        if opts.always_forward_body then
            forward_body = 1
        end

        if opts.vars ~= nil then
            if type(opts.vars) ~= "table" then
                error("Bad vars option value", 3)
            end
            vars = encode_vars(opts.vars)
        end
        if opts.share_all_vars then
            vars_mode = 2
        elseif opts.copy_all_vars then
            vars_mode = 1
        end
        local ctx = opts.ctx
        if ctx ~= nil then
            if type(ctx) ~= "table" then
                error("Bad ctx option value type " .. type(ctx)
                      .. ", expected a Lua table", 3)
            end
            ctx_ref = ref_in_table(registry, ctx)
        end
    end
    local rc = C.mg_http_subrequest_add(r, uri, #uri, args,
                                        args and #args or 0, body,
                                        body and #body or 0, has_body,
                                        forward_body, method, ctx_ref,
                                        vars_mode, vars,
                                        vars and #vars or 0, errmsg)
    if rc ~= 0 then
        error(ffi_string(errmsg[0]), 3)
    end
end

local function capture_multi(reqs)
    local r = get_request()
    if not r then
        no_request(2)
    end
    if type(reqs) ~= "table" then
        error("bad argument #1 to 'capture_multi' (table expected, got "
              .. type(reqs) .. ")", 2)
    end
    local n = #reqs
    if n == 0 then
        error("at least one subrequest should be specified", 2)
    end
    for i = 1, n do
        local q = reqs[i]
        if type(q) ~= "table" then
            error("the query argument " .. i .. " is not a table, but a "
                  .. type(q), 2)
        end
        add(r, q[1], q[2])
    end
    local rc = C.mg_http_subrequest_run(r, errmsg)
    if rc ~= -2 then
        error(ffi_string(errmsg[0]), 2)
    end
    return yield_io()
end

local function capture(uri, opts)
    local r = get_request()
    if not r then
        no_request(2)
    end
    add(r, uri, opts)
    local rc = C.mg_http_subrequest_run(r, errmsg)
    if rc ~= -2 then
        error(ffi_string(errmsg[0]), 2)
    end
    return (yield_io())
end

ngx.location.capture = capture
ngx.location.capture_multi = capture_multi

return _M
