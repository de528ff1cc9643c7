import Testing
@testable import MoongateLua

private func uriVM() throws -> LuaState {
    let vm = try makeTestVM()
    try vm.run("require 'resty.core.uri'")
    return vm
}

@Test func escapeURIComponent() throws {
    let vm = try uriVM()
    // lua-nginx-module t/006-escape.t
    #expect(try vm.run("return ngx.escape_uri('a 你')") == ["a%20%E4%BD%A0"])
    #expect(try vm.run("return ngx.escape_uri('a+b')") == ["a%2Bb"])
    #expect(try vm.run(#"return ngx.escape_uri('"a/b={}:<>;&[]\\^')"#)
        == ["%22a%2Fb%3D%7B%7D%3A%3C%3E%3B%26%5B%5D%5C%5E"])
    #expect(try vm.run("return ngx.escape_uri(' ')") == ["%20"])
    #expect(try vm.run("return ngx.escape_uri('abc')") == ["abc"])
    #expect(try vm.run("return ngx.escape_uri('')") == [""])
    #expect(try vm.run("return ngx.escape_uri(nil)") == [""])
    #expect(try vm.run("return ngx.escape_uri(32)") == ["32"])
    // Unreserved characters and the ones ngx_lua keeps.
    #expect(try vm.run("return ngx.escape_uri('AZaz09-._~!*()\\'')")
        == ["AZaz09-._~!*()'"])
    #expect(try vm.run("return ngx.escape_uri('\\0\\r\\n\\127\\255')")
        == ["%00%0D%0A%7F%FF"])
    #expect(try vm.run("return ngx.escape_uri('https://www.google.com/?t=abc@ :')")
        == ["https%3A%2F%2Fwww.google.com%2F%3Ft%3Dabc%40%20%3A"])
}

@Test func escapeURITypes() throws {
    let vm = try uriVM()
    #expect(try vm.run("return ngx.escape_uri('https://www.google.com/?t=abc@ :', 0)")
        == ["https://www.google.com/%3Ft=abc@%20:"])
    #expect(try vm.run("return ngx.escape_uri('a b#c%d?e+f', 0)")
        == ["a%20b%23c%25d%3Fe+f"])
    #expect(try vm.run("return ngx.escape_uri('a b#c%d?e+f&', 1)")
        == ["a%20b%23c%25d%3Fe%2Bf&"])
    #expect(try vm.run("return ngx.escape_uri('a b+c', 2)") == ["a%20b%2Bc"])
    #expect(try vm.run("return ngx.escape_uri(\"<a href='x'>#</a>\", 3)")
        == ["<a%20href=%27x%27>%23</a>"])
    #expect(try vm.run("return ngx.escape_uri('a \"b\\'#', 4)") == ["a%20%22b%27#"])
    #expect(try vm.run("return ngx.escape_uri('a b%c\\255', 5) == 'a%20b%25c\\255'")
        == ["true"])
    #expect(try vm.run("return ngx.escape_uri('a b%c/?', 6)") == ["a%20b%25c/?"])
}

@Test func escapeURIBadType() throws {
    let vm = try uriVM()
    #expect(try vm.run("return select(2, pcall(ngx.escape_uri, 'a', 'x'))")
        == ["\"type\" is not a number"])
    #expect(try vm.run("return select(2, pcall(ngx.escape_uri, 'a', 7))")
        == ["\"type\" 7 out of range"])
    #expect(try vm.run("return select(2, pcall(ngx.escape_uri, 'a', -1))")
        == ["\"type\" -1 out of range"])
}

@Test func unescapeURI() throws {
    let vm = try uriVM()
    #expect(try vm.run("return ngx.unescape_uri('a%20%e4%bd%a0')") == ["a 你"])
    #expect(try vm.run("return ngx.unescape_uri('a+b%2Bc')") == ["a b+c"])
    #expect(try vm.run("return ngx.unescape_uri(nil)") == [""])
    #expect(try vm.run("return ngx.unescape_uri(32)") == ["32"])
    #expect(try vm.run("return ngx.unescape_uri('')") == [""])
    // Bad sequences stay as they are.
    #expect(try vm.run("return ngx.unescape_uri('%')") == ["%"])
    #expect(try vm.run("return ngx.unescape_uri('%2')") == ["%2"])
    #expect(try vm.run("return ngx.unescape_uri('%zz%4')") == ["%zz%4"])
    #expect(try vm.run("return ngx.unescape_uri('100%%41')") == ["100%A"])
    #expect(try vm.run("return ngx.unescape_uri('a%00b') == 'a\\0b'") == ["true"])
}

@Test func escapeRoundTripsBinary() throws {
    let vm = try uriVM()
    let r = try vm.run("""
        local t = {}
        for i = 0, 255 do t[#t + 1] = string.char(i) end
        local s = table.concat(t) .. string.rep('x', 5000)
        return ngx.unescape_uri(ngx.escape_uri(s)) == s
        """)
    #expect(r == ["true"])
}
