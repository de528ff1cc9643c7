import Testing
@testable import MoongateLua

// Cases from lua-nginx-module t/120-re-find.t and t/035-gmatch.t.

@Test func findReturnsByteRange() throws {
    #expect(try runRegex("return ngx.re.find('hello, 1234', '([0-9]+)')") == ["8", "11"])
    #expect(try runRegex("return ngx.re.find('hello, 1234', '([0-9]+)', 'jo')") == ["8", "11"])
    #expect(try runRegex("return ngx.re.find('hello, 1234', '[0-9]+', '', nil, 0)") == ["8", "11"])
    #expect(try runRegex("return ngx.re.find('hello', '')") == ["1", "0"])
}

@Test func findNoMatchIsSingleNil() throws {
    #expect(try runRegex("return select('#', ngx.re.find('hello', '[0-9]'))") == ["1"])
    #expect(try runRegex("return select('#', ngx.re.match('hello', '[0-9]'))") == ["1"])
}

@Test func findNthCapture() throws {
    #expect(try runRegex("return ngx.re.find('hello, 1234', '([0-9])([0-9]+)', '', nil, 1)")
        == ["8", "8"])
    #expect(try runRegex("return ngx.re.find('hello, 1234', '([0-9])([0-9]+)', '', nil, 2)")
        == ["9", "11"])
    #expect(try runRegex("return ngx.re.find('hello, 1234', '([0-9])([0-9]+)', '', nil, 3)")
        == [nil, nil, "nth out of bound"])
    #expect(try runRegex("return ngx.re.find('hello, 1234', '([0-9])([0-9]+)', '', nil, -1)")
        == ["8", "11"])
    // an unmatched group is nil, nil without an error
    #expect(try runRegex("return ngx.re.find('hello, world', '(world)|(hello)', '', nil, 1)")
        == [nil, nil])
    #expect(try runRegex("return ngx.re.find('hello, world', '(world)|(hello)', '', nil, 2)")
        == ["1", "5"])
}

@Test func findUpdatesCtx() throws {
    #expect(try runRegex("""
        local ctx = {}
        local from, to = ngx.re.find("1234, hello", "[0-9]+", "", ctx)
        local a = ctx.pos
        from, to = ngx.re.find("1234, 5678", "[0-9]+", "", ctx)
        return a, from, to, ctx.pos
        """) == ["5", "7", "10", "11"])
}

@Test func gmatchIteratesMatches() throws {
    #expect(try runRegex("""
        local out = {}
        for m in ngx.re.gmatch("hello, world", "[a-z]+") do
            out[#out + 1] = m[0]
        end
        return table.concat(out, "|")
        """) == ["hello|world"])
    #expect(try runRegex("""
        local out = {}
        for m in ngx.re.gmatch("hello, world", "([a-z])[a-z]+", "jo") do
            out[#out + 1] = m[0] .. "/" .. m[1]
        end
        return table.concat(out, "|")
        """) == ["hello/h|world/w"])
}

@Test func gmatchNamedAndUnmatchedCaptures() throws {
    #expect(try runRegex("""
        local out = {}
        for m in ngx.re.gmatch("a1b", "(?<l>[a-z])|(?<d>[0-9])") do
            out[#out + 1] = tostring(m.l) .. "," .. tostring(m.d)
        end
        return table.concat(out, "|")
        """) == ["a,false|false,1|b,false"])
}

@Test func gmatchEmptyMatchesAdvanceOneCharacter() throws {
    #expect(try runRegex("""
        local n = 0
        for m in ngx.re.gmatch("hello", "") do
            assert(m[0] == "")
            n = n + 1
        end
        return n
        """) == ["6"])
    #expect(try runRegex("""
        local out = {}
        for m in ngx.re.gmatch("hello, world", "[a-z]*") do
            out[#out + 1] = "[" .. m[0] .. "]"
        end
        return table.concat(out)
        """) == ["[hello][][][world][]"])
    // with "u" the step is one UTF-8 character, not one byte
    #expect(try runRegex("""
        local out = {}
        for m in ngx.re.gmatch("你好", "", "u") do
            out[#out + 1] = ngx.re.find("你好", "", "u") and "e" or "?"
        end
        return #out
        """) == ["3"])
    #expect(try runRegex("""
        local out = {}
        for m in ngx.re.gmatch("你好", "|.", "u") do
            out[#out + 1] = "[" .. m[0] .. "]"
        end
        return table.concat(out)
        """) == ["[][][]"])
}

@Test func gmatchIteratorIsExhausted() throws {
    #expect(try runRegex("""
        local it = ngx.re.gmatch("ab", "[a-z]")
        local a, b, c, d = it(), it(), it(), it()
        return a[0], b[0], c, d
        """) == ["a", "b", nil, nil])
}

@Test func gmatchErrors() throws {
    #expect(try runRegex("return ngx.re.gmatch('hello', '(')")
        == [nil, "pcre2_compile() failed: missing closing parenthesis in \"(\""])
    #expect(try runRegex("""
        local it = ngx.re.gmatch("\\255abc", "a", "u")
        return it()
        """) == [nil, "pcre_exec() failed: -23"])
    do {
        _ = try runRegex("ngx.re.gmatch('hello', 'h', 'k')")
        Issue.record("expected an error")
    } catch LuaError.runtime(let msg) {
        #expect(msg.contains("unknown flag \"k\" (flags \"k\")"))
    }
}
