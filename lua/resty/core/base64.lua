-- ngx.encode_base64, ngx.decode_base64 and ngx.decode_base64mime over
-- Moongate's mg_base64_* functions, with lua-resty-core's argument rules.

local ffi = require "ffi"
local base = require "resty.core.base"

local C = ffi.C
local ffi_string = ffi.string
local ngx = ngx
local type = type
local tostring = tostring
local error = error
local floor = math.floor
local get_string_buf = base.get_string_buf
local get_size_ptr = base.get_size_ptr

local _M = {version = base.version}

ffi.cdef [[
    size_t mg_base64_encode(const unsigned char *src, size_t len,
                            unsigned char *dst, int no_padding);
    int mg_base64_decode(const unsigned char *src, size_t len,
                         unsigned char *dst, size_t *dlen);
    int mg_base64_decode_mime(const unsigned char *src, size_t len,
                              unsigned char *dst, size_t *dlen);
]]

local NGX_OK = 0

local function encoded_length(len, no_padding)
    if no_padding then
        return floor((len * 8 + 5) / 6)
    end
    return floor((len + 2) / 3) * 4
end

local function decoded_length(len)
    return floor((len + 3) / 4) * 3
end

function ngx.encode_base64(s, no_padding)
    if type(s) ~= "string" then
        if not s then
            s = ""
        else
            s = tostring(s)
        end
    end

    local no_padding_int = 0
    if no_padding then
        if no_padding ~= true then
            error("bad no_padding: boolean expected, got "
                  .. type(no_padding), 2)
        end
        no_padding_int = 1
    end

    local slen = #s
    local dst = get_string_buf(encoded_length(slen, no_padding))
    local n = C.mg_base64_encode(s, slen, dst, no_padding_int)
    -- No tail call: the JIT cannot return from ffi.string to an interpreted caller.
    local s_ = ffi_string(dst, n)
    return s_
end

local function decode(s, fn)
    local slen = #s
    local dst = get_string_buf(decoded_length(slen))
    local pdlen = get_size_ptr()
    if fn(s, slen, dst, pdlen) ~= NGX_OK then
        return nil
    end
    -- No tail call: the JIT cannot return from ffi.string to an interpreted caller.
    local s_ = ffi_string(dst, pdlen[0])
    return s_
end

function ngx.decode_base64(s)
    if type(s) ~= "string" then
        error("string argument only", 2)
    end
    return decode(s, C.mg_base64_decode)
end

function ngx.decode_base64mime(s)
    if type(s) ~= "string" then
        error("string argument only", 2)
    end
    return decode(s, C.mg_base64_decode_mime)
end

return _M
