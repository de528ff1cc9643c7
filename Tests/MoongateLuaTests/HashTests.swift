import Testing
@testable import MoongateLua

private func hashVM() throws -> LuaState {
    let vm = try makeTestVM()
    try vm.run("require 'resty.core.hash'")
    try vm.run(hexPrelude.replacingOccurrences(of: "local function hex", with: "function hex"))
    return vm
}

@Test func md5() throws {
    let vm = try hashVM()
    // lua-nginx-module t/007-md5.t and t/011-md5_bin.t
    #expect(try vm.run("return ngx.md5('hello')") == ["5d41402abc4b2a76b9719d911017c592"])
    #expect(try vm.run("return ngx.md5(nil)") == ["d41d8cd98f00b204e9800998ecf8427e"])
    #expect(try vm.run("return ngx.md5('')") == ["d41d8cd98f00b204e9800998ecf8427e"])
    #expect(try vm.run("return ngx.md5(45)") == ["6c8349cc7260ae62e3b1396831a8398f"])
    #expect(try vm.run("return ngx.md5('a\\0b')") == ["70350f6027bce3713f6b76473084309b"])
    #expect(try vm.run("return hex(ngx.md5_bin('hello'))")
        == ["5d41402abc4b2a76b9719d911017c592"])
    #expect(try vm.run("return #ngx.md5_bin(nil), hex(ngx.md5_bin(nil))")
        == ["16", "d41d8cd98f00b204e9800998ecf8427e"])
    #expect(try vm.run("return hex(ngx.md5_bin(45))")
        == ["6c8349cc7260ae62e3b1396831a8398f"])
}

@Test func sha1Bin() throws {
    let vm = try hashVM()
    #expect(try vm.run("return hex(ngx.sha1_bin('hello'))")
        == ["aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"])
    #expect(try vm.run("return hex(ngx.sha1_bin(nil))")
        == ["da39a3ee5e6b4b0d3255bfef95601890afd80709"])
    #expect(try vm.run("return hex(ngx.sha1_bin(''))")
        == ["da39a3ee5e6b4b0d3255bfef95601890afd80709"])
    #expect(try vm.run("return hex(ngx.sha1_bin('a\\0b'))")
        == ["4a3dec2d1f8245280855c42db0ee4239f917fdb8"])
}

@Test func hmacSha1() throws {
    let vm = try hashVM()
    #expect(try vm.run("return hex(ngx.hmac_sha1('secret', 'hello'))")
        == ["5112055c05f944f85755efc5cd8970e194e9f45b"])
    #expect(try vm.run("return hex(ngx.hmac_sha1('', ''))")
        == ["fbdb1d1b18aa6c08324b7d64b71fb76370690e1d"])
    #expect(try vm.run("return hex(ngx.hmac_sha1('k\\0y', 'a\\0b'))")
        == ["ed4b19640622aa4d2e137fd1aac8accaceb8c20e"])
    #expect(try vm.run("return select(2, pcall(ngx.hmac_sha1, nil, 'a'))")
        == ["bad argument #1 to 'hmac_sha1' (string expected, got nil)"])
    #expect(try vm.run("return select(2, pcall(ngx.hmac_sha1, 'k', {}))")
        == ["bad argument #2 to 'hmac_sha1' (string expected, got table)"])
}

@Test func crc32() throws {
    let vm = try hashVM()
    // lua-nginx-module t/042-crc32.t
    #expect(try vm.run("return ngx.crc32_short('hello, world')") == ["4289425978"])
    #expect(try vm.run("return ngx.crc32_long('hello, world')") == ["4289425978"])
    #expect(try vm.run("return ngx.crc32_short('')") == ["0"])
    #expect(try vm.run("return ngx.crc32_long(12)")
        == (try vm.run("return ngx.crc32_long('12')")))
    #expect(try vm.run("return ngx.crc32_long(nil), ngx.crc32_short(false)") == ["0", "0"])
    #expect(try vm.run("return ngx.crc32_short(true)")
        == (try vm.run("return ngx.crc32_short('true')")))
    #expect(try vm.run("return ngx.crc32_short('a\\0b')") == ["367556721"])
    #expect(try vm.run("return type(ngx.crc32_long('hello'))") == ["number"])
    #expect(try vm.run("return ngx.crc32_long(string.rep('hello', 1000))")
        == (try vm.run("return ngx.crc32_short(string.rep('hello', 1000))")))
}
