-- ngx.socket.tcp, ngx.socket.stream, ngx.socket.connect
-- (ngx_http_lua_socket_tcp.c). Swift owns the connection and its buffer;
-- a call that cannot finish at once yields and is resumed with its results.

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
local select = select
local floor = math.floor
local sub = string.sub
local byte = string.byte
local getinfo = debug.getinfo
local errmsg = base.get_errmsg_ptr()
local get_size_ptr = base.get_size_ptr

ffi.cdef [[
    typedef struct {
        void *s;
        int32_t saved[6];
    } mg_tcp_ref_t;
    int mg_tcp_new(mg_tcp_ref_t *ref, char **err);
    void mg_tcp_gc(void *s);
    int mg_tcp_connect(void *s, const char *host, size_t hl, int port,
                       const char *pool, size_t pl, int pool_size,
                       int backlog, char **err);
    int mg_tcp_receive(void *s, int kind, int n, const unsigned char *pat,
                       size_t pl, int inclusive, const unsigned char **out,
                       size_t *outl, int *found, char **err);
    int mg_tcp_send(void *s, const unsigned char *data, size_t len,
                    char **err);
    int mg_tcp_settimeouts(void *s, int c, int w, int r);
    int mg_tcp_setkeepalive(void *s, int timeout, int size, char **err);
    int mg_tcp_reused(void *s);
    int mg_tcp_close(void *s, char **err);
    int mg_tcp_sslhandshake(void *s, void *sess, const char *name,
                            size_t nl, int verify, int status_req,
                            char **err);
    void *mg_tcp_sslsession(void *s);
    void mg_tcp_sslsession_free(void *sess);
    int mg_req_socket(mg_tcp_ref_t *ref, char **err);
    int mg_req_socket_raw(mg_tcp_ref_t *ref, char **err);
    int mg_tcp_getoption(void *s, int opt, int *val, char **err);
    int mg_tcp_setoption(void *s, int opt, int val, char **err);
]]

-- A socket's handle: Lua memory holding the Swift socket (see LuaTCPSocket.detach).
local ref_type = ffi.typeof("mg_tcp_ref_t")
local str_ptr = ffi_new("const unsigned char *[1]")
local found_ptr = ffi_new("int[1]")

local _M = { version = base.version }

-- A read's values as ngx_lua returns them: the data alone, or nil, the
-- error and the partial data.
local function three(d, e, p)
    if d then
        return d
    end
    return nil, e, p
end

local methods = {}
local mt = { __index = methods }

-- What the fixed-argument workers return for luaL_argerror, which their vararg
-- method raises (the name comes from how the method was called).
local BADARG = {}

local function raise(rc, level)
    error(ffi_string(errmsg[0]), level + 1)
end

-- luaL_argerror's message: the function's name as its caller sees it ('?'
-- under pcall), and the argument number without self for method calls.
local function argerror(narg, msg)
    local info = getinfo(2, "n")
    local name = info and info.name or "?"
    if info and info.namewhat == "method" then
        narg = narg - 1
    end
    error("bad argument #" .. narg .. " to '" .. name .. "' (" .. msg .. ")", 3)
end

local function check_self(self, name)
    if type(self) ~= "table" or self[1] == nil then
        error("bad argument #1 to '" .. name .. "' (table expected, got "
              .. type(self) .. ")", 3)
    end
    return self[1]
end

local tcp_gc = C.mg_tcp_gc

-- Not ending in a tail call to setmetatable: the JIT cannot return from a fast
-- function to an interpreted caller, and tcp() would run interpreted.
local function tcp()
    local ref = ffi_new(ref_type)
    local rc = C.mg_tcp_new(ref, errmsg)
    if rc ~= 0 then
        raise(rc, 2)
    end
    local s = ffi_gc(ref, tcp_gc)
    -- [2]: connect was called (in the array part, as ngx_lua keeps its socket
    -- fields: a key would give each socket a hash part, rehashed on connect).
    local self = setmetatable({ s, false }, mt)
    return self
end

function methods.connect(self, host, port, opts)
    local s = check_self(self, "connect")
    if type(host) ~= "string" then
        argerror(2, "string expected, got " .. type(host))
    end
    local pool, pool_size, backlog
    local p
    -- The byte test first: no prefix string made for a host or address.
    if byte(host, 1) == 117 and sub(host, 1, 5) == "unix:" then
        p = -1
        if type(port) == "table" then
            opts = port
        end
    else
        if type(port) == "table" or port == nil then
            argerror(3, "number expected, got " .. type(port))
        end
        p = tonumber(port)
        if not p then
            argerror(3, "number expected, got " .. type(port))
        end
        if p < 0 or p > 65535 then
            return nil, "bad port number: " .. tostring(port)
        end
    end
    if opts ~= nil then
        if type(opts) ~= "table" then
            argerror(4, "table expected, got " .. type(opts))
        end
        pool = opts.pool
        if pool ~= nil and type(pool) ~= "string" then
            error("bad \"pool\" option type: " .. type(pool), 2)
        end
        pool_size = opts.pool_size
        if pool_size ~= nil then
            if type(pool_size) ~= "number" then
                error("bad \"pool_size\" option type: " .. type(pool_size), 2)
            end
            if pool_size <= 0 then
                error("bad \"pool_size\" option value: " .. pool_size, 2)
            end
        end
        backlog = opts.backlog
        if backlog ~= nil then
            if type(backlog) ~= "number" then
                error("bad \"backlog\" option type: " .. type(backlog), 2)
            end
            if backlog < 0 then
                error("bad \"backlog\" option value: " .. backlog, 2)
            end
        end
    end
    self[2] = true
    local rc = C.mg_tcp_connect(s, host, #host, p, pool, pool and #pool or 0,
                                pool_size or 0, backlog or -1, errmsg)
    if rc == 0 then
        return 1
    end
    if rc == -2 then
        return yield_io()
    end
    if rc == -1 then
        return nil, ffi_string(errmsg[0])
    end
    raise(rc, 2)
end

local function flatten(t, out, level)
    for i = 1, #t do
        local v = t[i]
        local tv = type(v)
        if tv == "string" then
            out[#out + 1] = v
        elseif tv == "number" then
            out[#out + 1] = tostring(v)
        elseif tv == "boolean" then
            out[#out + 1] = v and "true" or "false"
        elseif tv == "nil" then
            out[#out + 1] = "nil"
        elseif tv == "table" then
            flatten(v, out, level + 1)
        else
            error("bad argument #1 to 'send' (bad data type " .. tv
                  .. " found)", level)
        end
    end
end

-- send and receive work in fixed-argument functions called by the vararg
-- methods: LuaJIT starts no trace in a vararg function, so their FFI calls
-- would always run interpreted. Returns n, or nil and the error, or BADARG.
local function send(s, data)
    local td = type(data)
    if td == "table" then
        local out = {}
        flatten(data, out, 4)
        data = concat(out)
    elseif td == "number" then
        data = tostring(data)
    elseif td == "boolean" then
        data = data and "true" or "false"
    elseif td == "nil" then
        data = "nil"
    elseif td ~= "string" then
        return BADARG, 2, "string, number, boolean, nil, or array table "
                          .. "expected, got " .. td
    end
    local rc = C.mg_tcp_send(s, data, #data, errmsg)
    if rc == 0 then
        return #data
    end
    if rc == -2 then
        return yield_io()
    end
    if rc == -1 then
        return nil, ffi_string(errmsg[0])
    end
    raise(rc, 3)
end

function methods.send(...)
    local nargs = select("#", ...)
    if nargs ~= 2 then
        error("expecting 2 arguments (including the object), but got "
              .. nargs, 2)
    end
    local self, data = ...
    local s = check_self(self, "send")
    local n, e, m = send(s, data)
    if n then
        if n == BADARG then
            argerror(e, m)
        end
        return n
    end
    return nil, e
end

-- level: raise's level (3 when called from the method itself).
local function recv(s, kind, n, pat, inclusive, level)
    local sz = get_size_ptr()
    local rc = C.mg_tcp_receive(s, kind, n, pat, pat and #pat or 0,
                                inclusive and 1 or 0, str_ptr, sz, found_ptr,
                                errmsg)
    if rc == 0 then
        return ffi_string(str_ptr[0], sz[0]), nil, nil, found_ptr[0] == 1
    end
    if rc == -2 then
        return yield_io()
    end
    if rc == -1 then
        return nil, ffi_string(errmsg[0]), ffi_string(str_ptr[0], sz[0])
    end
    if rc == -4 then
        return nil
    end
    raise(rc, level or 3)
end

-- Returns the data, or nil, the error and the partial data, or BADARG.
local function receive(s, pat)
    if pat == nil or pat == "*l" then
        return three(recv(s, 0, 0, nil, nil, 4))
    end
    if pat == "*a" then
        return three(recv(s, 1, 0, nil, nil, 4))
    end
    local n = tonumber(pat)
    if not n then
        return BADARG, 2, "bad pattern argument"
    end
    n = floor(n)
    if n < 0 then
        return BADARG, 2, "bad pattern argument"
    end
    if n == 0 then
        return ""
    end
    return three(recv(s, 2, n, nil, nil, 4))
end

function methods.receive(self, pat, ...)
    local s = check_self(self, "receive")
    if select("#", ...) > 0 then
        error("expecting 1 or 2 arguments (including the object), but got "
              .. (select("#", ...) + 2), 2)
    end
    local d, e, p = receive(s, pat)
    if d then
        if d == BADARG then
            argerror(e, p)
        end
        return d
    end
    return nil, e, p
end

function methods.receiveany(self, max)
    local s = check_self(self, "receiveany")
    local n = tonumber(max)
    if not n then
        argerror(2, "number expected, got " .. type(max))
    end
    if n <= 0 then
        argerror(2, "bad max argument")
    end
    return three(recv(s, 3, floor(n)))
end

function methods.receiveuntil(self, pat, opts)
    local s = check_self(self, "receiveuntil")
    if type(pat) ~= "string" then
        argerror(2, "string expected, got " .. type(pat))
    end
    if #pat == 0 then
        return nil, "pattern is empty"
    end
    local inclusive = false
    if opts ~= nil then
        if type(opts) ~= "table" then
            argerror(3, "table expected, got " .. type(opts))
        end
        local v = opts.inclusive
        if v ~= nil then
            if type(v) ~= "boolean" then
                error("bad \"inclusive\" option value type: " .. type(v), 2)
            end
            inclusive = v
        end
    end
    local boundary_seen = false
    return function(size)
        if boundary_seen then
            boundary_seen = false
            return nil
        end
        local n = -1
        if size ~= nil then
            n = tonumber(size)
            if not n then
                error("bad argument #1 to iterator (number expected, got "
                      .. type(size) .. ")", 2)
            end
            n = floor(n)
        end
        local d, e, p, found = recv(s, 4, n, pat, inclusive)
        if found then
            boundary_seen = true
        end
        if d then
            return d
        end
        if e then
            return nil, e, p
        end
        return nil
    end
end

function methods.settimeout(self, ms)
    local s = check_self(self, "settimeout")
    ms = tonumber(ms) or 0
    if ms < 0 then
        ms = 0
    end
    C.mg_tcp_settimeouts(s, ms, ms, ms)
end

function methods.settimeouts(self, c, w, r)
    local s = check_self(self, "settimeouts")
    C.mg_tcp_settimeouts(s, tonumber(c) or 0, tonumber(w) or 0,
                         tonumber(r) or 0)
end

-- lua-resty-core's socket.lua: the option names and their errors.
local option_index = {
    ["keepalive"] = 1,
    ["reuseaddr"] = 2,
    ["tcp-nodelay"] = 3,
    ["sndbuf"] = 4,
    ["rcvbuf"] = 5,
}
local option_val = ffi_new("int[1]")
local FFI_DECLINED = -5

function methods.getoption(self, opt)
    local s = check_self(self, "getoption")
    if opt == nil then
        return nil, 'missing the "option" argument'
    end
    local idx = option_index[opt]
    if idx == nil then
        return nil, "unsupported option " .. tostring(opt)
    end
    local rc = C.mg_tcp_getoption(s, idx, option_val, errmsg)
    if rc == FFI_DECLINED then
        error("socket is never created nor connected")
    end
    if rc ~= 0 then
        return nil, ffi_string(errmsg[0])
    end
    return tonumber(option_val[0])
end

function methods.setoption(self, opt, val)
    local s = check_self(self, "setoption")
    if opt == nil then
        return nil, 'missing the "option" argument'
    end
    if val == nil then
        return nil, 'missing the "value" argument'
    end
    local idx = option_index[opt]
    if idx == nil then
        return nil, "unsupported option " .. tostring(opt)
    end
    -- The FFI converts val to int as resty.core's call does (booleans
    -- too; a string raises "cannot convert 'string' to 'int'").
    local rc = C.mg_tcp_setoption(s, idx, val, errmsg)
    if rc == FFI_DECLINED then
        error("socket is never created nor connected")
    end
    if rc ~= 0 then
        return nil, ffi_string(errmsg[0])
    end
    return true
end

function methods.setkeepalive(self, timeout, size)
    local s = check_self(self, "setkeepalive")
    local t = -1
    if timeout ~= nil then
        t = tonumber(timeout)
        if not t then
            error("bad argument #1 to 'setkeepalive' (number expected)", 2)
        end
    end
    local z = -1
    if size ~= nil then
        z = tonumber(size)
        if not z or z <= 0 then
            error("bad argument #2 to 'setkeepalive' (bad \"pool_size\" "
                  .. "option value: " .. tostring(size) .. ")", 2)
        end
    end
    local rc = C.mg_tcp_setkeepalive(s, t, z, errmsg)
    if rc == 0 then
        return 1
    end
    if rc == -1 then
        return nil, ffi_string(errmsg[0])
    end
    raise(rc, 2)
end

function methods.getreusedtimes(self)
    local s = check_self(self, "getreusedtimes")
    local n = C.mg_tcp_reused(s)
    if n < 0 then
        return nil, "closed"
    end
    return n
end

function methods.close(self)
    local s = check_self(self, "close")
    local rc = C.mg_tcp_close(s, errmsg)
    if rc == 0 then
        return 1
    end
    if rc == -1 then
        return nil, ffi_string(errmsg[0])
    end
    raise(rc, 2)
end

-- resty.core's sslhandshake (resty/core/socket.lua): the session (an
-- SSL_SESSION cdata freed by its finalizer, as
-- ngx_http_lua_ffi_ssl_free_session), or true when reused_session is false,
-- or reused_session itself when the connection already speaks TLS. A
-- session cdata given back is offered for resumption.
local function session_ret(s, reused)
    if reused == false then
        return true
    end
    local sess = C.mg_tcp_sslsession(s)
    if sess == nil then
        return nil
    end
    return ffi_gc(sess, C.mg_tcp_sslsession_free)
end

function methods.sslhandshake(self, reused, name, verify, status_req, ...)
    local n = select("#", ...)
    if not self or n > 0 then
        error("ngx.socket sslhandshake: expecting 1 ~ 5 arguments "
              .. "(including the object), but seen "
              .. (self and 5 + n or 0))
    end
    local s = type(self) == "table" and self[1]
    if not s or not self[2] then
        error("socket is never created nor connected")
    end
    if type(name) ~= "string" then
        name = nil
    end
    local sess = type(reused) == "cdata" and reused or nil
    local rc = C.mg_tcp_sslhandshake(s, sess, name, name and #name or 0,
                                     verify and 1 or 0,
                                     status_req and 1 or 0, errmsg)
    if rc == 0 then
        if sess then
            return reused
        end
        return session_ret(s, reused)
    end
    if rc == -2 then
        local ok, err = yield_io()
        if not ok then
            return nil, err
        end
        return session_ret(s, reused)
    end
    if rc == -1 then
        return nil, ffi_string(errmsg[0])
    end
    raise(rc, 2)
end

local socket = ngx.socket
socket.tcp = tcp
socket.stream = tcp

function socket.connect(host, port, opts)
    local sock = tcp()
    local ok, err = sock:connect(host, port, opts)
    if not ok then
        return nil, err
    end
    return sock
end

-- ngx.req.socket(): reads the request body with the receive methods.
local req_methods = {
    receive = methods.receive,
    receiveany = methods.receiveany,
    receiveuntil = methods.receiveuntil,
    settimeout = methods.settimeout,
    settimeouts = methods.settimeouts,
}
local req_mt = { __index = req_methods }

-- ngx.req.socket(true): the client connection itself.
local raw_methods = {
    receive = methods.receive,
    receiveany = methods.receiveany,
    receiveuntil = methods.receiveuntil,
    send = methods.send,
    settimeout = methods.settimeout,
    settimeouts = methods.settimeouts,
    close = methods.close,
}
local raw_mt = { __index = raw_methods }

function ngx.req.socket(raw)
    local rc
    local ref = ffi_new(ref_type)
    if raw then
        rc = C.mg_req_socket_raw(ref, errmsg)
    else
        rc = C.mg_req_socket(ref, errmsg)
    end
    if rc == 0 then
        local s = ffi_gc(ref, C.mg_tcp_gc)
        return setmetatable({ s }, raw and raw_mt or req_mt)
    end
    if rc == -1 then
        return nil, ffi_string(errmsg[0])
    end
    error(ffi_string(errmsg[0]), 2)
end

_M.tcp = tcp
return _M
