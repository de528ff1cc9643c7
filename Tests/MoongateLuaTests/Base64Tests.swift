import Testing
@testable import MoongateLua

/// Lua helper: hex of a (binary) string, so results survive the String bridge.
let hexPrelude = """
    local function hex(s)
        if s == nil then return nil end
        return (s:gsub(".", function(c)
            return string.format("%02x", c:byte())
        end))
    end
    """

private func base64VM() throws -> LuaState {
    let vm = try makeTestVM()
    try vm.run("require 'resty.core.base64'")
    return vm
}

@Test func encodeBase64Basics() throws {
    let vm = try base64VM()
    // lua-nginx-module t/013-base64.t
    #expect(try vm.run("return ngx.encode_base64('hello')") == ["aGVsbG8="])
    #expect(try vm.run("return 'left' .. ngx.encode_base64(nil) .. 'right'")
        == ["leftright"])
    #expect(try vm.run("return ngx.encode_base64('')") == [""])
    #expect(try vm.run("return ngx.encode_base64(32)") == ["MzI="])
    #expect(try vm.run("return ngx.encode_base64(false)") == [""])
    #expect(try vm.run("return ngx.encode_base64('a'), ngx.encode_base64('ab'),"
        + " ngx.encode_base64('abc')") == ["YQ==", "YWI=", "YWJj"])
    #expect(try vm.run("return ngx.encode_base64('\\0\\255\\254\\1')") == ["AP/+AQ=="])
}

@Test func encodeBase64NoPadding() throws {
    let vm = try base64VM()
    #expect(try vm.run("return ngx.encode_base64('hello', true)") == ["aGVsbG8"])
    #expect(try vm.run("return ngx.encode_base64('a', true)") == ["YQ"])
    #expect(try vm.run("return ngx.encode_base64('ab', true)") == ["YWI"])
    #expect(try vm.run("return ngx.encode_base64('abc', true)") == ["YWJj"])
    #expect(try vm.run("return ngx.encode_base64('hello', false)") == ["aGVsbG8="])
    #expect(try vm.run("return select(2, pcall(ngx.encode_base64, 'a', 1))")
        == ["bad no_padding: boolean expected, got number"])
}

@Test func encodeBase64LargeInput() throws {
    let vm = try base64VM()
    // Larger than resty.core.base's 4096-byte scratch buffer.
    let r = try vm.run("""
        local s = string.rep('\\0\\1\\2', 3000)
        local e = ngx.encode_base64(s)
        return #e, ngx.decode_base64(e) == s
        """)
    #expect(r == ["12000", "true"])
}

@Test func decodeBase64() throws {
    let vm = try base64VM()
    #expect(try vm.run("return ngx.decode_base64('aGVsbG8=')") == ["hello"])
    #expect(try vm.run("return ngx.decode_base64('aGVsbG8')") == ["hello"])
    #expect(try vm.run("return ngx.decode_base64('')") == [""])
    #expect(try vm.run("\(hexPrelude) return hex(ngx.decode_base64('AP/+AQ=='))")
        == ["00fffe01"])
    // nginx stops at the first '='.
    #expect(try vm.run("return ngx.decode_base64('aGVsbG8=!!!')") == ["hello"])
    // Invalid characters and impossible lengths give nil.
    #expect(try vm.run("return ngx.decode_base64('aGVs bG8=')") == [nil])
    #expect(try vm.run("return ngx.decode_base64('a')") == [nil])
    #expect(try vm.run("return ngx.decode_base64('aGVsb')") == [nil])
    #expect(try vm.run("return ngx.decode_base64('-_8')") == [nil])
    #expect(try vm.run("return select(2, pcall(ngx.decode_base64, nil))")
        == ["string argument only"])
    #expect(try vm.run("return select(2, pcall(ngx.decode_base64, 12))")
        == ["string argument only"])
}

@Test func decodeBase64Mime() throws {
    let vm = try base64VM()
    #expect(try vm.run("return ngx.decode_base64mime('aGVs\\r\\nbG8=')") == ["hello"])
    #expect(try vm.run("return ngx.decode_base64mime('a G V s b G 8')") == ["hello"])
    #expect(try vm.run("return ngx.decode_base64mime('*aGVsbG8=*')") == ["hello"])
    #expect(try vm.run("return ngx.decode_base64mime('')") == [""])
    #expect(try vm.run("return ngx.decode_base64mime('a\\n')") == [nil])
    #expect(try vm.run("return select(2, pcall(ngx.decode_base64mime, {}))")
        == ["string argument only"])
}

@Test func base64URLModule() throws {
    let vm = try makeTestVM()
    try vm.run("b64 = require 'ngx.base64'")
    #expect(try vm.run("return b64.encode_base64url('\\251\\255\\254')") == ["-__-"])
    #expect(try vm.run("return b64.encode_base64url('hello')") == ["aGVsbG8"])
    #expect(try vm.run("return b64.encode_base64url('')") == [""])
    #expect(try vm.run("\(hexPrelude) return hex(b64.decode_base64url('-__-'))")
        == ["fbfffe"])
    #expect(try vm.run("return b64.decode_base64url('aGVsbG8=')") == ["hello"])
    #expect(try vm.run("return b64.decode_base64url('aGVsbG8')") == ["hello"])
    #expect(try vm.run("return b64.decode_base64url('+/8=')") == [nil, "invalid input"])
    #expect(try vm.run("return b64.decode_base64url(nil)")
        == [nil, "must provide a string"])
    #expect(try vm.run("return b64.encode_base64url(1)")
        == [nil, "must provide a string"])
}
