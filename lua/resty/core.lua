-- require "resty.core": moongate loads every resty.core module when the VM
-- starts, so this only makes sure they are there and returns a table, as
-- lua-resty-core's resty/core.lua does.

local base = require "resty.core.base"

local pcall = pcall
local require = require

local modules = {
    "resty.core.misc", "resty.core.output", "resty.core.var",
    "resty.core.ctx", "resty.core.response", "resty.core.request",
    "resty.core.base64", "resty.core.uri", "resty.core.hash",
    "resty.core.time", "resty.core.args", "resty.core.regex",
    "resty.core.subrequest",
}

-- Modules other areas may add (cosockets, timers, shared dicts).
local optional = {
    "resty.core.shdict", "resty.core.socket", "resty.core.timer",
    "resty.core.thread",
}

for i = 1, #modules do
    require(modules[i])
end

for i = 1, #optional do
    pcall(require, optional[i])
end

return { version = base.version }
