import Testing
@testable import MoongateLua

@Test func tablexInstallsEverything() throws {
    let vm = try makeTestVM()
    try vm.run("require 'resty.core.tablex'")
    for name in ["new", "clear", "nkeys", "isempty", "isarray", "clone"] {
        #expect(try vm.run("return type(require('table.\(name)'))") == ["function"])
        #expect(try vm.run("return type(table.\(name))") == ["function"])
    }
    #expect(try vm.run("return table.nkeys({'a', nil, 'b', x = 1})") == ["3"])
    #expect(try vm.run("local t = table.new(4, 4) t[1] = 1 return #t") == ["1"])
}

/// Hides every native extension first so the pure Lua fallbacks get installed,
/// as on a stock LuaJIT.
@Test func tablexFallbacksWhenMissing() throws {
    let vm = try makeTestVM()
    let r = try vm.run("""
        local names = {'new', 'clear', 'nkeys', 'isempty', 'isarray', 'clone'}
        for _, n in ipairs(names) do
            table[n] = nil
            package.loaded['table.' .. n] = nil
            package.preload['table.' .. n] = function() error('missing') end
        end
        local tx = require 'resty.core.tablex'
        local ok = true
        for _, n in ipairs(names) do
            ok = ok and table[n] == tx.fallbacks[n]
                and require('table.' .. n) == tx.fallbacks[n]
        end
        return ok
        """)
    #expect(r == ["true"])
}

@Test func tablexFallbackSemantics() throws {
    let vm = try makeTestVM()
    try vm.run("f = require('resty.core.tablex').fallbacks")
    #expect(try vm.run("return f.nkeys({}), f.nkeys({'a', nil, 'b'}),"
        + " f.nkeys({dog = 3, cat = 4}), f.nkeys({'a', dog = 3, cat = 4})")
        == ["0", "2", "2", "3"])
    #expect(try vm.run("return f.isempty({}), f.isempty({nil}), f.isempty({a = 1}),"
        + " f.isempty({1})") == ["true", "true", "false", "false"])
    #expect(try vm.run("""
        return f.isarray({1, 2, 3}), f.isarray({1, nil, 3}), f.isarray({}),
               f.isarray({dog = 3}), f.isarray({[1.5] = 1}), f.isarray({[2] = 1}),
               f.isarray({1, x = 2})
        """) == ["true", "true", "true", "false", "false", "true", "false"])
    #expect(try vm.run("""
        local src = setmetatable({1, 2, a = {}}, {})
        local c = f.clone(src)
        return c ~= src, c[1], c[2], c.a == src.a, getmetatable(c)
        """) == ["true", "1", "2", "true", nil])
    #expect(try vm.run("local t = {1, 2, a = 3} f.clear(t) return next(t)") == [nil])
    #expect(try vm.run("return type(f.new(10, 10))") == ["table"])
    for name in ["clear", "nkeys", "isempty", "isarray", "clone"] {
        #expect(try vm.run("return select(2, pcall(f.\(name), nil))")
            == ["bad argument #1 to '\(name)' (table expected, got nil)"])
    }
}

/// The fallbacks agree with the linked LuaJIT's natives when it has them.
@Test func tablexFallbacksMatchNatives() throws {
    let vm = try makeTestVM()
    let r = try vm.run("""
        local f = require('resty.core.tablex').fallbacks
        local cases = {{}, {1, 2}, {1, nil, 3}, {a = 1}, {[0] = 1}, {[-1] = 1},
                       {[1.5] = 1}, {1, b = 2}, {[3] = 3}}
        local diffs = 0
        for _, name in ipairs({'nkeys', 'isempty', 'isarray'}) do
            local ok, native = pcall(require, 'table.' .. name)
            if ok and native ~= f[name] then
                for _, c in ipairs(cases) do
                    if native(c) ~= f[name](c) then diffs = diffs + 1 end
                end
            end
        end
        return diffs
        """)
    #expect(r == ["0"])
}
