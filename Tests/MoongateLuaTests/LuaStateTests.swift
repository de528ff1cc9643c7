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
