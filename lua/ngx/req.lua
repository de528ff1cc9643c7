-- The ngx.req module of lua-resty-core: add_header appends a request
-- header value instead of replacing it as ngx.req.set_header does.

local ffi = require "ffi"
local base = require "resty.core.base"
require "resty.core.request"

local C = ffi.C
local ffi_string = ffi.string
local type = type
local tostring = tostring
local error = error
local gsub = string.gsub
local get_request = base.get_request
local errmsg = base.get_errmsg_ptr()

local _M = { version = base.version }

local function add_one(r, name, value)
    local rc = C.mg_http_req_header_set(r, name, #name, value, #value, 2,
                                        errmsg)
    if rc ~= 0 then
        error(ffi_string(errmsg[0]), 3)
    end
end

function _M.add_header(name, value)
    local r = get_request()
    if not r then
        error("no request found", 2)
    end
    if name == nil then
        error("bad 'name' argument: string expected, got nil", 2)
    end
    if type(name) ~= "string" then
        name = tostring(name)
    end
    name = gsub(name, "_", "-")
    if value == nil then
        error("bad 'value' argument: string or table expected, got nil", 2)
    end
    if type(value) == "table" then
        if #value == 0 then
            error("bad 'value' argument: non-empty table expected", 2)
        end
        for i = 1, #value do
            add_one(r, name, tostring(value[i]))
        end
        return
    end
    add_one(r, name, tostring(value))
end

return _M
