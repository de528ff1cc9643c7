-- resty.roundrobin: weighted round robin over {id = weight} nodes, with
-- lua-resty-balancer's API (new, find/next, set, incr, decr, delete,
-- reinit). Picks peers by nginx's smooth weighted round robin, so a node of
-- weight 2 among weights {2, 1} is chosen twice in every three calls and
-- never twice in a row when avoidable.

local pairs = pairs
local next = next
local tonumber = tonumber
local setmetatable = setmetatable
local error = error

local _M = {}
local mt = { __index = _M }

local function rebuild(self, nodes)
    local weights, current, ids = {}, {}, {}
    local total = 0
    for id, w in pairs(nodes) do
        w = tonumber(w) or 0
        if w > 0 then
            ids[#ids + 1] = id
            weights[id] = w
            current[id] = 0
            total = total + w
        end
    end
    if #ids == 0 then
        error("empty nodes")
    end
    self.nodes = weights
    self.current = current
    self.ids = ids
    self.total = total
    self.only_key = #ids == 1 and ids[1] or nil
end

function _M.new(_, nodes)
    local self = setmetatable({}, mt)
    rebuild(self, nodes)
    return self
end

function _M.reinit(self, nodes)
    rebuild(self, nodes)
end

local function find(self)
    local only = self.only_key
    if only then
        return only
    end
    local weights, current, ids = self.nodes, self.current, self.ids
    local best, best_w
    for i = 1, #ids do
        local id = ids[i]
        local cw = current[id] + weights[id]
        current[id] = cw
        if not best or cw > best_w then
            best, best_w = id, cw
        end
    end
    current[best] = best_w - self.total
    return best
end

_M.find = find
_M.next = find

local function copy_nodes(self)
    local nodes = {}
    for id, w in next, self.nodes do
        nodes[id] = w
    end
    return nodes
end

local function update(self, nodes)
    local old = self.current
    if next(nodes) == nil then
        self.nodes, self.current, self.ids = {}, {}, {}
        self.total, self.only_key = 0, nil
        return
    end
    rebuild(self, nodes)
    for id in pairs(self.current) do
        if old[id] then
            self.current[id] = old[id]
        end
    end
end

function _M.delete(self, id)
    local nodes = copy_nodes(self)
    nodes[id] = nil
    update(self, nodes)
end

function _M.decr(self, id, weight)
    weight = tonumber(weight) or 1
    local old = self.nodes[id]
    if not old then
        return
    end
    local nodes = copy_nodes(self)
    if old <= weight then
        nodes[id] = nil
    else
        nodes[id] = old - weight
    end
    update(self, nodes)
end

function _M.incr(self, id, weight)
    weight = tonumber(weight) or 1
    local nodes = copy_nodes(self)
    nodes[id] = (nodes[id] or 0) + weight
    update(self, nodes)
end

function _M.set(self, id, weight)
    weight = tonumber(weight) or 0
    local old = self.nodes[id] or 0
    if old == weight then
        return
    end
    if old < weight then
        return _M.incr(self, id, weight - old)
    end
    return _M.decr(self, id, old - weight)
end

return _M
