import Testing
@testable import MoongateLua

@Test func runReturnsValues() throws {
    let vm = try makeTestVM()
    #expect(try vm.run("return 1 + 2, 'x', nil") == ["3", "x", nil])
}

@Test func runtimeErrorCarriesTraceback() throws {
    let vm = try makeTestVM()
    #expect(throws: LuaError.self) { try vm.run("error('boom')") }
    do {
        try vm.run("local function f() error('boom') end f()")
    } catch LuaError.runtime(let msg) {
        #expect(msg.contains("boom"))
        #expect(msg.contains("stack traceback"))
    }
}

/// A worker's math.random is seeded before the first Lua code it runs, not at fork
/// (LuaRuntime.pendingRandomSeed): the pending seed gives the sequence
/// `math.randomseed(seed)` gives, once.
@Test func pendingRandomSeedIsAppliedOnce() throws {
    let vm = try makeTestVM()
    let expected = try vm.run("math.randomseed(12345) return math.random(1000000), math.random(1000000)")
    try vm.run("math.randomseed(1)")
    LuaRuntime.pendingRandomSeed = 12345
    LuaRuntime.seedRandomIfPending(vm.L)
    #expect(LuaRuntime.pendingRandomSeed == nil)
    #expect(try vm.run("return math.random(1000000), math.random(1000000)") == expected)
    // Nothing pending: the sequence goes on.
    let next = try vm.run("math.randomseed(12345) math.random(1000000) math.random(1000000) return math.random(1000000)")
    try vm.run("math.randomseed(12345) math.random(1000000) math.random(1000000)")
    LuaRuntime.seedRandomIfPending(vm.L)
    #expect(try vm.run("return math.random(1000000)") == next)
}
