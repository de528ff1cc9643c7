-- ngx.md5, ngx.md5_bin, ngx.sha1_bin, ngx.crc32_short, ngx.crc32_long and
-- ngx.hmac_sha1 over Moongate's mg_hash_* functions. As in lua-resty-core,
-- nil (or false) hashes as "" and other non-strings go through tostring
-- (ngx_http_lua_ffi_crc32_* are driven the same way). ngx.hmac_sha1, which
-- has no FFI twin in ngx_lua, keeps the C function's luaL_checklstring rule:
-- strings or numbers only.

local ffi = require "ffi"
local base = require "resty.core.base"

local C = ffi.C
local ffi_new = ffi.new
local ffi_string = ffi.string
local ngx = ngx
local type = type
local tostring = tostring
local tonumber = tonumber
local error = error

local _M = {version = base.version}

ffi.cdef [[
    void mg_hash_md5_bin(const unsigned char *src, size_t len,
                         unsigned char *dst);
    void mg_hash_md5(const unsigned char *src, size_t len,
                     unsigned char *dst);
    int mg_hash_sha1_bin(const unsigned char *src, size_t len,
                         unsigned char *dst);
    int mg_hash_hmac_sha1(const unsigned char *key, size_t key_len,
                          const unsigned char *src, size_t len,
                          unsigned char *dst);
    unsigned int mg_hash_crc32_short(const unsigned char *src, size_t len);
    unsigned int mg_hash_crc32_long(const unsigned char *src, size_t len);
]]

local NGX_OK = 0
local MD5_DIGEST_LEN = 16
local MD5_HEX_DIGEST_LEN = 32
local SHA_DIGEST_LEN = 20

local digest_buf = ffi_new("unsigned char[?]", MD5_HEX_DIGEST_LEN)

local function to_str(s)
    if type(s) ~= "string" then
        if not s then
            return ""
        end
        return tostring(s)
    end
    return s
end

function ngx.md5_bin(s)
    s = to_str(s)
    C.mg_hash_md5_bin(s, #s, digest_buf)
    -- No tail call: the JIT cannot return from ffi.string to an interpreted caller.
    local s_ = ffi_string(digest_buf, MD5_DIGEST_LEN)
    return s_
end

function ngx.md5(s)
    s = to_str(s)
    C.mg_hash_md5(s, #s, digest_buf)
    -- No tail call: the JIT cannot return from ffi.string to an interpreted caller.
    local s_ = ffi_string(digest_buf, MD5_HEX_DIGEST_LEN)
    return s_
end

function ngx.sha1_bin(s)
    s = to_str(s)
    if C.mg_hash_sha1_bin(s, #s, digest_buf) ~= NGX_OK then
        error("SHA-1 support missing in Nginx")
    end
    -- No tail call: the JIT cannot return from ffi.string to an interpreted caller.
    local s_ = ffi_string(digest_buf, SHA_DIGEST_LEN)
    return s_
end

local function check_string(v, n, fname)
    local t = type(v)
    if t == "string" then
        return v
    end
    if t == "number" then
        return tostring(v)
    end
    error("bad argument #" .. n .. " to '" .. fname .. "' (string expected, "
          .. "got " .. t .. ")", 3)
end

function ngx.crc32_short(s)
    s = to_str(s)
    return tonumber(C.mg_hash_crc32_short(s, #s))
end

function ngx.crc32_long(s)
    s = to_str(s)
    return tonumber(C.mg_hash_crc32_long(s, #s))
end

function ngx.hmac_sha1(key, s)
    key = check_string(key, 1, "hmac_sha1")
    s = check_string(s, 2, "hmac_sha1")
    if C.mg_hash_hmac_sha1(key, #key, s, #s, digest_buf) ~= NGX_OK then
        return nil, "hmac_sha1 failed"
    end
    -- No tail call: the JIT cannot return from ffi.string to an interpreted caller.
    local s_ = ffi_string(digest_buf, SHA_DIGEST_LEN)
    return s_
end

return _M
