-- OpenResty LuaJIT's table extensions for code written against it, when the
-- linked LuaJIT lacks them: table.new, table.clear, table.nkeys,
-- table.isempty, table.isarray and table.clone, each available both as
-- require "table.<name>" (through package.preload) and as table.<name>.
-- Native versions are always preferred; only missing ones are installed.
-- The pure Lua fallbacks are exported in _M.fallbacks for testing.

local type = type
local next = next
local error = error
local pcall = pcall
local require = require
local floor = math.floor
local table = table
local package = package

local _M = {version = "0.1.28"}

local function check_table(t, fname)
    if type(t) ~= "table" then
        error("bad argument #1 to '" .. fname .. "' (table expected, got "
              .. type(t) .. ")", 3)
    end
end

local fallbacks = {}

function fallbacks.new(narr, nrec)
    return {}
end

function fallbacks.clear(t)
    check_table(t, "clear")
    for k in next, t do
        t[k] = nil
    end
end

function fallbacks.nkeys(t)
    check_table(t, "nkeys")
    local n = 0
    for _ in next, t do
        n = n + 1
    end
    return n
end

function fallbacks.isempty(t)
    check_table(t, "isempty")
    return next(t) == nil
end

-- As OpenResty's: true when every key is an integral number (empty tables
-- included); holes and non-positive integers do not matter.
function fallbacks.isarray(t)
    check_table(t, "isarray")
    for k in next, t do
        if type(k) ~= "number" or floor(k) ~= k then
            return false
        end
    end
    return true
end

-- A shallow copy; the metatable is not copied.
function fallbacks.clone(t)
    check_table(t, "clone")
    local c = {}
    for k, v in next, t do
        c[k] = v
    end
    return c
end

_M.fallbacks = fallbacks

local NAMES = {"new", "clear", "nkeys", "isempty", "isarray", "clone"}

--- Installs whichever extensions are missing; returns the names installed.
function _M.install()
    local installed = {}
    for i = 1, #NAMES do
        local name = NAMES[i]
        local modname = "table." .. name
        local ok, fn = pcall(require, modname)
        if not ok or type(fn) ~= "function" then
            fn = table[name]
            if type(fn) ~= "function" then
                fn = fallbacks[name]
                installed[#installed + 1] = name
            end
            local f = fn
            package.loaded[modname] = nil
            package.preload[modname] = function() return f end
        end
        if table[name] == nil then
            table[name] = fn
        end
    end
    return installed
end

_M.install()

return _M
