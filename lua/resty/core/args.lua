-- ngx.encode_args, ngx.decode_args and ngx.quote_sql_str in pure Lua, with
-- the behaviour of ngx_lua's C versions (ngx_http_lua_string.c,
-- ngx_http_lua_args.c): no FFI is needed beyond resty.core.uri's escaping.
--
-- encode_args: keys in the table's iteration order (not sorted), escaped as
-- URI components; true gives the bare key, false is skipped, a table value
-- gives one pair per element. decode_args: at most max_args pairs (100 by
-- default, 0 or less for no limit; "truncated" as a second value when hit),
-- repeated keys collect into a list, a key without "=" maps to true, empty
-- keys are dropped.

local uri = require "resty.core.uri"
local base = require "resty.core.base"

local ngx = ngx
local type = type
local tostring = tostring
local tonumber = tonumber
local error = error
local next = next
local rawget = rawget
local rawset = rawset
local find = string.find
local sub = string.sub
local gsub = string.gsub
local concat = table.concat
local escape_uri = uri.escape_uri
local unescape_uri = uri.unescape_uri
local new_tab = base.new_tab

local _M = {version = base.version}

local MAX_ARGS = 100

local function arg_error(n, fname, expected, got)
    error("bad argument #" .. n .. " to '" .. fname .. "' (" .. expected
          .. " expected, got " .. type(got) .. ")", 3)
end

function ngx.encode_args(args)
    if type(args) ~= "table" then
        arg_error(1, "encode_args", "table", args)
    end

    local buf = new_tab(8, 0)
    local n = 0
    for k, v in next, args do
        if type(k) ~= "string" then
            error("attempt to use a non-string key in the \"args\" option "
                  .. "table", 2)
        end
        local key = escape_uri(k)
        local tv = type(v)
        if tv == "string" or tv == "number" then
            n = n + 1
            buf[n] = key .. "=" .. escape_uri(tostring(v))
        elseif tv == "boolean" then
            if v then
                n = n + 1
                buf[n] = key
            end
        elseif tv == "table" then
            for _, item in next, v do
                local ti = type(item)
                if ti == "boolean" then
                    if item then
                        n = n + 1
                        buf[n] = key
                    end
                elseif ti == "string" or ti == "number" then
                    n = n + 1
                    buf[n] = key .. "=" .. escape_uri(tostring(item))
                else
                    error("attempt to use " .. ti .. " as query arg value", 2)
                end
            end
        else
            error("attempt to use " .. tv .. " as query arg value", 2)
        end
    end
    return concat(buf, "&", 1, n)
end

-- ngx_http_lua_set_multi_value_table
local function set_value(res, key, value)
    local old = rawget(res, key)
    if old == nil then
        rawset(res, key, value)
    elseif type(old) == "table" then
        old[#old + 1] = value
    else
        rawset(res, key, {old, value})
    end
end

local function add_pair(res, key, value)
    if key ~= "" then
        set_value(res, key, value)
    end
end

function ngx.decode_args(str, max_args)
    local ts = type(str)
    if ts == "number" then
        str = tostring(str)
    elseif ts ~= "string" then
        arg_error(1, "decode_args", "string", str)
    end

    if max_args == nil then
        max_args = MAX_ARGS
    else
        local n = tonumber(max_args)
        if not n then
            arg_error(2, "decode_args", "number", max_args)
        end
        -- luaL_checkint truncates toward zero
        max_args = n >= 0 and n - n % 1 or -((-n) - (-n) % 1)
    end

    local res = new_tab(0, 4)
    local len = #str
    local q = 1            -- start of the current key or value
    local key              -- the pending key while parsing its value
    local count = 0

    while true do
        local p
        if key then
            p = find(str, "&", q, true)
        else
            p = find(str, "[=&]", q)
        end
        if not p then
            break
        end

        local token = unescape_uri(sub(str, q, p - 1))
        q = p + 1

        if key == nil and sub(str, p, p) == "=" then
            key = token
        else
            if key then
                add_pair(res, key, token)
                key = nil
            else
                add_pair(res, token, true)
            end
            if max_args > 0 then
                count = count + 1
                if count == max_args then
                    return res, "truncated"
                end
            end
        end
    end

    if q <= len or key then
        local token = unescape_uri(sub(str, q, len))
        if key then
            add_pair(res, key, token)
        else
            add_pair(res, token, true)
        end
    end

    return res
end

local sql_escapes = {
    ["\0"] = "\\0",
    ["\b"] = "\\b",
    ["\n"] = "\\n",
    ["\r"] = "\\r",
    ["\t"] = "\\t",
    ["\26"] = "\\Z",
    ["\\"] = "\\\\",
    ["'"] = "\\'",
    ["\""] = "\\\"",
}

function ngx.quote_sql_str(s)
    local ts = type(s)
    if ts == "number" then
        s = tostring(s)
    elseif ts ~= "string" then
        arg_error(1, "quote_sql_str", "string", s)
    end
    return "'" .. gsub(s, "[%z\b\n\r\t\26\\'\"]", sql_escapes) .. "'"
end

return _M
