-- ngx.shared.DICT: calls the shared-memory engine (Sources/CMoongate/shm.c)
-- directly through the FFI, with lua-resty-core's shdict.lua API and
-- ngx_lua's return conventions.

local ffi = require "ffi"
local base = require "resty.core.base"

local C = ffi.C
local ffi_new = ffi.new
local ffi_string = ffi.string
local type = type
local tostring = tostring
local tonumber = tonumber
local error = error
local setmetatable = setmetatable
local rawset = rawset
local ngx = ngx
local get_string_buf = base.get_string_buf
local get_string_buf_size = base.get_string_buf_size

ffi.cdef [[
    typedef struct mg_shm_zone mg_shm_zone_t;
    typedef struct mg_shm_value {
        int32_t type;
        uint32_t flags;
        double number;
        size_t len;
        int32_t stale;
    } mg_shm_value_t;
    typedef struct mg_shm_stats {
        uint64_t capacity;
        uint64_t free_space;
        uint64_t used_bytes;
        uint64_t items;
        uint64_t evictions;
        uint64_t compactions;
        uint64_t repairs;
        uint64_t rebuilds;
    } mg_shm_stats_t;

    void *mg_shdict_zone(const char *name, size_t len);
    const char *mg_shm_strerror(int rc);
    int mg_shm_get(mg_shm_zone_t *z, const void *key, size_t key_len,
                   int get_stale, void *buf, size_t cap, mg_shm_value_t *out,
                   int64_t now);
    int mg_shm_store(mg_shm_zone_t *z, int op, const void *key,
                     size_t key_len, int type, const void *str,
                     size_t str_len, double num, int64_t exptime_ms,
                     uint32_t flags, int *forcible, int64_t now);
    int mg_shm_delete(mg_shm_zone_t *z, const void *key, size_t key_len);
    int mg_shm_incr(mg_shm_zone_t *z, const void *key, size_t key_len,
                    double *value, int has_init, double init,
                    int64_t init_ttl_ms, int *forcible, int64_t now);
    int mg_shm_push(mg_shm_zone_t *z, int left, const void *key,
                    size_t key_len, int type, const void *str,
                    size_t str_len, double num, int64_t *len_out,
                    int64_t now);
    int mg_shm_pop(mg_shm_zone_t *z, int left, const void *key,
                   size_t key_len, void *buf, size_t cap,
                   mg_shm_value_t *out, int64_t now);
    int mg_shm_llen(mg_shm_zone_t *z, const void *key, size_t key_len,
                    int64_t *len_out, int64_t now);
    int mg_shm_ttl(mg_shm_zone_t *z, const void *key, size_t key_len,
                   int64_t *ttl_ms, int64_t now);
    int mg_shm_expire(mg_shm_zone_t *z, const void *key, size_t key_len,
                      int64_t exptime_ms, int64_t now);
    void mg_shm_flush_all(mg_shm_zone_t *z);
    int64_t mg_shm_flush_expired(mg_shm_zone_t *z, int64_t max, int64_t now);
    int mg_shm_get_keys(mg_shm_zone_t *z, int64_t max, void *buf, size_t cap,
                        size_t *needed, int64_t *count, int64_t now);
    void mg_shm_stats(mg_shm_zone_t *z, mg_shm_stats_t *out);
]]

local _M = { version = base.version }

local NOW = -1
local T_NIL, T_BOOLEAN, T_NUMBER, T_STRING, T_LIST = 0, 1, 3, 4, 5
local OP_SET, OP_ADD, OP_REPLACE, OP_SAFE = 0, 1, 2, 4
local ERR_BUFFER = -12

local value = ffi_new("mg_shm_value_t[1]")
local forcible = ffi_new("int[1]")
local num = ffi_new("double[1]")
local i64 = ffi_new("int64_t[1]")
local i64b = ffi_new("int64_t[1]")
local size = ffi_new("size_t[1]")
local stats = ffi_new("mg_shm_stats_t[1]")

local function strerror(rc)
    return ffi_string(C.mg_shm_strerror(rc))
end

local function check_zone(self)
    if type(self) ~= "table" or not self.zone then
        error('bad "zone" argument', 3)
    end
    return self.zone
end

local function check_key(key)
    if key == nil then
        return nil, "nil key"
    end
    if type(key) ~= "string" then
        key = tostring(key)
    end
    local n = #key
    if n == 0 then
        return nil, "empty key"
    end
    if n > 65535 then
        return nil, "key too long"
    end
    return key
end

local function decode(buf)
    local v = value[0]
    local t = v.type
    local flags = tonumber(v.flags)
    local res
    if t == T_STRING then
        res = ffi_string(buf, v.len)
    elseif t == T_NUMBER then
        res = tonumber(v.number)
    elseif t == T_BOOLEAN then
        res = v.number ~= 0
    else
        return nil
    end
    if flags ~= 0 then
        return res, flags
    end
    return res
end

local function do_get(self, key, stale)
    local zone = check_zone(self)
    local err
    key, err = check_key(key)
    if not key then
        return nil, err
    end
    local cap = get_string_buf_size()
    local buf = get_string_buf(cap)
    local rc = C.mg_shm_get(zone, key, #key, stale, buf, cap, value, NOW)
    if rc == ERR_BUFFER then
        cap = tonumber(value[0].len)
        buf = get_string_buf(cap, true)
        rc = C.mg_shm_get(zone, key, #key, stale, buf, cap, value, NOW)
    end
    if rc ~= 0 then
        return nil, strerror(rc)
    end
    if value[0].type == T_LIST then
        return nil, "value is a list"
    end
    if stale == 1 then
        local res, flags = decode(buf)
        return res, flags, value[0].stale == 1
    end
    return decode(buf)
end

local function get(self, key)
    return do_get(self, key, 0)
end

local function get_stale(self, key)
    return do_get(self, key, 1)
end

local function store(self, op, key, val, exptime, flags)
    local zone = check_zone(self)
    local err
    key, err = check_key(key)
    if not key then
        return nil, err
    end
    if exptime == nil then
        exptime = 0
    elseif type(exptime) ~= "number" or exptime < 0 then
        error('bad "exptime" argument', 2)
    end
    if flags == nil then
        flags = 0
    elseif type(flags) ~= "number" then
        error('bad "flags" argument', 2)
    end
    local t, str, slen, n = T_NIL, nil, 0, 0
    local tv = type(val)
    if tv == "string" then
        t, str, slen = T_STRING, val, #val
    elseif tv == "number" then
        t, n = T_NUMBER, val
    elseif tv == "boolean" then
        t, n = T_BOOLEAN, val and 1 or 0
    elseif tv == "nil" then
        if op ~= OP_SET and op ~= OP_SAFE then
            return nil, "attempt to add or replace nil values", false
        end
    else
        return nil, "bad value type", false
    end
    forcible[0] = 0
    local rc = C.mg_shm_store(zone, op, key, #key, t, str, slen, n,
                              exptime * 1000, flags, forcible, NOW)
    if rc ~= 0 then
        return false, strerror(rc), forcible[0] == 1
    end
    return true, nil, forcible[0] == 1
end

local function set(self, key, val, exptime, flags)
    return store(self, OP_SET, key, val, exptime, flags)
end

local function safe_set(self, key, val, exptime, flags)
    return store(self, OP_SAFE, key, val, exptime, flags)
end

local function add(self, key, val, exptime, flags)
    return store(self, OP_ADD, key, val, exptime, flags)
end

local function safe_add(self, key, val, exptime, flags)
    return store(self, OP_ADD + OP_SAFE, key, val, exptime, flags)
end

local function replace(self, key, val, exptime, flags)
    return store(self, OP_REPLACE, key, val, exptime, flags)
end

local function delete(self, key)
    local zone = check_zone(self)
    local err
    key, err = check_key(key)
    if not key then
        return nil, err
    end
    C.mg_shm_delete(zone, key, #key)
    return true
end

local function incr(self, key, delta, init, init_ttl)
    local zone = check_zone(self)
    local err
    key, err = check_key(key)
    if not key then
        return nil, err
    end
    if type(delta) ~= "number" then
        delta = tonumber(delta)
        if not delta then
            return nil, "not a number"
        end
    end
    local has_init = 0
    if init ~= nil then
        if type(init) ~= "number" then
            init = tonumber(init)
            if not init then
                return nil, "not a number"
            end
        end
        has_init = 1
    else
        init = 0
    end
    if init_ttl ~= nil then
        if type(init_ttl) ~= "number" or init_ttl < 0 then
            error('bad "init_ttl" argument', 2)
        end
        if has_init == 0 then
            error('must provide "init" when providing "init_ttl"', 2)
        end
    else
        init_ttl = 0
    end
    num[0] = delta
    forcible[0] = 0
    local rc = C.mg_shm_incr(zone, key, #key, num, has_init, init,
                             init_ttl * 1000, forcible, NOW)
    if rc ~= 0 then
        return nil, strerror(rc)
    end
    if has_init == 1 then
        return tonumber(num[0]), nil, forcible[0] == 1
    end
    return tonumber(num[0])
end

local function push(self, left, key, val)
    local zone = check_zone(self)
    local err
    key, err = check_key(key)
    if not key then
        return nil, err
    end
    local t, str, slen, n
    local tv = type(val)
    if tv == "string" then
        t, str, slen, n = T_STRING, val, #val, 0
    elseif tv == "number" then
        t, str, slen, n = T_NUMBER, nil, 0, val
    elseif tv == "nil" then
        return nil, "nil value"
    else
        return nil, "bad value type"
    end
    local rc = C.mg_shm_push(zone, left, key, #key, t, str, slen, n, i64,
                             NOW)
    if rc ~= 0 then
        return nil, strerror(rc)
    end
    return tonumber(i64[0])
end

local function lpush(self, key, val)
    return push(self, 1, key, val)
end

local function rpush(self, key, val)
    return push(self, 0, key, val)
end

local function pop(self, left, key)
    local zone = check_zone(self)
    local err
    key, err = check_key(key)
    if not key then
        return nil, err
    end
    local cap = get_string_buf_size()
    local buf = get_string_buf(cap)
    local rc = C.mg_shm_pop(zone, left, key, #key, buf, cap, value, NOW)
    if rc == ERR_BUFFER then
        cap = tonumber(value[0].len)
        buf = get_string_buf(cap, true)
        rc = C.mg_shm_pop(zone, left, key, #key, buf, cap, value, NOW)
    end
    if rc ~= 0 then
        return nil, strerror(rc)
    end
    local res = decode(buf)
    return res
end

local function lpop(self, key)
    return pop(self, 1, key)
end

local function rpop(self, key)
    return pop(self, 0, key)
end

local function llen(self, key)
    local zone = check_zone(self)
    local err
    key, err = check_key(key)
    if not key then
        return nil, err
    end
    local rc = C.mg_shm_llen(zone, key, #key, i64, NOW)
    if rc ~= 0 then
        return nil, strerror(rc)
    end
    return tonumber(i64[0])
end

local function ttl(self, key)
    local zone = check_zone(self)
    local err
    key, err = check_key(key)
    if not key then
        return nil, err
    end
    local rc = C.mg_shm_ttl(zone, key, #key, i64, NOW)
    if rc ~= 0 then
        return nil, strerror(rc)
    end
    return tonumber(i64[0]) / 1000
end

local function expire(self, key, exptime)
    local zone = check_zone(self)
    if type(exptime) ~= "number" or exptime < 0 then
        error('bad "exptime" argument', 2)
    end
    local err
    key, err = check_key(key)
    if not key then
        return nil, err
    end
    local rc = C.mg_shm_expire(zone, key, #key, exptime * 1000, NOW)
    if rc ~= 0 then
        return nil, strerror(rc)
    end
    return true
end

local function flush_all(self)
    C.mg_shm_flush_all(check_zone(self))
end

local function flush_expired(self, max)
    local zone = check_zone(self)
    if max == nil then
        max = 0
    elseif type(max) ~= "number" then
        error('bad "max_count" argument', 2)
    end
    return tonumber(C.mg_shm_flush_expired(zone, max, NOW))
end

local function get_keys(self, max)
    local zone = check_zone(self)
    if max == nil then
        max = 1024
    elseif type(max) ~= "number" then
        error('bad "max_count" argument', 2)
    end
    -- ngx_lua frees every expired item before listing keys.
    C.mg_shm_flush_expired(zone, 0, NOW)
    local cap = get_string_buf_size()
    local buf = get_string_buf(cap)
    local rc = C.mg_shm_get_keys(zone, max, buf, cap, size, i64, NOW)
    if rc == ERR_BUFFER then
        cap = tonumber(size[0])
        buf = get_string_buf(cap, true)
        rc = C.mg_shm_get_keys(zone, max, buf, cap, size, i64, NOW)
    end
    local keys = {}
    local count = tonumber(i64[0])
    local p = ffi.cast("const unsigned char *", buf)
    local off = 0
    for i = 1, count do
        local len = ffi.cast("const uint32_t *", p + off)[0]
        off = off + 4
        keys[i] = ffi_string(p + off, len)
        off = off + len
    end
    return keys
end

local function capacity(self)
    C.mg_shm_stats(check_zone(self), stats)
    return tonumber(stats[0].capacity)
end

local function free_space(self)
    C.mg_shm_stats(check_zone(self), stats)
    return tonumber(stats[0].free_space)
end

--- A read-only view of the zone's usage (moongate extension).
local function usage(self)
    C.mg_shm_stats(check_zone(self), stats)
    local s = stats[0]
    return {
        capacity = tonumber(s.capacity),
        free_space = tonumber(s.free_space),
        used_bytes = tonumber(s.used_bytes),
        items = tonumber(s.items),
        evictions = tonumber(s.evictions),
        compactions = tonumber(s.compactions),
    }
end

local mt = {
    __index = {
        get = get, get_stale = get_stale, set = set, safe_set = safe_set,
        add = add, safe_add = safe_add, replace = replace, delete = delete,
        incr = incr, lpush = lpush, rpush = rpush, lpop = lpop, rpop = rpop,
        llen = llen, ttl = ttl, expire = expire, flush_all = flush_all,
        flush_expired = flush_expired, get_keys = get_keys,
        capacity = capacity, free_space = free_space, usage = usage,
    },
}

local shared = ngx.shared
setmetatable(shared, {
    __index = function(t, name)
        if type(name) ~= "string" then
            return nil
        end
        local z = C.mg_shdict_zone(name, #name)
        if z == nil then
            return nil
        end
        local dict = setmetatable({
            zone = ffi.cast("mg_shm_zone_t *", z),
            name = name,
        }, mt)
        rawset(t, name, dict)
        return dict
    end,
})

return _M
