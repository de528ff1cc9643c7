-- The "ngx.re" module of lua-resty-core: ngx.re.split() and ngx.re.opt(),
-- built on resty.core.regex.

local ffi = require "ffi"
local bit = require "bit"
local base = require "resty.core.base"
local core_regex = require "resty.core.regex"

local C = ffi.C
local ffi_string = ffi.string
local band = bit.band
local sub = string.sub
local type = type
local tostring = tostring
local error = error
local math_min = math.min
local new_tab = base.new_tab
local get_errmsg_ptr = base.get_errmsg_ptr
local FFI_OK = base.FFI_OK
local parse_regex_opts = core_regex.parse_regex_opts
local re_match_compile = core_regex.re_match_compile
local destroy_compiled_regex = core_regex.destroy_compiled_regex
local is_regex_cache_empty = core_regex.is_regex_cache_empty
local get_captures = core_regex.get_captures
local exec = core_regex.exec
local next_pos = core_regex.next_pos


ffi.cdef [[
    int mg_regex_set_jit_stack_size(int size, char **err);
]]


local FLAG_DFA = 0x02
local PCRE_ERROR_NOMATCH = -1
local DEFAULT_SPLIT_RES_SIZE = 4


local _M = {version = base.version}

local split_ctx = new_tab(0, 1)


-- One match from the 0-based offset ctx.pos. Returns the 1-based start and
-- end-plus-one of the separator and the text of its first group, if any;
-- nothing at the end; or nil, nil, nil, err. Leaves ctx.pos where the next
-- search starts (one character further after an empty separator).
local function split_step(subj, len, compiled, flags, ctx)
    local rc = exec(compiled, flags, subj, len, ctx.pos)

    if rc == PCRE_ERROR_NOMATCH then
        return nil
    end

    if rc < 0 then
        return nil, nil, nil, "pcre_exec() failed: " .. rc
    end

    if rc == 0 then
        if band(flags, FLAG_DFA) == 0 then
            return nil, nil, nil, "capture size too small"
        end
        rc = 1
    end

    local caps = get_captures()
    local from = caps[0]
    local to = caps[1]
    local capture
    if rc > 1 and compiled.ncaptures > 0 and caps[2] >= 0 then
        capture = sub(subj, caps[2] + 1, caps[3])
    end

    if from == to then
        ctx.pos = next_pos(compiled.utf, subj, to, len)
    else
        ctx.pos = to
    end

    return from + 1, to + 1, capture
end


--- Splits `subj` on the separator regex `regex`, like lua-resty-core's
-- ngx.re.split. A first capturing group in `regex` is kept as an extra item.
-- At most `max` items when `max` > 0; otherwise trailing empty items are
-- dropped. Returns the array (reusing `res` if given), or nil and an error.
function _M.split(subj, regex, opts, ctx, max, res)
    local flags, pcre_opts = 0, 0
    if opts then
        flags, pcre_opts = parse_regex_opts(opts)
    else
        opts = ""
    end

    if type(regex) ~= "string" then
        if type(regex) ~= "number" then
            error("bad argument #2 to 'split' (string expected, got "
                  .. type(regex) .. ")", 2)
        end
        regex = tostring(regex)
    end

    subj = tostring(subj)

    if not ctx then
        ctx = split_ctx
        ctx.pos = 1
    elseif not ctx.pos then
        ctx.pos = 1
    end

    max = max or 0

    if not res then
        local narr = DEFAULT_SPLIT_RES_SIZE
        if max > 0 then
            narr = math_min(narr, max)
        end
        res = new_tab(narr, 0)
    elseif type(res) ~= "table" then
        error("res is not a table", 2)
    end

    local len = #subj
    if ctx.pos > len then
        res[1] = nil
        return res
    end

    local compiled, once = re_match_compile(regex, opts, flags, pcre_opts)
    if not compiled then
        return nil, once
    end

    local sub_idx = ctx.pos
    local res_idx = 0
    local count = 1
    local last_empty

    ctx.pos = sub_idx - 1

    while max <= 0 or count < max do
        local from, to, capture, err = split_step(subj, len, compiled, flags,
                                                  ctx)
        if err then
            if not once then
                destroy_compiled_regex(compiled)
            end
            return nil, err
        end

        if not from then
            break
        end

        if last_empty then
            sub_idx = last_empty
        end

        if from == to then
            last_empty = from
        end

        if from > sub_idx or not last_empty then
            count = count + 1
            res_idx = res_idx + 1
            res[res_idx] = sub(subj, sub_idx, from - 1)

            if capture then
                res_idx = res_idx + 1
                res[res_idx] = capture
            end

            sub_idx = to
            if sub_idx > len then
                break
            end
        end
    end

    if not once then
        destroy_compiled_regex(compiled)
    end

    if max <= 0 and sub_idx > len then
        -- the subject ended with a separator: drop trailing empty items
        for i = res_idx, 1, -1 do
            if res[i] ~= "" then
                res_idx = i
                break
            end
            res[i] = nil
        end
    else
        res_idx = res_idx + 1
        res[res_idx] = sub(subj, sub_idx)
    end

    res[res_idx + 1] = nil

    return res
end


--- ngx.re.opt("jit_stack_size", size): sets the PCRE2 JIT stack size, which
-- must happen before any regex is cached.
function _M.opt(option, value)
    if option == "jit_stack_size" then
        if not is_regex_cache_empty() then
            error("changing jit stack size is not allowed when some "
                  .. "regexs have already been compiled and cached", 2)
        end

        if type(value) ~= "number" then
            error("bad argument #2 to 'opt' (number expected, got "
                  .. type(value) .. ")", 2)
        end

        local errp = get_errmsg_ptr()
        local rc = C.mg_regex_set_jit_stack_size(value, errp)
        if rc == FFI_OK then
            return
        end

        error(ffi_string(errp[0]), 2)
    end

    error("unrecognized option name", 2)
end


return _M
