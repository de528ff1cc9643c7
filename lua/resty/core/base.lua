-- Shared helpers for the FFI-based ngx.* modules, with the names and
-- behaviour of lua-resty-core's resty.core.base so that code requiring it
-- keeps working.

local ffi = require "ffi"

local ffi_new = ffi.new
local pcall = pcall
local error = error
local type = type

local _M = {
    version = "0.1.28",
    FFI_OK = 0,
    FFI_NO_REQ_CTX = -100,
    FFI_BAD_CONTEXT = -101,
    FFI_ERROR = -1,
    FFI_AGAIN = -2,
    FFI_BUSY = -3,
    FFI_DONE = -4,
    FFI_DECLINED = -5,
    FFI_ABORT = -6,
}

ffi.cdef [[
    void *mg_http_get_request(void);
    int mg_no_request_error(char **err);
]]

local C = ffi.C

local new_tab, clear_tab
do
    local ok
    ok, new_tab = pcall(require, "table.new")
    if not ok or type(new_tab) ~= "function" then
        new_tab = function() return {} end
    end

    ok, clear_tab = pcall(require, "table.clear")
    if not ok or type(clear_tab) ~= "function" then
        local next = next
        clear_tab = function(tab)
            for k in next, tab do
                tab[k] = nil
            end
        end
    end
end

_M.new_tab = new_tab
_M.clear_tab = clear_tab

local str_buf_size = 4096
local str_buf
local size_ptr = ffi_new("size_t[1]")
local errmsg = ffi_new("char *[1]")
local intp = ffi_new("int[1]")
local num_value = ffi_new("double[1]")

--- Returns a scratch buffer of at least `size` bytes, reused between calls
-- unless `must_alloc` is true.
function _M.get_string_buf(size, must_alloc)
    if size > str_buf_size or must_alloc then
        return ffi_new("unsigned char[?]", size)
    end
    if not str_buf then
        str_buf = ffi_new("unsigned char[?]", str_buf_size)
    end
    return str_buf
end

function _M.get_string_buf_size()
    return str_buf_size
end

function _M.set_string_buf_size(size)
    if size <= 0 then
        return
    end
    if str_buf then
        str_buf = nil
    end
    str_buf_size = size
end

function _M.get_size_ptr()
    return size_ptr
end

function _M.get_errmsg_ptr()
    return errmsg
end

function _M.get_intp()
    return intp
end

function _M.get_num_value()
    return num_value
end

--- The current request handle (a cdata pointer), or nil outside a request.
function _M.get_request()
    local r = C.mg_http_get_request()
    if r == nil then
        return nil
    end
    return r
end

function _M.allows_subsystem(...)
    local n = select("#", ...)
    for i = 1, n do
        if select(i, ...) == "http" then
            return
        end
    end
    error("unsupported subsystem: http", 2)
end

function _M.ref_in_table(tb, key)
    if key == nil then
        return -1
    end
    local ref = tb[0]
    if ref then
        tb[0] = tb[ref]
    else
        ref = #tb + 1
    end
    tb[ref] = key
    return ref
end

function _M.check_subsystem()
end

--- Raises what ngx_lua says when an API finds no request: "no request
--- found", or its context error where ngx_lua has a fake request
--- (init_worker_by_lua, timers).
--- `current`: the API words it "in the current context", as ngx_lua's
--- FFI functions and ngx_http_lua_check_fake_request do.
function _M.no_request(level, current)
    local rc = C.mg_no_request_error(errmsg)
    if rc == -101 then
        if current then
            error("API disabled in the current context", (level or 1) + 1)
        end
        error(ffi.string(errmsg[0]), 0)
    end
    error("no request found", (level or 1) + 1)
end

return _M
