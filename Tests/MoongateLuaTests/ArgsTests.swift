import Testing
@testable import MoongateLua

private func argsVM() throws -> LuaState {
    let vm = try makeTestVM()
    try vm.run("require 'resty.core.args'")
    // Deterministic dump of a decoded table: sorted keys, lists joined by ','.
    try vm.run("""
        function dump(t)
            local keys = {}
            for k in pairs(t) do keys[#keys + 1] = k end
            table.sort(keys)
            local out = {}
            for _, k in ipairs(keys) do
                local v = t[k]
                if type(v) == 'table' then
                    local items = {}
                    for i, x in ipairs(v) do items[i] = tostring(x) end
                    v = '{' .. table.concat(items, ',') .. '}'
                end
                out[#out + 1] = k .. ':' .. tostring(v)
            end
            return table.concat(out, ' ')
        end
        """)
    return vm
}

@Test func encodeArgs() throws {
    let vm = try argsVM()
    // lua-nginx-module t/030-uri-args.t
    #expect(try vm.run("return ngx.encode_args({a = 3})") == ["a=3"])
    #expect(try vm.run("return ngx.encode_args({['a b'] = 'c d'})") == ["a%20b=c%20d"])
    #expect(try vm.run("return ngx.encode_args({a = true})") == ["a"])
    #expect(try vm.run("return ngx.encode_args({a = false})") == [""])
    #expect(try vm.run("return ngx.encode_args({})") == [""])
    #expect(try vm.run("return ngx.encode_args({a = {1, 2, 'x y'}})") == ["a=1&a=2&a=x%20y"])
    #expect(try vm.run("return ngx.encode_args({a = {true, false, 'b'}})") == ["a&a=b"])
    #expect(try vm.run("return ngx.encode_args({a = {}})") == [""])
    #expect(try vm.run("return ngx.encode_args({['='] = '&'})") == ["%3D=%26"])
    #expect(try vm.run("return ngx.encode_args({a = 3.5})") == ["a=3.5"])
    #expect(try vm.run("return ngx.encode_args({a = '\\0'})") == ["a=%00"])
    // Several keys come in table iteration order.
    let r = try vm.run("""
        local s = ngx.encode_args({foo = 3, bar = 'x', baz = true})
        local seen = {}
        for part in s:gmatch('[^&]+') do seen[#seen + 1] = part end
        table.sort(seen)
        return table.concat(seen, '&'), #s
        """)
    #expect(r == ["bar=x&baz&foo=3", "15"])
}

@Test func encodeArgsErrors() throws {
    let vm = try argsVM()
    #expect(try vm.run("return select(2, pcall(ngx.encode_args, 'a'))")
        == ["bad argument #1 to 'encode_args' (table expected, got string)"])
    #expect(try vm.run("return select(2, pcall(ngx.encode_args, {1, 2}))")
        == ["attempt to use a non-string key in the \"args\" option table"])
    #expect(try vm.run("return select(2, pcall(ngx.encode_args, {a = print}))")
        == ["attempt to use function as query arg value"])
    #expect(try vm.run("return select(2, pcall(ngx.encode_args, {a = {{}}}))")
        == ["attempt to use table as query arg value"])
}

@Test func decodeArgs() throws {
    let vm = try argsVM()
    #expect(try vm.run("return dump(ngx.decode_args('a=bar&b=foo'))") == ["a:bar b:foo"])
    #expect(try vm.run("return dump(ngx.decode_args('a=bar&a=foo&a=baz'))")
        == ["a:{bar,foo,baz}"])
    #expect(try vm.run("return dump(ngx.decode_args('a&b=&c'))") == ["a:true b: c:true"])
    #expect(try vm.run("return dump(ngx.decode_args('a=1&a'))") == ["a:{1,true}"])
    #expect(try vm.run("return dump(ngx.decode_args('a%20b=c+d%3D&=x&&e'))")
        == ["a b:c d= e:true"])
    #expect(try vm.run("return dump(ngx.decode_args('a=b=c'))") == ["a:b=c"])
    #expect(try vm.run("return dump(ngx.decode_args(''))") == [""])
    #expect(try vm.run("return dump(ngx.decode_args('a='))") == ["a:"])
    #expect(try vm.run("return dump(ngx.decode_args('='))") == [""])
    #expect(try vm.run("return ngx.decode_args('k=a%00b').k == 'a\\0b'") == ["true"])
    #expect(try vm.run("return select(2, pcall(ngx.decode_args, nil))")
        == ["bad argument #1 to 'decode_args' (string expected, got nil)"])
    #expect(try vm.run("return select(2, pcall(ngx.decode_args, 'a', {}))")
        == ["bad argument #2 to 'decode_args' (number expected, got table)"])
}

@Test func decodeArgsLimit() throws {
    let vm = try argsVM()
    #expect(try vm.run("""
        local t, err = ngx.decode_args('a=1&b=2&c=3', 2)
        return dump(t), err
        """) == ["a:1 b:2", "truncated"])
    #expect(try vm.run("""
        local t, err = ngx.decode_args('a=1&b=2&c=3', 3)
        return dump(t), err
        """) == ["a:1 b:2 c:3", nil])
    let many = (1...150).map { "k\($0)=\($0)" }.joined(separator: "&")
    #expect(try vm.run("""
        local n, t, err = 0, ngx.decode_args('\(many)')
        for _ in pairs(t) do n = n + 1 end
        local m, u = 0, ngx.decode_args('\(many)', 0)
        for _ in pairs(u) do m = m + 1 end
        return n, err, m
        """) == ["100", "truncated", "150"])
}

@Test func quoteSqlStr() throws {
    let vm = try argsVM()
    #expect(try vm.run("return ngx.quote_sql_str('hello')") == ["'hello'"])
    #expect(try vm.run("return ngx.quote_sql_str('')") == ["''"])
    #expect(try vm.run("return ngx.quote_sql_str(\"a'b\\\"c\\\\d\")")
        == ["'a\\'b\\\"c\\\\d'"])
    #expect(try vm.run("return ngx.quote_sql_str('\\0\\b\\n\\r\\t\\26')")
        == ["'\\0\\b\\n\\r\\t\\Z'"])
    #expect(try vm.run("return ngx.quote_sql_str('你好')") == ["'你好'"])
    #expect(try vm.run("return ngx.quote_sql_str(12)") == ["'12'"])
    #expect(try vm.run("return select(2, pcall(ngx.quote_sql_str, nil))")
        == ["bad argument #1 to 'quote_sql_str' (string expected, got nil)"])
}

/// lua-nginx-module t/030-uri-args.t (encode_args / decode_args blocks).
@Test func uriArgsPortedCases() throws {
    let vm = try argsVM()
    // TEST 51-54: pair order follows the table, so check the parts and length.
    try vm.run("""
        function parts(s)
            local seen = {}
            for part in s:gmatch('[^&]+') do seen[#seen + 1] = part end
            table.sort(seen)
            return table.concat(seen, ' '), #s
        end
        """)
    #expect(try vm.run("return parts(ngx.encode_args({a = {32, true}, foo = 3, bar = 5}))")
        == ["a a=32 bar=5 foo=3", "18"])
    #expect(try vm.run("return parts(ngx.encode_args({a = {32, false}, foo = 3, bar = 5}))")
        == ["a=32 bar=5 foo=3", "16"])
    #expect(try vm.run(
        "return parts(ngx.encode_args({['a b'] = {32, false}, foo = 3, bar = 5}))")
        == ["a%20b=32 bar=5 foo=3", "20"])
    #expect(try vm.run(
        "return parts(ngx.encode_args({['a b'] = {32, true}, foo = 3, bar = 5}))")
        == ["a%20b a%20b=32 bar=5 foo=3", "26"])
    // TEST 31 and 33.
    #expect(try vm.run("""
        return select(2, pcall(ngx.encode_args, {bar = coroutine.create(print)}))
        """) == ["attempt to use thread as query arg value"])
    #expect(try vm.run("return select(2, pcall(ngx.encode_args, true))")
        == ["bad argument #1 to 'encode_args' (table expected, got boolean)"])
    // TEST 41-48.
    #expect(try vm.run("return dump(ngx.decode_args('a=bar&b=foo&a=baz'))")
        == ["a:{bar,baz} b:foo"])
    #expect(try vm.run("local t, err = ngx.decode_args('') return #t, err") == ["0", nil])
    #expect(try vm.run("return dump(ngx.decode_args('a=&b='))") == ["a: b:"])
    #expect(try vm.run("local t, e = ngx.decode_args('a=bar&b=foo', 1) return dump(t), e")
        == ["a:bar", "truncated"])
    #expect(try vm.run("local t, e = ngx.decode_args('a=bar&b=foo', -1) return dump(t), e")
        == ["a:bar b:foo", nil])
    #expect(try vm.run("""
        local s = 'f+f=bar&B=foo'
        local t = ngx.decode_args(s)
        return dump(t), s
        """) == ["B:foo f f:bar", "f+f=bar&B=foo"])
    // TEST 34-36 (same parser as get_uri_args).
    #expect(try vm.run("local t, e = ngx.decode_args('foo=3&bar=4&baz=2', 2) return dump(t), e")
        == ["bar:4 foo:3", "truncated"])
    #expect(try vm.run("local t, e = ngx.decode_args('foo=3&bar&baz=2', 2) return dump(t), e")
        == ["bar:true foo:3", "truncated"])
    #expect(try vm.run("local t, e = ngx.decode_args('foo=3&=hello&=world', 2) return dump(t), e")
        == ["foo:3", "truncated"])
    // TEST 49.
    #expect(try vm.run("""
        return dump(ngx.decode_args('method=zadd&key=User%3A1227713%3Alikes%3Atwitters'
            .. '&arg1=1356514698&arg2=780984852', 0))
        """) == ["arg1:1356514698 arg2:780984852 key:User:1227713:likes:twitters method:zadd"])
}
