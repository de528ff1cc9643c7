import Testing
@testable import MoongateLua

/// Runs `code` in a fresh VM with `resty.core.regex` loaded.
func runRegex(_ code: String) throws -> [String?] {
    let vm = try makeTestVM()
    try vm.run("require 'resty.core.regex'")
    return try vm.run(code)
}

// Cases from lua-nginx-module t/034-match.t, t/038-match-o.t and t/047-match-jit.t.

@Test func matchWholeAndGroups() throws {
    #expect(try runRegex("""
        local m = ngx.re.match("hello, 1234", "([0-9]+)")
        return m[0], m[1], m[2]
        """) == ["1234", "1234", nil])
    #expect(try runRegex("""
        local m = ngx.re.match("hello, 1234", "([0-9])([0-9]+)")
        return m[0], m[1], m[2]
        """) == ["1234", "1", "234"])
}

@Test func matchNoMatchReturnsNilWithoutError() throws {
    #expect(try runRegex("""
        local m, err = ngx.re.match("hello, world", "[0-9]+")
        return m == nil, err == nil
        """) == ["true", "true"])
}

@Test func matchOptionsCaselessMultilineDotallExtended() throws {
    #expect(try runRegex("return ngx.re.match('hello, 1234', 'HELLO', 'i')[0]") == ["hello"])
    #expect(try runRegex("return ngx.re.match('hello\\nworld', '^world', 'm')[0]") == ["world"])
    #expect(try runRegex("return ngx.re.match('hello\\nworld', '^world')") == [nil])
    #expect(try runRegex("return ngx.re.match('hello\\nworld', 'o.w', 's')[0]") == ["o\nw"])
    #expect(try runRegex("return ngx.re.match('hello\\nworld', 'o.w')") == [nil])
    #expect(try runRegex("return ngx.re.match('hello, world', 'w o r l d', 'x')[0]") == ["world"])
    #expect(try runRegex("return ngx.re.match('hello, 1234', 'HELLO', 'ijo')[0]") == ["hello"])
}

@Test func matchAnchored() throws {
    #expect(try runRegex("return ngx.re.match('hello, 1234', '[0-9]+', 'a')") == [nil])
    #expect(try runRegex("return ngx.re.match('1234, hello', '[0-9]+', 'a')[0]") == ["1234"])
}

@Test func unknownFlagRaisesAtCaller() throws {
    do {
        _ = try runRegex("local m = ngx.re.match('hello\\nworld', '.*', 'Hm')")
        Issue.record("expected an error")
    } catch LuaError.runtime(let msg) {
        #expect(msg.contains("unknown flag \"H\" (flags \"Hm\")"))
        #expect(msg.hasPrefix("run:1:"))
    }
}

@Test func compileErrorIsReturned() throws {
    #expect(try runRegex("""
        local m, err = ngx.re.match("hello\\nworld", "(abc")
        return m, err
        """) == [nil, "pcre2_compile() failed: missing closing parenthesis in \"(abc\""])
    #expect(try runRegex("""
        local from, to, err = ngx.re.find("hello", "a(b")
        return from, to, err
        """) == [nil, nil, "pcre2_compile() failed: missing closing parenthesis in \"a(b\""])
    let r = try runRegex("return select(2, ngx.re.match('x', '[a-'))")
    #expect(r[0]?.hasPrefix("pcre2_compile() failed: missing terminating ] for character class in \"[a-\"") == true)
    #expect(try runRegex("return select(2, ngx.re.match('x', 'a)b'))")
        == ["pcre2_compile() failed: unmatched closing parenthesis in \"a)b\" at \")b\""])
}

@Test func compileErrorIsCutTo127Bytes() throws {
    let r = try runRegex("return select(2, ngx.re.match('x', '(' .. string.rep('a', 200)))")
    #expect(r[0]?.utf8.count == 127)
}

@Test func unmatchedGroupsAreFalse() throws {
    #expect(try runRegex("""
        local m = ngx.re.match("hello, world", "(world)|(hello)")
        return m[0], tostring(m[1]), m[2]
        """) == ["hello", "false", "hello"])
    #expect(try runRegex("""
        local m = ngx.re.match("hello", "(h)(x)?(e)?")
        return m[0], m[1], tostring(m[2]), m[3]
        """) == ["he", "h", "false", "e"])
    #expect(try runRegex("""
        local m = ngx.re.match("hello", "(h)(x)?")
        return #m, tostring(m[2])
        """) == ["2", "false"])
}

@Test func namedCaptures() throws {
    #expect(try runRegex("""
        local m = ngx.re.match("hello, 1234", "(?<first>[a-z]+), (?<second>[0-9]+)")
        return m[0], m[1], m[2], m.first, m.second
        """) == ["hello, 1234", "hello", "1234", "hello", "1234"])
    #expect(try runRegex("""
        local m = ngx.re.match("hello, world", "(?<first>[a-z]+), (?<second>[0-9]+)?")
        return m.first, tostring(m.second), tostring(m[2])
        """) == ["hello", "false", "false"])
}

@Test func duplicateNamesBecomeArrays() throws {
    #expect(try runRegex("""
        local m = ngx.re.match("hello, world",
            "(?<first>[a-z])(?<first>[a-z]+), (?<second>[a-z]+)", "D")
        return m[0], #m.first, m.first[1], m.first[2], m.second[1]
        """) == ["hello, world", "2", "h", "ello", "world"])
    #expect(try runRegex("""
        local m = ngx.re.match("hello, world",
            "(?<first>x)?(?<first>[a-z]+), (?<second>[a-z]+)", "D")
        return #m.first, m.first[1], tostring(m[1])
        """) == ["1", "hello", "false"])
    #expect(try runRegex("""
        local m, err = ngx.re.match("hello", "(?<a>h)(?<a>e)")
        return m, err
        """) == [
            nil,
            "pcre2_compile() failed: two named subpatterns have the same name "
                + "(PCRE2_DUPNAMES not set) in \"(?<a>h)(?<a>e)\" at \"e)\"",
        ])
}

@Test func resTableIsReused() throws {
    #expect(try runRegex("""
        local res = {}
        local m = ngx.re.match("hello, 1234", "([0-9])([0-9]+)", "", nil, res)
        return m == res, res[0], res[1], res[2]
        """) == ["true", "1234", "1", "234"])
}

@Test func ctxPosIsUpdated() throws {
    #expect(try runRegex("""
        local ctx = {}
        local m = ngx.re.match("1234, hello", "[0-9]+", "", ctx)
        local a = ctx.pos
        m = ngx.re.match("1234, 5678", "[0-9]+", "", ctx)
        return a, m[0], ctx.pos
        """) == ["5", "5678", "11"])
    #expect(try runRegex("""
        local ctx = { pos = 2 }
        local m = ngx.re.match("1234, hello", "[0-9]+", "", ctx)
        return m[0], ctx.pos
        """) == ["234", "5"])
    #expect(try runRegex("""
        local ctx = { pos = 5 }
        local m = ngx.re.match("1234, hello", "[0-9]+", "", ctx)
        return m, ctx.pos
        """) == [nil, "5"])
    #expect(try runRegex("""
        local ctx = { pos = 100 }
        return ngx.re.match("1234", "[0-9]+", "", ctx)
        """) == [nil, "pcre_exec() failed: -33"])
}

@Test func utf8Option() throws {
    #expect(try runRegex("return ngx.re.match('你好', '.', 'u')[0]") == ["你"])
    #expect(try runRegex("return #ngx.re.match('你好', '.')[0]") == ["1"])
    #expect(try runRegex("return ngx.re.match('你好', '.', 'U')[0]") == ["你"])
    #expect(try runRegex("return ngx.re.match('\\255abc', 'a', 'u')") == [nil, "pcre_exec() failed: -23"])
}

@Test func dfaModeFindsLongestMatch() throws {
    #expect(try runRegex("""
        local m = ngx.re.match("hello", "(h)(e)(l+)|he", "d")
        return m[0], m[1]
        """) == ["hell", nil])
    #expect(try runRegex("return ngx.re.match('hello', 'h|hel|he', 'd')[0]") == ["hel"])
    #expect(try runRegex("return ngx.re.match('hello', 'h|hel|he')[0]") == ["h"])
}

@Test func javascriptCompat() throws {
    #expect(try runRegex("return ngx.re.match('abc', '\\\\u0062', 'J')[0]") == ["b"])
    #expect(try runRegex("return select(2, ngx.re.match('abc', '\\\\u0062'))")[0]?
        .hasPrefix("pcre2_compile() failed: PCRE2 does not support") == true)
    #expect(try runRegex("return ngx.re.match('a', '(b)?\\\\1a', 'J')[0]") == ["a"])
}

@Test func binarySubjectsAndPatterns() throws {
    #expect(try runRegex("""
        local m = ngx.re.match("a\\0b\\0c", "b\\0(c)")
        return m[0] == "b\\0c", m[1]
        """) == ["true", "c"])
    #expect(try runRegex("return ngx.re.find('a\\0b', '\\0')") == ["2", "2"])
}

@Test func nonStringSubjectIsConverted() throws {
    #expect(try runRegex("return ngx.re.match(12345, '3')[0]") == ["3"])
    #expect(try runRegex("return ngx.re.match('12345', 3)[0]") == ["3"])
    do {
        _ = try runRegex("ngx.re.match('abc', nil)")
        Issue.record("expected an error")
    } catch LuaError.runtime(let msg) {
        #expect(msg.contains("bad argument #2 to 'match' (string expected, got nil)"))
    }
}

@Test func matchLimitGivesPcreError() throws {
    let vm = try makeTestVM()
    let regex = try vm.run("return require('resty.core.regex')")
    #expect(regex.count == 1)
    defer { RegexRuntime.current.matchLimit = 0 }
    RegexRuntime.current.matchLimit = 5
    #expect(try vm.run("""
        return ngx.re.match(string.rep("a", 25) .. "b", "^(a+)+$")
        """) == [nil, "pcre_exec() failed: -47"])
    RegexRuntime.current.matchLimit = 0
    #expect(try vm.run("return ngx.re.match('aab', '(a+)+b')[0]") == ["aab"])
}

@Test func jitOptionCompilesWithJIT() throws {
    #expect(try runRegex("""
        local regex = require "resty.core.regex"
        local c = regex.re_match_compile("a+b", "j", 4, 0)
        local d = regex.re_match_compile("a+b", "", 0, 0)
        return c.jit, d.jit
        """) == [RegexRuntime.current.jitAvailable ? "true" : "false", "false"])
    #expect(try runRegex("return ngx.re.match('hello, 1234', '([0-9]+)', 'j')[1]") == ["1234"])
}
