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

/// lua-resty-core t/base64.t
@Test func base64RestyCoreCases() throws {
    let vm = try base64VM()
    #expect(try vm.run("return ngx.decode_base64('My4xNA=='), ngx.decode_base64('dHJ1ZQ==')")
        == ["3.14", "true"])
    #expect(try vm.run("return #ngx.decode_base64(string.rep('a', 5460))") == ["4095"])
    #expect(try vm.run("return #ngx.decode_base64(string.rep('a', 5462))") == ["4096"])
    try vm.run("b64 = require 'ngx.base64'")
    #expect(try vm.run("""
        local out = {}
        for _, s in ipairs({'', 'Zg', 'Zm8', 'Zm9v', 'Zm9vYg', 'Zm9vYmE', 'Zm9vYmFy'}) do
            out[#out + 1] = b64.decode_base64url(s)
        end
        return table.concat(out, ',')
        """) == [",f,fo,foo,foob,fooba,foobar"])
    #expect(try vm.run("\(hexPrelude) return hex(b64.decode_base64url('_w')),"
        + " hex(b64.decode_base64url('YQBi'))") == ["ff", "610062"])
    #expect(try vm.run("return b64.decode_base64url('     ')") == [nil, "invalid input"])

    let text = "OpenResty is a full-fledged web platform that integrates the standard"
        + " Nginx core, LuaJIT, many carefully written Lua libraries, lots of high"
        + " quality 3rd-party Nginx modules, and most of their external dependencies."
        + " It is designed to help developers easily build scalable web applications,"
        + " web services, and dynamic web gateways."
    let wrapped = "T3BlblJlc3R5IGlzIGEgZnVsbC1mbGVkZ2VkIHdlYiBwbGF0Zm9ybSB0aGF0IGludGVncmF0ZXMg\\n"
        + "dGhlIHN0YW5kYXJkIE5naW54IGNvcmUsIEx1YUpJVCwgbWFueSBjYXJlZnVsbHkgd3JpdHRlbiBM\\n"
        + "dWEgbGlicmFyaWVzLCBsb3RzIG9mIGhpZ2ggcXVhbGl0eSAzcmQtcGFydHkgTmdpbnggbW9kdWxl\\n"
        + "cywgYW5kIG1vc3Qgb2YgdGhlaXIgZXh0ZXJuYWwgZGVwZW5kZW5jaWVzLiBJdCBpcyBkZXNpZ25l\\n"
        + "ZCB0byBoZWxwIGRldmVsb3BlcnMgZWFzaWx5IGJ1aWxkIHNjYWxhYmxlIHdlYiBhcHBsaWNhdGlv\\n"
        + "bnMsIHdlYiBzZXJ2aWNlcywgYW5kIGR5bmFtaWMgd2ViIGdhdGV3YXlzLg==\\n"
    #expect(try vm.run("return ngx.decode_base64mime('\(wrapped)')") == [text])
    let noisy = "!T3B#lblJl@c3R5IG\\rlzIGEgZnVs\\nbC1mbGVkZ2Vk&IHdlYiBwbG\\'F0Zm9ybSB0aGF0"
        + "[IGludGVncmF0ZXMg\\ndGhlIHN0YW]5kYXJkIE5naW54IGNvcmUsIEx1-YUpJVCwg_bWFueSBj"
        + "YXJlZnVsbHkgd3JpdHRlbiBM\\ndWEgbGlicmFyaWVzLCBsb3R$zIG9mIGhpZ2%ggcXVhbGl0eSAz"
        + "cmQ^tcGFydHkgTm&dpbnggbW9kdWxl\\ncywgYW5kIG1vc3Qgb2YgdGhlaXIgZXh0ZXJuYWwgZGVw"
        + "ZW5kZW5jaWVzLiBJdCBpcyBkZXNpZ25l\\nZCB0byBoZWxwIGRldmVsb3BlcnMgZWFzaWx5IGJ1aWxk"
        + "IHNjYWxhYmxlIHdlYiBhcHBsaWNhdGlv\\nbnMsIHdlYiBzZXJ2aWNlcywgYW5kIGR5bmFtaWMgd2Vi"
        + "IGdhdGV3YXlzLg==\\n"
    #expect(try vm.run("return ngx.decode_base64mime('\(noisy)')") == [text])
    #expect(try vm.run("return ngx.decode_base64mime('zaaLg==')") == [nil])
    #expect(try vm.run("return ngx.decode_base64mime('^&$')") == [""])
}
