import Foundation
import Testing
@testable import MoongateLua

/// The directory holding LuaJIT's `jit/v.lua`, which the distribution's default
/// `package.path` does not always reach.
func luajitLibDirectory() -> String? {
    for root in ["/usr/local/share", "/usr/share"] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        for name in entries.sorted() where name.hasPrefix("luajit") {
            let dir = "\(root)/\(name)"
            if FileManager.default.fileExists(atPath: "\(dir)/jit/v.lua") { return dir }
        }
    }
    return nil
}

/// A VM with `resty.core.regex` loaded and `jit.v` reachable, or nil without `jit.v`.
func makeJITTestVM() throws -> LuaState? {
    guard let dir = luajitLibDirectory() else { return nil }
    let vm = try makeTestVM()
    try vm.run("package.path = package.path .. ';\(dir)/?.lua'; require 'resty.core.regex'")
    return vm
}

/// lua-resty-core's tests check `--- no_error_log NYI:` after a hot loop; this does the
/// same with `jit.v` writing the trace log of the loop to a file.
@Test func hotFindLoopStaysCompiled() throws {
    let log = FileManager.default.temporaryDirectory
        .appendingPathComponent("moongate-regex-jit-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).log")
    defer { try? FileManager.default.removeItem(at: log) }
    guard let vm = try makeJITTestVM() else {
        Issue.record("LuaJIT's jit/v.lua is not installed")
        return
    }
    let result = try vm.run("""
        local v = require "jit.v"
        v.on("\(log.path)")
        local find = ngx.re.find
        local sum = 0
        for i = 1, 300 do
            local from, to, err = find("hello, 1234", "([0-9]+)", "jo")
            if from then
                sum = sum + to - from
            end
        end
        v.off()
        return sum
        """)
    #expect(result == ["900"])
    let text = try String(contentsOf: log, encoding: .utf8)
    // a trace that closes the loop ("[TRACE 1 run:5 loop]") and no NYI aborts;
    // ordinary aborts such as "leaving loop in root trace" may precede it
    #expect(text.contains(" loop]"), "trace log: \(text)")
    #expect(!text.contains("NYI"), "trace log: \(text)")
}

@Test func hotMatchAndGsubLoopsStayCompiled() throws {
    let log = FileManager.default.temporaryDirectory
        .appendingPathComponent("moongate-regex-jit2-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).log")
    defer { try? FileManager.default.removeItem(at: log) }
    guard let vm = try makeJITTestVM() else {
        Issue.record("LuaJIT's jit/v.lua is not installed")
        return
    }
    let result = try vm.run("""
        local v = require "jit.v"
        v.on("\(log.path)")
        local match, gsub = ngx.re.match, ngx.re.gsub
        local sum = 0
        local res = {}
        for i = 1, 300 do
            local m = match("hello, 1234", "([0-9])([0-9]+)", "jo", nil, res)
            sum = sum + #m[2]
        end
        for i = 1, 300 do
            local s, n = gsub("a.b.c", "\\\\.", "$0$0", "jo")
            sum = sum + n
        end
        v.off()
        return sum
        """)
    #expect(result == ["1500"])
    let text = try String(contentsOf: log, encoding: .utf8)
    #expect(text.contains(" loop]"), "trace log: \(text)")
    #expect(!text.contains("NYI"), "trace log: \(text)")
}
