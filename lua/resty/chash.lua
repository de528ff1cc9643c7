-- resty.chash: consistent hashing over {id = weight} nodes, with
-- lua-resty-balancer's API (new, find, next, set, incr, decr, delete,
-- reinit), in pure Lua. Each node gets 160 points per unit of weight on a
-- CRC32 ring; find(key) returns the node owning the first point at or after
-- crc32(key), and the point's index for next().

local ngx = ngx
local pairs = pairs
local next = next
local tonumber = tonumber
local tostring = tostring
local setmetatable = setmetatable
local error = error
local sort = table.sort
local floor = math.floor
local crc32 = ngx.crc32_short

local _M = {}
local mt = { __index = _M }

local POINTS_PER_WEIGHT = 160

local function build(self, nodes)
    local weights = {}
    local points, owners = {}, {}
    local n = 0
    for id, w in pairs(nodes) do
        w = tonumber(w) or 0
        if w > 0 then
            weights[id] = w
            local base = tostring(id)
            for i = 1, POINTS_PER_WEIGHT * w do
                n = n + 1
                points[n] = { crc32(base .. "\0" .. i), id }
            end
        end
    end
    sort(points, function(a, b)
        if a[1] == b[1] then
            return tostring(a[2]) < tostring(b[2])
        end
        return a[1] < b[1]
    end)
    local hashes = {}
    for i = 1, n do
        hashes[i] = points[i][1]
        owners[i] = points[i][2]
    end
    self.nodes = weights
    self.hashes = hashes
    self.owners = owners
    self.npoints = n
end

function _M.new(_, nodes)
    local self = setmetatable({}, mt)
    build(self, nodes)
    return self
end

function _M.reinit(self, nodes)
    build(self, nodes)
end

-- The first point index whose hash is >= h (wrapping to 1).
local function search(self, h)
    local hashes = self.hashes
    local lo, hi = 1, self.npoints
    if hi == 0 then
        return nil
    end
    if h > hashes[hi] then
        return 1
    end
    while lo < hi do
        local mid = floor((lo + hi) / 2)
        if hashes[mid] < h then
            lo = mid + 1
        else
            hi = mid
        end
    end
    return lo
end

function _M.find(self, key)
    local i = search(self, crc32(tostring(key)))
    if not i then
        return nil
    end
    return self.owners[i], i
end

function _M.next(self, index)
    local n = self.npoints
    if n == 0 then
        return nil
    end
    local i = (tonumber(index) or 0) % n + 1
    return self.owners[i], i
end

local function copy_nodes(self)
    local nodes = {}
    for id, w in next, self.nodes do
        nodes[id] = w
    end
    return nodes
end

function _M.delete(self, id)
    local nodes = copy_nodes(self)
    nodes[id] = nil
    build(self, nodes)
end

function _M.incr(self, id, weight)
    weight = tonumber(weight) or 1
    local nodes = copy_nodes(self)
    nodes[id] = (nodes[id] or 0) + weight
    build(self, nodes)
end

function _M.decr(self, id, weight)
    weight = tonumber(weight) or 1
    local old = self.nodes[id]
    if not old then
        return
    end
    local nodes = copy_nodes(self)
    nodes[id] = old > weight and old - weight or nil
    build(self, nodes)
end

function _M.set(self, id, weight)
    weight = tonumber(weight) or 0
    local old = self.nodes[id] or 0
    if old == weight then
        return
    end
    local nodes = copy_nodes(self)
    nodes[id] = weight > 0 and weight or nil
    build(self, nodes)
end

return _M
