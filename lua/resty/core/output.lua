-- ngx.print, ngx.say, ngx.flush, ngx.eof, ngx.send_headers, ngx.exit,
-- ngx.exec, ngx.redirect (ngx_http_lua_output.c, ngx_http_lua_control.c).

local ffi = require "ffi"
local base = require "resty.core.base"
local runtime = require "moongate.runtime"

local C = ffi.C
-- Output may run Lua filters before it returns: classic C functions, not FFI.
local cf = require "moongate.cfuncs"
local cf_output = cf.output
local cf_send_headers = cf.send_headers
local cf_flush = cf.flush
local cf_eof = cf.eof
local ffi_string = ffi.string
local type = type
local tostring = tostring
local select = select
local error = error
local concat = table.concat
local get_request = base.get_request
local no_request = base.no_request
local errmsg = base.get_errmsg_ptr()
local yield_io = runtime.yield_io
local EXIT = runtime.EXIT
local ngx = ngx
local null = ngx.null

ffi.cdef [[
    int mg_http_output(void *r, const unsigned char *p, size_t len,
                       char **err);
    int mg_http_send_headers(void *r, char **err);
    int mg_http_headers_sent(void *r);
    int mg_http_flush(void *r, int wait, char **err);
    int mg_http_eof(void *r, char **err);
    int mg_http_exit(void *r, int status, char **err);
    int mg_http_exec(void *r, const char *uri, size_t ulen, const char *args,
                     size_t alen, char **err);
    int mg_http_redirect(void *r, const char *uri, size_t len, int status,
                         char **err);
    int mg_http_on_abort(void *r, int fn_ref, char **err);
]]

local _M = { version = base.version }

local function flatten(fname, buf, n, v, argn)
    local t = type(v)
    if t == "string" then
        n = n + 1
        buf[n] = v
    elseif t == "number" then
        n = n + 1
        buf[n] = tostring(v)
    elseif t == "nil" then
        n = n + 1
        buf[n] = "nil"
    elseif t == "boolean" then
        n = n + 1
        buf[n] = v and "true" or "false"
    elseif v == null then
        n = n + 1
        buf[n] = "null"
    elseif t == "table" then
        local len = #v
        for k in pairs(v) do
            if type(k) ~= "number" or k < 1 or k > len or k % 1 ~= 0 then
                error("bad argument #" .. argn .. " to '" .. fname
                      .. "' (non-array table found)", 4)
            end
        end
        for i = 1, len do
            n = flatten(fname, buf, n, v[i], argn)
        end
    else
        error("bad argument #" .. argn .. " to '" .. fname
              .. "' (string, number, boolean, nil, ngx.null, or array "
              .. "table expected, but got " .. t .. ")", 4)
    end
    return n
end

local function output(fname, newline, ...)
    -- Strings and numbers go straight to the response; other arguments come
    -- back as -1000 and are flattened here first.
    local rc, err = cf_output(newline, ...)
    if rc == -1000 then
        local nargs = select("#", ...)
        local buf = {}
        local n = 0
        for i = 1, nargs do
            n = flatten(fname, buf, n, (select(i, ...)), i)
        end
        rc, err = cf_output(newline, concat(buf, "", 1, n))
    end
    if rc == 0 then
        return 1
    end
    if rc == -100 then
        no_request(3)
    end
    if rc == -101 then
        error(err, 3)
    end
    return nil, err
end

-- Not tail calls: error levels must find the caller's frame.
function ngx.print(...)
    local ok, err = output("print", false, ...)
    return ok, err
end

function ngx.say(...)
    local ok, err = output("say", true, ...)
    return ok, err
end

function ngx.send_headers()
    local r = get_request()
    if not r then
        no_request(2)
    end
    local rc, err = cf_send_headers()
    if rc == 0 then
        return 1
    end
    if rc == -5 then
        return nil, "header already sent"
    end
    error(err, 2)
end

function ngx.flush(wait)
    local r = get_request()
    if not r then
        no_request(2)
    end
    local rc, err = cf_flush(wait and true or false)
    if rc == 0 then
        return 1
    end
    if rc == -2 then
        return yield_io()
    end
    if rc == -101 then
        error(err, 2)
    end
    return nil, err
end

function ngx.eof()
    local r = get_request()
    if not r then
        no_request(2)
    end
    local rc, err = cf_eof()
    if rc == 0 or rc == -5 then
        return 1
    end
    if rc == -101 then
        error(err, 2)
    end
    return nil, err
end

local yieldable = 0x1 * 0 + 8 + 16 + 32 + 512 + 8192 + 16384

function ngx.exit(status)
    if type(status) ~= "number" then
        error("bad argument #1 to 'exit' (number expected, got "
              .. type(status) .. ")", 2)
    end
    local r = get_request()
    local rc = C.mg_http_exit(r, status, errmsg)
    if rc == -4 then
        -- header_filter_by_lua*: ngx_lua records the exit and returns
        return
    end
    if rc ~= 0 then
        error(ffi_string(errmsg[0]), 2)
    end
    local phase = C.mg_http_phase()
    if bit.band(phase, yieldable) ~= 0 then
        yield_io()
    end
    error(EXIT, 0)
end

function ngx.exec(uri, args)
    local r = get_request()
    if not r then
        no_request(2)
    end
    if type(uri) ~= "string" then
        error("bad argument #1 to 'exec' (string expected, got "
              .. type(uri) .. ")", 2)
    end
    if args ~= nil and type(args) ~= "string" then
        if type(args) == "table" then
            args = ngx.encode_args(args)
        else
            args = tostring(args)
        end
    end
    local rc = C.mg_http_exec(r, uri, #uri, args, args and #args or 0,
                              errmsg)
    if rc ~= 0 then
        error(ffi_string(errmsg[0]), 2)
    end
    yield_io()
end

function ngx.redirect(uri, status)
    local r = get_request()
    if not r then
        no_request(2)
    end
    status = status or 302
    if status ~= 301 and status ~= 302 and status ~= 303 and status ~= 307
       and status ~= 308
    then
        error("only ngx.HTTP_MOVED_TEMPORARILY, "
              .. "ngx.HTTP_MOVED_PERMANENTLY, ngx.HTTP_PERMANENT_REDIRECT, "
              .. "ngx.HTTP_SEE_OTHER, and ngx.HTTP_TEMPORARY_REDIRECT are "
              .. "allowed", 2)
    end
    uri = tostring(uri)
    local rc = C.mg_http_redirect(r, uri, #uri, status, errmsg)
    if rc ~= 0 then
        error(ffi_string(errmsg[0]), 2)
    end
    yield_io()
end

local registry = debug.getregistry()
local getinfo = debug.getinfo

function ngx.on_abort(fn)
    local r = get_request()
    if not r then
        no_request(2)
    end
    -- ngx_lua checks the state before the argument
    local ref = -2
    if type(fn) == "function" then
        ref = base.ref_in_table(registry, fn)
    end
    local rc = C.mg_http_on_abort(r, ref, errmsg)
    if rc == 0 then
        if ref == -2 then
            -- luaL_argerror names the function as its caller sees it.
            local info = getinfo(1, "n")
            local name = info and info.name or "?"
            error("bad argument #1 to '" .. name
                  .. "' (Lua function expected)", 2)
        end
        return 1
    end
    if ref >= 0 then
        registry[ref] = registry[0]
        registry[0] = ref
    end
    if rc == -101 then
        error(ffi_string(errmsg[0]), 2)
    end
    return nil, ffi_string(errmsg[0])
end

return _M
