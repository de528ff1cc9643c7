import Testing
@testable import MoongateLua

// The mg_regex_* C exports called directly, as the FFI does.

@Test func compileReportsInfoAndExecCopiesOffsets() throws {
    var info = [Int32](repeating: -9, count: 5)
    var err: UnsafeMutablePointer<CChar>? = nil
    let pattern = Array("(?<x>a)(b)?(\u{0})".utf8)
    let re = try #require(mg_regex_compile(pattern, pattern.count, 0, 0, &info, &err))
    defer { mg_regex_destroy(re) }
    #expect(info[0] == 3)
    #expect(info[1] == 1)
    #expect(info[3] == 0)
    #expect(err == nil)
    let table = try #require(mg_regex_name_table(re))
    #expect(table[0] == 0 && table[1] == 1 && table[2] == UInt8(ascii: "x"))

    let subject = Array("za\u{0}".utf8)
    var caps = [Int32](repeating: 7, count: 8)
    #expect(mg_regex_exec(re, 0, subject, subject.count, 0, &caps, 8) == 4)
    #expect(caps == [1, 3, 1, 2, -1, -1, 2, 3])
    #expect(mg_regex_exec(re, 0, subject, subject.count, 2, &caps, 8) == -1)
    #expect(mg_regex_exec(re, 0, subject, subject.count, 9, &caps, 8) == -33)
}

@Test func compileErrorGoesThroughErrPointer() throws {
    var info = [Int32](repeating: 0, count: 5)
    var err: UnsafeMutablePointer<CChar>? = nil
    let pattern = Array("a(".utf8)
    #expect(mg_regex_compile(pattern, pattern.count, 0, 0, &info, &err) == nil)
    let message = String(cString: try #require(err))
    #expect(message == "pcre2_compile() failed: missing closing parenthesis in \"a(\"")
}

@Test func dfaFlagDropsGroups() throws {
    // Settings are per thread and other tests may have run on this one.
    RegexRuntime.current.matchLimit = 0
    var info = [Int32](repeating: 0, count: 5)
    var err: UnsafeMutablePointer<CChar>? = nil
    let pattern = Array("(a)(b)|a".utf8)
    let re = try #require(mg_regex_compile(pattern, pattern.count, 0x02, 0, &info, &err))
    defer { mg_regex_destroy(re) }
    #expect(info[0] == 0)
    var caps = [Int32](repeating: 0, count: 2)
    let subject = Array("ab".utf8)
    #expect(mg_regex_exec(re, 0x02, subject, subject.count, 0, &caps, 2) == 1)
    #expect(caps == [0, 2])
}

@Test func cacheAndLimitSettersRoundTrip() {
    let runtime = RegexRuntime.current
    defer { runtime.cacheMaxEntries = 1024 }
    #expect(mg_regex_max_cache_size() == 1024)
    mg_regex_set_max_cache_size(-3)
    #expect(mg_regex_max_cache_size() == 0)
    var err: UnsafeMutablePointer<CChar>? = nil
    #expect(mg_regex_set_jit_stack_size(1, &err) == (runtime.jitAvailable ? 0 : -1))
    #expect(String(cString: mg_regex_pcre_version()!).hasPrefix("10."))
}

@Test func evictedAndOneShotRegexesAreCollected() throws {
    let vm = try makeTestVM()
    defer { RegexRuntime.current.cacheMaxEntries = 1024 }
    #expect(try vm.run("""
        local regex = require "resty.core.regex"
        regex.set_max_cache_size(16)
        local its = {}
        for i = 1, 2000 do
            local r = "x" .. i
            assert(ngx.re.match(r, r, "o")[0] == r)
            assert(ngx.re.find(r, r) == 1)
            if i % 100 == 0 then
                its[#its + 1] = ngx.re.gmatch(r .. r, r, "o")
            end
        end
        collectgarbage()
        collectgarbage()
        local n = 0
        for _, it in ipairs(its) do
            while it() do n = n + 1 end
        end
        return regex.cache_size(), n
        """) == ["16", "40"])
}
