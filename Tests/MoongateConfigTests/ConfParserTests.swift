import Foundation
import Testing
@testable import MoongateConfig

private func parse(_ text: String, file: String = "/conf/nginx.conf") throws -> [ConfDirective] {
    var p = ConfParser(confDirectory: "/conf")
    return try p.parse(text: text, file: file)
}

private func parseError(_ text: String) -> ConfigError? {
    do {
        _ = try parse(text)
        return nil
    } catch let e as ConfigError {
        return e
    } catch {
        return nil
    }
}

@Test func simpleDirectivesAndLines() throws {
    let d = try parse("a 1;\n\nb  x  y;\n")
    #expect(d.count == 2)
    #expect(d[0].name == "a" && d[0].values == ["1"])
    #expect(d[1].location.line == 3)
    #expect(d[1].values == ["x", "y"])
}

@Test func quotingAndEscapes() throws {
    let d = try parse(#"a "x y" 'q\'s' "t\tn\n" "back\\slash" "keep\d" un\"q;"#)
    #expect(d[0].values == ["x y", "q's", "t\tn\n", "back\\slash", "keep\\d", "un\"q"])
    #expect(d[0].args[0].quoted)
    #expect(!d[0].args[5].quoted)
}

@Test func commentsAreSkipped() throws {
    let d = try parse("# top\na 1; # trailing\n# b 2;\nc \"#not\";\n")
    #expect(d.map(\.name) == ["a", "c"])
    #expect(d[1].values == ["#not"])
}

@Test func variableBracesStayInTheWord() throws {
    let d = try parse("set $a ${b}c;\n")
    #expect(d[0].values == ["$a", "${b}c"])
}

@Test func blocksNest() throws {
    let d = try parse("http {\n  server {\n    location / { return 200; }\n  }\n}\n")
    let loc = d[0].block![0].block![0]
    #expect(loc.name == "location" && loc.values == ["/"])
    #expect(loc.location.line == 3)
    #expect(loc.block![0].values == ["200"])
}

@Test func luaBlockWithBracesInStringsAndComments() throws {
    let src = """
        content_by_lua_block {
            local t = { a = "}", b = '{' }
            -- a comment with } and {
            local s = [[ } ]] .. [==[ ]] } ]==]
            --[[ long
              comment } ]]
            ngx.say(t.a)
        }
        after 1;
        """
    let d = try parse(src)
    #expect(d.count == 2)
    #expect(d[0].luaSource?.contains("ngx.say(t.a)") == true)
    #expect(d[1].name == "after" && d[1].location.line == 9)
}

@Test func unterminatedLuaBlock() {
    let e = parseError("content_by_lua_block {\n  local s = \"}\"\n")
    #expect(e != nil)
}

@Test func errorsCarryFileAndLine() {
    var e = parseError("a 1;\n}\n")
    #expect(e?.description == "unexpected \"}\" in /conf/nginx.conf:2")
    e = parseError("http {\n a 1;\n")
    #expect(e?.description == "unexpected end of file, expecting \"}\" in /conf/nginx.conf:3")
    e = parseError("a 1\n")
    #expect(e?.description.hasPrefix("unexpected end of file, expecting \";\" or \"}\"") == true)
    e = parseError("a \"x\"y;\n")
    #expect(e?.description == "unexpected \"y\" in /conf/nginx.conf:1")
    e = parseError(";\n")
    #expect(e?.description == "unexpected \";\" in /conf/nginx.conf:1")
}

@Test func includeWithGlobsAndRelativePaths() throws {
    let dir = NSTemporaryDirectory() + "mgconf-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    try FileManager.default.createDirectory(atPath: dir + "/conf.d", withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try "b 2;\n".write(toFile: dir + "/conf.d/b.conf", atomically: true, encoding: .utf8)
    try "a 1;\n\nbad;\n".write(toFile: dir + "/conf.d/a.conf", atomically: true, encoding: .utf8)
    try "skip 0;\n".write(toFile: dir + "/conf.d/c.txt", atomically: true, encoding: .utf8)
    var p = ConfParser(confDirectory: dir)
    let d = try p.parse(text: "include conf.d/*.conf;\nlast 3;\n", file: dir + "/nginx.conf")
    #expect(d.map(\.name) == ["a", "bad", "b", "last"])
    #expect(d[1].location.file == dir + "/conf.d/a.conf")
    #expect(d[1].location.line == 3)
    // A glob that matches nothing is not an error; a missing plain file is.
    #expect(try p.parse(text: "include none/*.conf;\n", file: dir + "/nginx.conf").isEmpty)
    do {
        _ = try p.parse(text: "include none.conf;\n", file: dir + "/nginx.conf")
        Issue.record("expected an error")
    } catch let e as ConfigError {
        #expect(e.description == "open() \"\(dir)/none.conf\" failed (2: No such file or directory) in \(dir)/nginx.conf:1")
    }
}

@Test func sizeUnits() {
    #expect(ConfUnits.size("512") == 512)
    #expect(ConfUnits.size("8k") == 8192)
    #expect(ConfUnits.size("8K") == 8192)
    #expect(ConfUnits.size("30m") == 30 * 1024 * 1024)
    #expect(ConfUnits.size("1g") == 1 << 30)
    #expect(ConfUnits.size("12q") == nil)
    #expect(ConfUnits.size("") == nil)
    #expect(ConfUnits.size("k") == nil)
    #expect(ConfUnits.size("-1") == nil)
}

@Test func timeUnits() {
    #expect(ConfUnits.milliseconds("60") == 60_000)
    #expect(ConfUnits.milliseconds("500ms") == 500)
    #expect(ConfUnits.milliseconds("1h 30m") == 5_400_000)
    #expect(ConfUnits.milliseconds("1m30s") == 90_000)
    #expect(ConfUnits.milliseconds("2d") == 172_800_000)
    #expect(ConfUnits.milliseconds("1m30") == 90_000)
    #expect(ConfUnits.milliseconds("1s1m") == nil)
    #expect(ConfUnits.milliseconds("30 1m") == nil)
    #expect(ConfUnits.milliseconds("1y") == nil)
    #expect(ConfUnits.milliseconds("1y", allowYearsMonths: true) == 365 * 86_400_000)
    #expect(ConfUnits.milliseconds("5x") == nil)
    #expect(ConfUnits.milliseconds("") == nil)
    #expect(ConfUnits.milliseconds("s") == nil)
}

@Test func directivesAreLocatedWhereTheyEnd() throws {
    let d = try parse("log_format x\n    'a'\n    'b';\nserver\n{\n}\ncontent_by_lua_block {\n  ngx.say(1)\n}\n")
    #expect(d[0].location.line == 3)
    #expect(d[1].location.line == 5)
    // Lua blocks keep the line they start on (ngx_lua's chunk names).
    #expect(d[2].location.line == 7)
}
