-- The ngx.base64 module of lua-resty-core: base64url (RFC 4648 section 5)
-- without padding on output; padding is optional on input.

local ffi = require "ffi"
local base = require "resty.core.base"

local C = ffi.C
local ffi_string = ffi.string
local type = type
local floor = math.floor
local get_string_buf = base.get_string_buf
local get_size_ptr = base.get_size_ptr

local _M = {version = base.version}

ffi.cdef [[
    size_t mg_base64_encode_url(const unsigned char *src, size_t len,
                                unsigned char *dst);
    int mg_base64_decode_url(const unsigned char *src, size_t len,
                             unsigned char *dst, size_t *dlen);
]]

local NGX_OK = 0

function _M.encode_base64url(s)
    if type(s) ~= "string" then
        return nil, "must provide a string"
    end
    local slen = #s
    local dst = get_string_buf(floor((slen + 2) / 3) * 4)
    local n = C.mg_base64_encode_url(s, slen, dst)
    -- No tail call: the JIT cannot return from ffi.string to an interpreted caller.
    local s_ = ffi_string(dst, n)
    return s_
end

function _M.decode_base64url(s)
    if type(s) ~= "string" then
        return nil, "must provide a string"
    end
    local slen = #s
    local dst = get_string_buf(floor((slen + 3) / 4) * 3)
    local pdlen = get_size_ptr()
    if C.mg_base64_decode_url(s, slen, dst, pdlen) ~= NGX_OK then
        return nil, "invalid input"
    end
    -- No tail call: the JIT cannot return from ffi.string to an interpreted caller.
    local s_ = ffi_string(dst, pdlen[0])
    return s_
end

return _M
