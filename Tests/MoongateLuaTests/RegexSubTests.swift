import Testing
@testable import MoongateLua

// Cases from lua-nginx-module t/036-sub.t and t/037-gsub.t.

@Test func subReplacesFirstMatch() throws {
    #expect(try runRegex("return ngx.re.sub('hello, world', '[a-z]+', 'howdy')")
        == ["howdy, world", "1"])
    #expect(try runRegex("return ngx.re.sub('hello, world', '[0-9]+', 'howdy')")
        == ["hello, world", "0"])
    #expect(try runRegex("return ngx.re.sub('hello, world', 'world', '', 'o')")
        == ["hello, ", "1"])
}

@Test func subTemplateVariables() throws {
    #expect(try runRegex("""
        return ngx.re.sub("a b c d", "(b) (c)", "[$0] [$1] [$2] [$3] [$134]")
        """) == ["a [b c] [b] [c] [] [] d", "1"])
    #expect(try runRegex("""
        return ngx.re.sub("a b c d", "(b) (c)", "[$0] [$1] [${2}] [$3] [${134}]", "o")
        """) == ["a [b c] [b] [c] [] [] d", "1"])
    #expect(try runRegex("""
        return ngx.re.sub("a b c d", "(b) (c)", "[$0] [$1] [${2}$2] [$$2] [$$]")
        """) == ["a [b c] [b] [cc] [$2] [$] d", "1"])
    #expect(try runRegex("""
        return ngx.re.sub("b c", "(b)|(x)", "[$2][$1]$1x$12")
        """) == ["[][b]bx c", "1"])
}

@Test func subBadTemplates() throws {
    let msg = "failed to compile the replacement template"
    for tpl in ["[$hello]", "[${hello}]", "[${2]", "[$", "[${", "[$-]", "[${}]"] {
        #expect(try runRegex("""
            return ngx.re.sub("a b c d", "(b) (c)", "\(tpl)")
            """) == [nil, nil, msg], "template \(tpl)")
    }
    #expect(try runRegex("""
        local regex = require "resty.core.regex"
        return select(2, regex.compile_template("[$hello]")),
               select(2, regex.compile_template("${2 }")),
               select(2, regex.compile_template("a$"))
        """) == [
            "attempt to use named capturing variable \"hello\" (named captures not supported yet)",
            "the closing bracket in \"2\" variable is missing",
            "lua script: invalid capturing variable name found in \"a$\"",
        ])
}

@Test func subFunctionReplacement() throws {
    #expect(try runRegex("""
        return ngx.re.sub("hello, world", "[a-z]+", function(m)
            return "[" .. m[0] .. "]"
        end)
        """) == ["[hello], world", "1"])
    #expect(try runRegex("""
        return ngx.re.gsub("hello, world", "([a-z])[a-z]+", function(m)
            return "[" .. m[0] .. "," .. m[1] .. "]"
        end)
        """) == ["[hello,h], [world,w]", "2"])
    #expect(try runRegex("return ngx.re.gsub('abcb', 'b', function() return 42 end)")
        == ["a42c42", "2"])
    // the callback may itself use ngx.re with other regexes
    #expect(try runRegex("""
        return ngx.re.gsub("x1 y22 z333", "([a-z])([0-9]+)", function(m)
            local n = 0
            for d in ngx.re.gmatch(m[2], "[0-9]") do n = n + 1 end
            return m[1] .. n .. (ngx.re.gsub(m[2], "(\\\\d)", "$1$1"))
        end)
        """) == ["x111 y22222 z3333333", "3"])
    #expect(try runRegex("""
        return ngx.re.gsub("a-b", "(?<w>[a-z])", function(m) return m.w:upper() end, "jo")
        """) == ["A-B", "2"])
}

@Test func gsubReplacesAllMatches() throws {
    #expect(try runRegex("return ngx.re.gsub('hello, world', '([a-z])[a-z]+', '[$0,$1]')")
        == ["[hello,h], [world,w]", "2"])
    #expect(try runRegex("return ngx.re.gsub('hello, world', '[0-9]', 'x')")
        == ["hello, world", "0"])
    #expect(try runRegex("return ngx.re.gsub('hello, world', 'l', '', 'jo')")
        == ["heo, word", "3"])
    #expect(try runRegex("return ngx.re.gsub('hello', '', '-')") == ["-h-e-l-l-o-", "6"])
    #expect(try runRegex("return ngx.re.gsub('你好', '', '-', 'u')") == ["-你-好-", "3"])
    #expect(try runRegex("return ngx.re.gsub('hello, world', '[a-z]*', 'x')")
        == ["xx,x xx", "5"])
    #expect(try runRegex("return ngx.re.gsub('a\\0b\\0', '\\0', '$$')") == ["a$b$", "2"])
}

@Test func gsubGrowsBeyondTheSharedBuffer() throws {
    #expect(try runRegex("""
        local s = string.rep("ab", 5000)
        local r, n = ngx.re.gsub(s, "b", "xyz")
        local f, m = ngx.re.gsub(s, "a", function() return "12345" end)
        return #r, n, r == string.rep("axyz", 5000), #f, m
        """) == ["20000", "5000", "true", "30000", "5000"])
}

@Test func subErrors() throws {
    #expect(try runRegex("return ngx.re.sub('hello', '(', 'x')")
        == [nil, nil, "pcre2_compile() failed: missing closing parenthesis in \"(\""])
    #expect(try runRegex("return ngx.re.gsub('\\255abc', 'a', 'x', 'u')")
        == [nil, nil, "pcre_exec() failed: -23"])
    #expect(try runRegex("return ngx.re.sub('hello', 'l', 5)") == ["he5lo", "1"])
}
