-- ngx.req.* (ngx_http_lua_headers_in.c, _req_method.c, _uri.c, _args.c,
-- _req_body.c, _misc.c; lua-resty-core's request.lua).

local ffi = require "ffi"
local base = require "resty.core.base"
local runtime = require "moongate.runtime"
local response = require "resty.core.response"

local C = ffi.C
local ffi_string = ffi.string
local type = type
local tostring = tostring
local error = error
local pairs = pairs
local rawget = rawget
local lower = string.lower
local find = string.find
local gsub = string.gsub
local get_request = base.get_request
local no_request = base.no_request
local get_size_ptr = base.get_size_ptr
local new_tab = base.new_tab
local errmsg = base.get_errmsg_ptr()
local yield_io = runtime.yield_io
local headers_mt = response.headers_mt
local ngx = ngx
local req = ngx.req

ffi.cdef [[
    int mg_http_req_header_count(void *r);
    int mg_http_req_header_at(void *r, int i, const unsigned char **k,
                              size_t *kl, const unsigned char **v,
                              size_t *vl);
    int mg_http_req_header_set(void *r, const char *k, size_t kl,
                               const unsigned char *v, size_t vl, int mode,
                               char **err);
    int mg_http_req_get_str(void *r, int what, const unsigned char **v,
                            size_t *vl);
    int mg_http_req_set_str(void *r, int what, const unsigned char *v,
                            size_t vl, int flag, char **err);
    double mg_http_req_start_time(void *r);
    int mg_http_req_http_version(void *r);
    int mg_http_req_is_internal(void *r);
    int mg_http_req_read_body(void *r, char **err);
    int mg_http_req_body_read(void *r);
    int mg_http_req_discard_body(void *r);
]]

local _M = { version = base.version }

local value_ptr = ffi.new("const unsigned char *[1]")
local key_ptr = ffi.new("const unsigned char *[1]")
local klen = ffi.new("size_t[1]")

local function request()
    local r = get_request()
    if not r then
        no_request(3, true)
    end
    return r
end

function req.get_headers(max_headers, raw)
    local r = request()
    return response.collect_headers(r, C.mg_http_req_header_count,
                                    C.mg_http_req_header_at, max_headers,
                                    raw)
end

local function set_header(r, name, value, mode)
    local rc = C.mg_http_req_header_set(r, name, #name, value,
                                        value and #value or 0, mode, errmsg)
    if rc == -100 then
        -- r was nil (the running request) and there is none: what request()
        -- raises (set_header is not tail-called on that path)
        no_request(3, true)
    end
    if rc ~= 0 then
        error(ffi_string(errmsg[0]), 3)
    end
end

function req.set_header(name, value)
    -- A string or number value: r stays nil, the FFI call finds the running
    -- request itself (one FFI call instead of two).
    local scalar = type(value) == "string" or type(value) == "number"
    local r = nil
    if not scalar or type(name) ~= "string" then
        r = request()
    end
    if type(name) ~= "string" then
        error("bad 'name' argument: string expected, got " .. type(name), 2)
    end
    -- string.gsub runs interpreted (the JIT stitches it): only when needed.
    if find(name, "_", 1, true) then
        name = gsub(name, "_", "-")
    end
    if value == nil then
        return set_header(r, name, nil, 0)
    end
    if type(value) == "table" then
        for i = 1, #value do
            set_header(r, name, tostring(value[i]), i == 1 and 1 or 2)
        end
        if #value == 0 then
            set_header(r, name, nil, 0)
        end
        return
    end
    set_header(r, name, tostring(value), 1)
end

function req.clear_header(name)
    local r = request()
    name = tostring(name):gsub("_", "-")
    set_header(r, name, nil, 0)
end

local function get_str(what)
    local r = request()
    local sz = get_size_ptr()
    local rc = C.mg_http_req_get_str(r, what, value_ptr, sz)
    if rc ~= 0 then
        return nil
    end
    -- No tail call: the JIT cannot return from ffi.string to an interpreted caller.
    local s_ = ffi_string(value_ptr[0], sz[0])
    return s_
end

local function set_str(what, value, flag, level)
    local r = get_request()
    if not r then
        no_request(level or 3, true)
    end
    local rc = C.mg_http_req_set_str(r, what, value, #value, flag or 0, errmsg)
    if rc == -2 then
        return yield_io()
    end
    if rc ~= 0 then
        error(ffi_string(errmsg[0]), level or 3)
    end
end

function req.get_method()
    return get_str(0)
end

local methods = {
    [2] = "GET", [4] = "HEAD", [8] = "POST", [16] = "PUT", [32] = "DELETE",
    [64] = "MKCOL", [128] = "COPY", [256] = "MOVE", [512] = "OPTIONS",
    [1024] = "PROPFIND", [2048] = "PROPPATCH", [4096] = "LOCK",
    [8192] = "UNLOCK", [16384] = "PATCH", [32768] = "TRACE",
}

function req.set_method(id)
    local name = methods[id]
    if not name then
        error("unsupported HTTP method: " .. tostring(id), 2)
    end
    set_str(0, name)
end

function req.set_uri(uri, jump)
    if type(uri) ~= "string" then
        error("bad argument #1 to 'set_uri' (string expected, got "
              .. type(uri) .. ")", 2)
    end
    if uri == "" then
        error("attempt to use zero-length uri", 2)
    end
    if not get_request() and C.mg_no_request_error(errmsg) == -101 then
        -- ngx_lua's set_uri words its fake-request check this way
        error("API disabled in the current context", 0)
    end
    set_str(1, uri, jump and 1 or 0)
end

function req.set_uri_args(args)
    if type(args) == "table" then
        args = ngx.encode_args(args)
    elseif type(args) ~= "string" then
        if type(args) == "number" then
            args = tostring(args)
        else
            error("bad argument #1 to 'set_uri_args' (string or table "
                  .. "expected, got " .. type(args) .. ")", 2)
        end
    end
    set_str(2, args)
end

function req.get_uri_args(max_args)
    local args = get_str(2)
    if not args or args == "" then
        return {}
    end
    return ngx.decode_args(args, max_args)
end

function req.get_post_args(max_args)
    local r = request()
    local sz = get_size_ptr()
    if C.mg_http_req_body_read(r) == 0 then
        error("no request body found; maybe you should turn on "
              .. "lua_need_request_body?", 2)
    end
    local rc = C.mg_http_req_get_str(r, 5, value_ptr, sz)
    if rc ~= 0 then
        return {}
    end
    local body = ffi_string(value_ptr[0], sz[0])
    return ngx.decode_args(body, max_args)
end

function req.get_body_data(max_bytes)
    local data = get_str(5)
    if data and max_bytes and max_bytes < #data then
        return data:sub(1, max_bytes)
    end
    return data
end

function req.get_body_file()
    return nil
end

function req.read_body()
    local r = get_request()
    if not r then
        no_request(2)
    end
    local rc = C.mg_http_req_read_body(r, errmsg)
    if rc == 0 then
        return
    end
    if rc == -2 then
        yield_io()
        return
    end
    error(ffi_string(errmsg[0]), 2)
end

function req.discard_body()
    local r = request()
    C.mg_http_req_discard_body(r)
end

function req.set_body_data(data)
    if type(data) ~= "string" then
        error("bad argument #1 to 'set_body_data' (string expected, got "
              .. type(data) .. ")", 2)
    end
    if C.mg_http_req_body_read(request()) == 0 then
        error("request body not read yet", 2)
    end
    set_str(5, data)
end

function req.set_body_file(path)
    local f, err = io.open(path, "rb")
    if not f then
        error("cannot open " .. tostring(path) .. ": " .. tostring(err), 2)
    end
    local data = f:read("*a")
    f:close()
    set_str(5, data)
end

local body_buffers = setmetatable({}, { __mode = "k" })

function req.init_body(size)
    local r = request()
    if C.mg_http_req_body_read(r) == 0 then
        error("request body not read yet", 2)
    end
    body_buffers[ngx.ctx] = {}
end

function req.append_body(data)
    local buf = body_buffers[ngx.ctx]
    if not buf then
        error("request body not initialized by ngx.req.init_body()", 2)
    end
    buf[#buf + 1] = data
end

function req.finish_body()
    local buf = body_buffers[ngx.ctx]
    if not buf then
        error("request body not initialized by ngx.req.init_body()", 2)
    end
    body_buffers[ngx.ctx] = nil
    set_str(5, table.concat(buf))
end

function req.start_time()
    return C.mg_http_req_start_time(request())
end

function req.http_version()
    local v = C.mg_http_req_http_version(request())
    if v == 9 then
        return 0.9
    elseif v == 10 then
        return 1.0
    elseif v == 11 then
        return 1.1
    elseif v == 20 then
        return 2.0
    end
    return nil
end

function req.is_internal()
    return C.mg_http_req_is_internal(request()) == 1
end

function req.raw_header(no_request_line)
    return get_str(no_request_line and 6 or 3)
end

return _M
