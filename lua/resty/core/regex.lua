-- ngx.re.match, ngx.re.find, ngx.re.gmatch, ngx.re.sub and ngx.re.gsub on
-- PCRE2, with the behaviour of lua-resty-core's resty.core.regex over
-- lua-nginx-module's PCRE2 code paths. The C side is
-- Sources/MoongateLua/API/Regex.swift.

local ffi = require "ffi"
local bit = require "bit"
local base = require "resty.core.base"

local C = ffi.C
local ffi_new = ffi.new
local ffi_gc = ffi.gc
local ffi_copy = ffi.copy
local ffi_cast = ffi.cast
local ffi_string = ffi.string
local bor = bit.bor
local band = bit.band
local lshift = bit.lshift
local byte = string.byte
local sub = string.sub
local fmt = string.format
local type = type
local tostring = tostring
local error = error
local setmetatable = setmetatable
local new_tab = base.new_tab
local get_string_buf = base.get_string_buf
local get_string_buf_size = base.get_string_buf_size
local get_errmsg_ptr = base.get_errmsg_ptr
local ngx = ngx


ffi.cdef [[
    typedef struct mg_regex_s mg_regex_t;

    mg_regex_t *mg_regex_compile(const unsigned char *pat, size_t len,
        int flags, int opts, int *info, char **err);
    const unsigned char *mg_regex_name_table(mg_regex_t *re);
    int mg_regex_exec(mg_regex_t *re, int flags, const unsigned char *s,
        size_t len, int pos, int *caps, int ncaps);
    void mg_regex_destroy(mg_regex_t *re);
    int mg_regex_max_cache_size(void);
    void mg_regex_set_max_cache_size(int n);
    void mg_regex_set_match_limit(int n);
    const char *mg_regex_pcre_version(void);
]]


local _M = {version = base.version}

if not ngx.re then
    ngx.re = new_tab(0, 5)
end


local FLAG_COMPILE_ONCE  = 0x01
local FLAG_DFA           = 0x02
local FLAG_JIT           = 0x04
local FLAG_DUPNAMES      = 0x08
local FLAG_NO_UTF8_CHECK = 0x10

-- PCRE2 compile options, passed to pcre2_compile() unchanged.
local PCRE2_CASELESS     = 0x00000008
local PCRE2_MULTILINE    = 0x00000400
local PCRE2_DOTALL       = 0x00000020
local PCRE2_EXTENDED     = 0x00000080
local PCRE2_ANCHORED     = bor(0x80000000, 0)
local PCRE2_UTF          = 0x00080000
local PCRE2_DUPNAMES     = 0x00000040
-- PCRE2 has no PCRE_JAVASCRIPT_COMPAT; these two options replace it.
local PCRE2_JS_COMPAT    = bor(0x00000002, 0x00000200)

local PCRE_ERROR_NOMATCH = -1

local c_str_type = ffi.typeof("const char *")
local DOLLAR = byte("$")
local LBRACE = byte("{")
local RBRACE = byte("}")


local cached_re_opts = new_tab(0, 4)

local OPT_O, OPT_J, OPT_I, OPT_S = byte("o"), byte("j"), byte("i"), byte("s")
local OPT_M, OPT_LU, OPT_UU = byte("m"), byte("u"), byte("U")
local OPT_X, OPT_D, OPT_A = byte("x"), byte("d"), byte("a")
local OPT_UD, OPT_UJ = byte("D"), byte("J")

-- Raises at level 3: called by a public function, the error names the line
-- of its caller.
local function parse_regex_opts(opts)
    local t = cached_re_opts[opts]
    if t then
        return t[1], t[2]
    end

    if type(opts) ~= "string" then
        error("bad argument #3 (string expected, got " .. type(opts) .. ")",
              3)
    end

    local flags = 0
    local pcre_opts = 0

    for i = 1, #opts do
        local c = byte(opts, i)
        if c == OPT_O then
            flags = bor(flags, FLAG_COMPILE_ONCE)
        elseif c == OPT_J then
            flags = bor(flags, FLAG_JIT)
        elseif c == OPT_I then
            pcre_opts = bor(pcre_opts, PCRE2_CASELESS)
        elseif c == OPT_S then
            pcre_opts = bor(pcre_opts, PCRE2_DOTALL)
        elseif c == OPT_M then
            pcre_opts = bor(pcre_opts, PCRE2_MULTILINE)
        elseif c == OPT_LU then
            pcre_opts = bor(pcre_opts, PCRE2_UTF)
        elseif c == OPT_UU then
            pcre_opts = bor(pcre_opts, PCRE2_UTF)
            flags = bor(flags, FLAG_NO_UTF8_CHECK)
        elseif c == OPT_X then
            pcre_opts = bor(pcre_opts, PCRE2_EXTENDED)
        elseif c == OPT_D then
            flags = bor(flags, FLAG_DFA)
        elseif c == OPT_A then
            pcre_opts = bor(pcre_opts, PCRE2_ANCHORED)
        elseif c == OPT_UD then
            pcre_opts = bor(pcre_opts, PCRE2_DUPNAMES)
            flags = bor(flags, FLAG_DUPNAMES)
        elseif c == OPT_UJ then
            pcre_opts = bor(pcre_opts, PCRE2_JS_COMPAT)
        else
            error(fmt('unknown flag "%s" (flags "%s")', sub(opts, i, i), opts),
                  3)
        end
    end

    cached_re_opts[opts] = {flags, pcre_opts}
    return flags, pcre_opts
end
_M.parse_regex_opts = parse_regex_opts


-- Offsets of the last match, shared by every regex: each caller reads them
-- before running any user code, so one buffer per VM is enough.
local caps_len = 64
local caps = ffi_new("int[?]", caps_len)

local function ensure_caps(n)
    if n > caps_len then
        local size = caps_len * 2
        if size < n then
            size = n
        end
        caps = ffi_new("int[?]", size)
        caps_len = size
    end
end

--- The int array holding the offsets of the last match (it may be replaced
-- by a larger one when a regex with more groups is compiled).
function _M.get_captures()
    return caps
end


local info = ffi_new("int[5]")

local function compile_regex(regex, flags, pcre_opts)
    local errp = get_errmsg_ptr()
    local re = C.mg_regex_compile(regex, #regex, flags, pcre_opts, info, errp)
    if re == nil then
        return nil, ffi_string(errp[0])
    end
    re = ffi_gc(re, C.mg_regex_destroy)

    local ncaptures = info[0]
    local name_count = info[1]
    local names
    if name_count > 0 then
        -- pairs of (group number, name), in PCRE2's name table order
        names = new_tab(name_count * 2, 0)
        local tbl = C.mg_regex_name_table(re)
        local entry_size = info[2]
        for i = 0, name_count - 1 do
            local p = tbl + i * entry_size
            names[i * 2 + 1] = bor(lshift(p[0], 8), p[1])
            names[i * 2 + 2] = ffi_string(p + 2)
        end
    end

    ensure_caps((ncaptures + 1) * 2)

    return {
        re = re,
        ncaptures = ncaptures,
        names = names,
        utf = info[3] ~= 0,
        jit = info[4] ~= 0,
    }
end


local function destroy_compiled_regex(compiled)
    local re = compiled.re
    if re ~= nil then
        compiled.re = nil
        C.mg_regex_destroy(ffi_gc(re, nil))
    end
end
_M.destroy_compiled_regex = destroy_compiled_regex


-- The "o" cache: least recently used regexes are dropped beyond
-- lua_regex_cache_max_entries; the ffi.gc finalizer frees them once no gmatch
-- iterator uses them any more.

local cache_max
local cache_count = 0
local cache_index = new_tab(0, 4)   -- opts -> regex -> node
local lru = {}                      -- sentinel of a ring, most recent first
lru.next = lru
lru.prev = lru
local regex_cache_is_empty = true

local function get_cache_max()
    if not cache_max then
        cache_max = C.mg_regex_max_cache_size()
    end
    return cache_max
end

local function lru_unlink(node)
    node.prev.next = node.next
    node.next.prev = node.prev
end

local function lru_push_front(node)
    local first = lru.next
    node.prev = lru
    node.next = first
    first.prev = node
    lru.next = node
end

local function cache_evict()
    local node = lru.prev
    lru_unlink(node)
    cache_index[node.opts][node.regex] = nil
    cache_count = cache_count - 1
end

local function cache_get(regex, opts)
    local by_regex = cache_index[opts]
    if not by_regex then
        return nil
    end
    local node = by_regex[regex]
    if not node then
        return nil
    end
    if lru.next ~= node then
        lru_unlink(node)
        lru_push_front(node)
    end
    return node.compiled
end

local function cache_set(regex, opts, compiled)
    local max = get_cache_max()
    if max <= 0 then
        return false
    end
    while cache_count >= max do
        cache_evict()
    end
    local by_regex = cache_index[opts]
    if not by_regex then
        by_regex = {}
        cache_index[opts] = by_regex
    end
    local node = {regex = regex, opts = opts, compiled = compiled}
    lru_push_front(node)
    by_regex[regex] = node
    cache_count = cache_count + 1
    regex_cache_is_empty = false
    return true
end

function _M.is_regex_cache_empty()
    return regex_cache_is_empty
end

--- Sets lua_regex_cache_max_entries, dropping the oldest cached regexes
-- beyond the new limit.
function _M.set_max_cache_size(n)
    C.mg_regex_set_max_cache_size(n)
    cache_max = C.mg_regex_max_cache_size()
    while cache_count > cache_max do
        cache_evict()
    end
end

--- The number of regexes held by the "o" cache.
function _M.cache_size()
    return cache_count
end

--- Sets lua_regex_match_limit (0 restores PCRE2's default).
function _M.set_match_limit(n)
    C.mg_regex_set_match_limit(n)
end

function _M.pcre_version()
    return ffi_string(C.mg_regex_pcre_version())
end


-- Returns the compiled regex and whether it lives in the "o" cache (else the
-- caller destroys it), or nil and the compile error.
local function re_match_compile(regex, opts, flags, pcre_opts)
    local once = band(flags, FLAG_COMPILE_ONCE) ~= 0
    if once then
        local compiled = cache_get(regex, opts)
        if compiled then
            return compiled, true
        end
    end

    local compiled, err = compile_regex(regex, flags, pcre_opts)
    if not compiled then
        return nil, err
    end

    if once then
        once = cache_set(regex, opts, compiled)
    end
    return compiled, once
end
_M.re_match_compile = re_match_compile


local function exec(compiled, flags, subj, len, pos)
    return C.mg_regex_exec(compiled.re, flags, subj, len, pos, caps, caps_len)
end
_M.exec = exec


-- The byte offset after the empty match at `pos`: one character further.
local function next_pos(utf, subj, pos, len)
    pos = pos + 1
    if utf then
        while pos < len do
            local c = byte(subj, pos + 1)
            if c < 0x80 or c >= 0xc0 then
                break
            end
            pos = pos + 1
        end
    end
    return pos
end
_M.next_pos = next_pos


local function collect_captures(compiled, rc, subj, flags, res)
    local ncaptures = compiled.ncaptures
    local names = compiled.names

    if not res then
        res = new_tab(ncaptures, names and #names / 2 or 0)
    end

    for i = 0, ncaptures do
        local from = -1
        if i < rc then
            from = caps[i * 2]
        end
        if from >= 0 then
            res[i] = sub(subj, from + 1, caps[i * 2 + 1])
        else
            res[i] = false
        end
    end

    if names then
        local dup_names = band(flags, FLAG_DUPNAMES) ~= 0
        local last_name
        for j = 1, #names, 2 do
            local name = names[j + 1]
            local cap = res[names[j]]
            if dup_names then
                -- entries of one name are adjacent; unmatched ones are skipped
                if name ~= last_name then
                    res[name] = nil
                    last_name = name
                end
                if cap then
                    local list = res[name]
                    if list then
                        list[#list + 1] = cap
                    else
                        res[name] = {cap}
                    end
                end
            else
                res[name] = cap
            end
        end
    end

    return res
end
_M.collect_captures = collect_captures


local function check_regex(regex, fname)
    if type(regex) == "number" then
        return tostring(regex)
    end
    error(fmt("bad argument #2 to '%s' (string expected, got %s)", fname,
              type(regex)), 3)
end


-- Runs regex once from byte `pos`. Returns the compiled regex and PCRE's
-- result with the offsets in `caps`; nil for no match; or nil and an error.
local function match_once(subj, regex, opts, flags, pcre_opts, pos)
    local compiled, once = re_match_compile(regex, opts, flags, pcre_opts)
    if not compiled then
        return nil, once
    end

    local rc = exec(compiled, flags, subj, #subj, pos)

    if not once then
        destroy_compiled_regex(compiled)
    end

    if rc == PCRE_ERROR_NOMATCH then
        return nil
    end

    if rc < 0 then
        return nil, "pcre_exec() failed: " .. rc
    end

    if rc == 0 then
        if band(flags, FLAG_DFA) == 0 then
            return nil, "capture size too small"
        end
        rc = 1
    end

    return compiled, rc
end


local function ctx_pos(ctx)
    if not ctx then
        return 0
    end
    local pos = ctx.pos
    if not pos or pos <= 0 then
        return 0
    end
    return pos - 1
end


function ngx.re.match(subj, regex, opts, ctx, res)
    local flags, pcre_opts = 0, 0
    if opts then
        flags, pcre_opts = parse_regex_opts(opts)
    else
        opts = ""
    end
    if type(regex) ~= "string" then
        regex = check_regex(regex, "match")
    end
    subj = tostring(subj)

    local compiled, rc = match_once(subj, regex, opts, flags, pcre_opts,
                                    ctx_pos(ctx))
    if not compiled then
        if rc then
            return nil, rc
        end
        return nil
    end

    if ctx then
        ctx.pos = caps[1] + 1
    end

    return collect_captures(compiled, rc, subj, flags, res)
end


function ngx.re.find(subj, regex, opts, ctx, nth)
    local flags, pcre_opts = 0, 0
    if opts then
        flags, pcre_opts = parse_regex_opts(opts)
    else
        opts = ""
    end
    if type(regex) ~= "string" then
        regex = check_regex(regex, "find")
    end
    subj = tostring(subj)

    local compiled, rc = match_once(subj, regex, opts, flags, pcre_opts,
                                    ctx_pos(ctx))
    if not compiled then
        if rc then
            return nil, nil, rc
        end
        return nil
    end

    if ctx then
        ctx.pos = caps[1] + 1
    end

    if not nth or nth < 0 then
        nth = 0
    end

    if nth > compiled.ncaptures then
        return nil, nil, "nth out of bound"
    end

    if nth >= rc then
        return nil, nil
    end

    local from = caps[nth * 2]
    local to = caps[nth * 2 + 1]
    if from < 0 or to < 0 then
        return nil, nil
    end

    return from + 1, to
end


do
    local function finish(it)
        if not it.once then
            destroy_compiled_regex(it.compiled)
        end
        it.compiled = nil
        it.subj = nil
    end

    local function iterate(it)
        local compiled = it.compiled
        if not compiled then
            return nil
        end

        local subj = it.subj
        local len = it.len
        local flags = it.flags

        local rc = exec(compiled, flags, subj, len, it.pos)

        if rc == PCRE_ERROR_NOMATCH then
            finish(it)
            return nil
        end

        if rc < 0 then
            finish(it)
            return nil, "pcre_exec() failed: " .. rc
        end

        if rc == 0 then
            if band(flags, FLAG_DFA) == 0 then
                finish(it)
                return nil, "capture size too small"
            end
            rc = 1
        end

        local from = caps[0]
        local to = caps[1]
        local res = collect_captures(compiled, rc, subj, flags)

        if to == from then
            to = next_pos(compiled.utf, subj, to, len)
            if to > len then
                finish(it)
                return res
            end
        end

        it.pos = to
        return res
    end

    local gmatch_mt = {__call = iterate}

    function ngx.re.gmatch(subj, regex, opts)
        local flags, pcre_opts = 0, 0
        if opts then
            flags, pcre_opts = parse_regex_opts(opts)
        else
            opts = ""
        end
        if type(regex) ~= "string" then
            regex = check_regex(regex, "gmatch")
        end
        subj = tostring(subj)

        local compiled, once = re_match_compile(regex, opts, flags, pcre_opts)
        if not compiled then
            return nil, once
        end

        return setmetatable({
            compiled = compiled,
            once = once,
            subj = subj,
            len = #subj,
            flags = flags,
            pos = 0,
        }, gmatch_mt)
    end
end


-- Replacement templates, as lua-nginx-module's ngx_http_lua_script.c reads
-- them: "$N" and "${N}" insert group N (empty if unset or out of range), "$$"
-- is a literal "$", and anything else after "$" is an error. Compiled to an
-- array of literal strings and group numbers.

local function is_digit(c)
    return c >= 48 and c <= 57
end

local function is_word(c)
    return is_digit(c) or (c >= 65 and c <= 90) or (c >= 97 and c <= 122)
           or c == 95
end

local function compile_template(tpl)
    local parts = {}
    local n = 0
    local len = #tpl
    local i = 1
    local lit = 1

    while i <= len do
        if byte(tpl, i) ~= DOLLAR then
            i = i + 1

        else
            if i > lit then
                n = n + 1
                parts[n] = sub(tpl, lit, i - 1)
            end

            i = i + 1
            if i > len then
                return nil, fmt('lua script: invalid capturing variable name '
                                .. 'found in "%s"', tpl)
            end

            local c = byte(tpl, i)
            if c == DOLLAR then
                n = n + 1
                parts[n] = "$"
                i = i + 1

            else
                local bracket = false
                if c == LBRACE then
                    bracket = true
                    i = i + 1
                    if i > len then
                        return nil, fmt('lua script: invalid capturing '
                                        .. 'variable name found in "%s"', tpl)
                    end
                    c = byte(tpl, i)
                end

                local numeric = is_digit(c)
                local group = 0
                local start = i
                while i <= len do
                    c = byte(tpl, i)
                    if bracket and c == RBRACE then
                        break
                    end
                    if numeric then
                        if not is_digit(c) then
                            break
                        end
                        group = group * 10 + c - 48
                    elseif not is_word(c) then
                        break
                    end
                    i = i + 1
                end

                local name = sub(tpl, start, i - 1)
                if bracket then
                    if i > len or byte(tpl, i) ~= RBRACE then
                        return nil, fmt('the closing bracket in "%s" variable '
                                        .. 'is missing', name)
                    end
                    i = i + 1
                end

                if #name == 0 then
                    return nil, fmt('lua script: invalid capturing variable '
                                    .. 'name found in "%s"', tpl)
                end

                if not numeric then
                    return nil, fmt('attempt to use named capturing variable '
                                    .. '"%s" (named captures not supported '
                                    .. 'yet)', name)
                end

                n = n + 1
                parts[n] = group
            end

            lit = i
        end
    end

    if len >= lit then
        n = n + 1
        parts[n] = sub(tpl, lit, len)
    end

    return parts
end
_M.compile_template = compile_template


local tpl_cache = new_tab(0, 4)
local tpl_cache_count = 0

local function get_template(tpl, once)
    local parts = tpl_cache[tpl]
    if parts then
        return parts
    end

    local err
    parts, err = compile_template(tpl)
    if not parts then
        local log = ngx.log
        if type(log) == "function" then
            log(ngx.ERR, err)
        end
        return nil, err
    end

    if once and tpl_cache_count < get_cache_max() then
        tpl_cache[tpl] = parts
        tpl_cache_count = tpl_cache_count + 1
    end
    return parts
end


local function grow_buf(buf, size, used, need, must_alloc)
    if need <= size then
        return buf, size
    end
    local new_size = size * 2
    if new_size < need then
        new_size = need
    end
    local new_buf = get_string_buf(new_size, must_alloc)
    if used > 0 then
        ffi_copy(new_buf, buf, used)
    end
    return new_buf, new_size
end


local function re_sub_helper(subj, regex, replace, opts, flags, pcre_opts,
                             global)
    local func, parts
    if type(replace) == "function" then
        func = replace
    elseif type(replace) ~= "string" then
        replace = tostring(replace)
    end

    local compiled, once = re_match_compile(regex, opts, flags, pcre_opts)
    if not compiled then
        return nil, nil, once
    end

    if not func then
        parts = get_template(replace, band(flags, FLAG_COMPILE_ONCE) ~= 0)
        if not parts then
            if not once then
                destroy_compiled_regex(compiled)
            end
            return nil, nil, "failed to compile the replacement template"
        end
    end

    subj = tostring(subj)
    local subj_len = #subj
    local subj_ptr = ffi_cast(c_str_type, subj)
    local utf = compiled.utf
    local count = 0
    local pos = 0
    local cp_pos = 0

    -- a replacement function may call back into ngx.re and reuse the shared
    -- string buffer, so it gets a buffer of its own
    local must_alloc = func ~= nil
    local buf_size = get_string_buf_size()
    local buf = get_string_buf(buf_size, must_alloc)
    local used = 0

    while true do
        local rc = exec(compiled, flags, subj, subj_len, pos)
        if rc == PCRE_ERROR_NOMATCH then
            break
        end

        if rc < 0 then
            if not once then
                destroy_compiled_regex(compiled)
            end
            return nil, nil, "pcre_exec() failed: " .. rc
        end

        if rc == 0 then
            if band(flags, FLAG_DFA) == 0 then
                if not once then
                    destroy_compiled_regex(compiled)
                end
                return nil, nil, "capture size too small"
            end
            rc = 1
        end

        count = count + 1
        local from = caps[0]
        local to = caps[1]
        local prefix_len = from - cp_pos

        if func then
            local res = collect_captures(compiled, rc, subj, flags)
            local piece = tostring(func(res))
            local piece_len = #piece

            buf, buf_size = grow_buf(buf, buf_size, used,
                                     used + prefix_len + piece_len, true)
            if prefix_len > 0 then
                ffi_copy(buf + used, subj_ptr + cp_pos, prefix_len)
                used = used + prefix_len
            end
            if piece_len > 0 then
                ffi_copy(buf + used, piece, piece_len)
                used = used + piece_len
            end

        else
            local piece_len = 0
            for k = 1, #parts do
                local part = parts[k]
                if type(part) == "number" then
                    if part < rc and caps[part * 2] >= 0 then
                        piece_len = piece_len + caps[part * 2 + 1]
                                    - caps[part * 2]
                    end
                else
                    piece_len = piece_len + #part
                end
            end

            buf, buf_size = grow_buf(buf, buf_size, used,
                                     used + prefix_len + piece_len, false)
            if prefix_len > 0 then
                ffi_copy(buf + used, subj_ptr + cp_pos, prefix_len)
                used = used + prefix_len
            end
            for k = 1, #parts do
                local part = parts[k]
                if type(part) == "number" then
                    if part < rc then
                        local s = caps[part * 2]
                        if s >= 0 then
                            local n = caps[part * 2 + 1] - s
                            ffi_copy(buf + used, subj_ptr + s, n)
                            used = used + n
                        end
                    end
                else
                    ffi_copy(buf + used, part, #part)
                    used = used + #part
                end
            end
        end

        cp_pos = to
        pos = to
        if to == from then
            pos = next_pos(utf, subj, pos, subj_len)
            if pos > subj_len then
                break
            end
        end

        if not global then
            break
        end
    end

    if not once then
        destroy_compiled_regex(compiled)
    end

    if count == 0 then
        return subj, 0
    end

    if cp_pos < subj_len then
        local suffix_len = subj_len - cp_pos
        buf, buf_size = grow_buf(buf, buf_size, used, used + suffix_len,
                                 must_alloc)
        ffi_copy(buf + used, subj_ptr + cp_pos, suffix_len)
        used = used + suffix_len
    end

    return ffi_string(buf, used), count
end


function ngx.re.sub(subj, regex, replace, opts)
    local flags, pcre_opts = 0, 0
    if opts then
        flags, pcre_opts = parse_regex_opts(opts)
    else
        opts = ""
    end
    if type(regex) ~= "string" then
        regex = check_regex(regex, "sub")
    end
    return re_sub_helper(subj, regex, replace, opts, flags, pcre_opts, false)
end


function ngx.re.gsub(subj, regex, replace, opts)
    local flags, pcre_opts = 0, 0
    if opts then
        flags, pcre_opts = parse_regex_opts(opts)
    else
        opts = ""
    end
    if type(regex) ~= "string" then
        regex = check_regex(regex, "gsub")
    end
    return re_sub_helper(subj, regex, replace, opts, flags, pcre_opts, true)
end


return _M
