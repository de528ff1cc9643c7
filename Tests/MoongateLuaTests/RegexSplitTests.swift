import Testing
@testable import MoongateLua

// Cases from lua-resty-core t/re-split.t and t/re-opt.t, and the "o" cache.

/// Runs `code` with `split` bound to `require("ngx.re").split`.
private func runSplit(_ code: String) throws -> [String?] {
    try runRegex("local split = require('ngx.re').split\n" + code)
}

@Test func splitOnSeparators() throws {
    #expect(try runSplit("return table.concat(split('a,b,c,d', ','), '|')") == ["a|b|c|d"])
    #expect(try runSplit("return table.concat(split('a, b,  c', ',\\\\s*', 'jo'), '|')")
        == ["a|b|c"])
    #expect(try runSplit("return #split('abcd', ','), split('abcd', ',')[1]") == ["1", "abcd"])
    #expect(try runSplit("return #split('', ',')") == ["0"])
}

@Test func splitEmptyPieces() throws {
    // leading and inner empty pieces stay, trailing ones are dropped
    #expect(try runSplit("""
        local t = split(",a,,b,,", ",")
        return #t, table.concat(t, "|")
        """) == ["4", "|a||b"])
    #expect(try runSplit("return #split(',,,', ',')") == ["0"])
}

@Test func splitOnEmptyRegex() throws {
    #expect(try runSplit("return table.concat(split('abcd', ''), '|')") == ["a|b|c|d"])
    #expect(try runSplit("return table.concat(split('你好', '', 'u'), '|')") == ["你|好"])
    #expect(try runSplit("return table.concat(split('abcd', '', nil, nil, 2), '|')")
        == ["a|bcd"])
}

@Test func splitWithMax() throws {
    #expect(try runSplit("return table.concat(split('a,b,c,d', ',', nil, nil, 2), '|')")
        == ["a|b,c,d"])
    #expect(try runSplit("return table.concat(split('a,b,c,d', ',', nil, nil, 1), '|')")
        == ["a,b,c,d"])
    #expect(try runSplit("return table.concat(split('a,b,c,d', ',', nil, nil, 10), '|')")
        == ["a|b|c|d"])
    // with a max, a trailing empty piece is kept
    #expect(try runSplit("""
        local t = split("a,b,", ",", nil, nil, 3)
        return #t, table.concat(t, "|")
        """) == ["3", "a|b|"])
}

@Test func splitKeepsFirstGroup() throws {
    #expect(try runSplit("return table.concat(split('a,b;c', '([,;])'), '|')")
        == ["a|,|b|;|c"])
    #expect(try runSplit("return table.concat(split('a,b,c,d', '(,)', nil, nil, 3), '|')")
        == ["a|,|b|,|c,d"])
}

@Test func splitCtxAndRes() throws {
    #expect(try runSplit("""
        local ctx = {pos = 3}
        return table.concat(split("a,b,c,d", ",", nil, ctx), "|")
        """) == ["b|c|d"])
    #expect(try runSplit("""
        local res = {"x", "y", "z", "w", "v"}
        local t = split("a,b", ",", nil, nil, nil, res)
        -- like lua-resty-core, only the item after the last one is cleared
        return t == res, res[1], res[2], res[3], res[4]
        """) == ["true", "a", "b", nil, "w"])
    #expect(try runSplit("return #split('abc', ',', nil, {pos = 10})") == ["0"])
}

@Test func splitErrors() throws {
    #expect(try runSplit("return split('a,b', '(')")
        == [nil, "pcre2_compile() failed: missing closing parenthesis in \"(\""])
    do {
        _ = try runSplit("split('a,b', ',', nil, nil, nil, 'x')")
        Issue.record("expected an error")
    } catch LuaError.runtime(let msg) {
        #expect(msg.contains("res is not a table"))
    }
}

@Test func optJitStackSize() throws {
    #expect(try runRegex("""
        local re = require "ngx.re"
        re.opt("jit_stack_size", 128 * 1024)
        local ok, err = pcall(re.opt, "foo", 1)
        local m = ngx.re.match("hello", "l+", "jo")
        local ok2, err2 = pcall(re.opt, "jit_stack_size", 256 * 1024)
        return m[0], err, err2
        """) == [
            "ll", "unrecognized option name",
            "changing jit stack size is not allowed when some regexs have already been "
                + "compiled and cached",
        ])
}

@Test func compileOnceCacheIsBoundedLRU() throws {
    let vm = try makeTestVM()
    defer { RegexRuntime.current.cacheMaxEntries = 1024 }
    #expect(try vm.run("""
        local regex = require "resty.core.regex"
        regex.set_max_cache_size(2)
        ngx.re.match("a", "a", "o")
        ngx.re.match("b", "b", "o")
        local hit = regex.re_match_compile("a", "o", 1, 0)
        ngx.re.find("c", "c", "jo")
        local n = regex.cache_size()
        -- "b" was least recently used, so it is gone and compiles anew
        local a2 = regex.re_match_compile("a", "o", 1, 0)
        local m = ngx.re.match("b", "b", "o")
        regex.set_max_cache_size(0)
        local n0 = regex.cache_size()
        ngx.re.match("d", "d", "o")
        return n, hit == a2, m[0], n0, regex.cache_size()
        """) == ["2", "true", "b", "0", "0"])
}
