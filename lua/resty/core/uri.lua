-- ngx.escape_uri and ngx.unescape_uri over Moongate's mg_uri_* functions,
-- with lua-resty-core's argument rules. The module table also exposes both
-- functions for resty.core.args.

local ffi = require "ffi"
local base = require "resty.core.base"

local C = ffi.C
local ffi_string = ffi.string
local ngx = ngx
local type = type
local tostring = tostring
local error = error
local get_string_buf = base.get_string_buf

local _M = {version = base.version}

ffi.cdef [[
    size_t mg_uri_escaped_length(const unsigned char *src, size_t len,
                                 int type);
    void mg_uri_escape(const unsigned char *src, size_t len,
                       unsigned char *dst, int type);
    size_t mg_uri_unescape(const unsigned char *src, size_t len,
                           unsigned char *dst);
]]

local NGX_ESCAPE_URI = 0
local NGX_ESCAPE_URI_COMPONENT = 2
local NGX_ESCAPE_MAIL_AUTH = 6

local function escape_uri(s, esc_type)
    if type(s) ~= "string" then
        if not s then
            s = ""
        else
            s = tostring(s)
        end
    end

    if esc_type == nil then
        esc_type = NGX_ESCAPE_URI_COMPONENT
    else
        if type(esc_type) ~= "number" then
            error("\"type\" is not a number", 2)
        end
        if esc_type < NGX_ESCAPE_URI or esc_type > NGX_ESCAPE_MAIL_AUTH then
            error("\"type\" " .. esc_type .. " out of range", 2)
        end
    end

    local slen = #s
    local dlen = C.mg_uri_escaped_length(s, slen, esc_type)
    if dlen == slen then
        return s
    end
    local dst = get_string_buf(dlen)
    C.mg_uri_escape(s, slen, dst, esc_type)
    -- No tail call: the JIT cannot return from ffi.string to an interpreted caller.
    local s_ = ffi_string(dst, dlen)
    return s_
end

local function unescape_uri(s)
    if type(s) ~= "string" then
        if not s then
            s = ""
        else
            s = tostring(s)
        end
    end
    local slen = #s
    local dst = get_string_buf(slen)
    local dlen = C.mg_uri_unescape(s, slen, dst)
    -- No tail call: the JIT cannot return from ffi.string to an interpreted caller.
    local s_ = ffi_string(dst, dlen)
    return s_
end

ngx.escape_uri = escape_uri
ngx.unescape_uri = unescape_uri

_M.escape_uri = escape_uri
_M.unescape_uri = unescape_uri

return _M
