-- The ngx.resp module of lua-resty-core: add_header appends a response
-- header value instead of replacing it as ngx.header does.

local ffi = require "ffi"
local base = require "resty.core.base"
require "resty.core.response"

local C = ffi.C
local ffi_string = ffi.string
local type = type
local tostring = tostring
local error = error
local get_request = base.get_request
local errmsg = base.get_errmsg_ptr()
local ngx = ngx

local _M = { version = base.version }

local function add_one(r, key, value)
    local rc = C.mg_http_resp_header_set(r, key, #key, value, #value, 2,
                                         errmsg)
    if rc == -5 then
        ngx.log(ngx.ERR, ffi_string(errmsg[0]))
        return
    end
    if rc == -101 then
        error("API disabled in the current context", 3)
    end
    if rc ~= 0 then
        error(ffi_string(errmsg[0]), 3)
    end
end

function _M.add_header(key, value)
    local r = get_request()
    if not r then
        error("no request found")
    end
    if type(key) ~= "string" then
        key = tostring(key)
    end
    if value == nil then
        error("invalid header value", 2)
    end
    if type(value) == "table" then
        for i = 1, #value do
            add_one(r, key, tostring(value[i]))
        end
        return
    end
    add_one(r, key, tostring(value))
end

return _M
