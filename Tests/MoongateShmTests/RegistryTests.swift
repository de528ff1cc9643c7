import Testing
import MoongateShm

@Suite struct RegistryTests {
    @Test func createFindAndReload() throws {
        let registry = ShdictRegistry()
        let a = try registry.create(name: "cache", size: 64 << 10)
        try a.set("k", "v")
        #expect(registry.find("cache") === a)
        #expect(registry.find("other") == nil)
        // Reload with the same name and size keeps the mapping and its data.
        let again = try registry.create(name: "cache", size: 64 << 10)
        #expect(again === a)
        #expect(try again.string("k") == "v")
        // Another size gets a fresh zone.
        let resized = try registry.create(name: "cache", size: 128 << 10)
        #expect(resized !== a)
        #expect(try resized.get("k").type == .nil)
        _ = try registry.create(name: "gone", size: 16 << 10)
        #expect(registry.names == ["cache", "gone"])
        registry.retain(only: ["cache"])
        #expect(registry.names == ["cache"])
        registry.remove("cache")
        #expect(registry.names.isEmpty)
        #expect(throws: ShdictError.badSize) { try registry.create(name: "small", size: 10) }
    }

    @Test func sharedRegistryThroughZone() throws {
        let z = try ShdictZone.create(name: "shm-tests-shared", size: 32 << 10)
        #expect(ShdictZone.find("shm-tests-shared") === z)
        ShdictRegistry.shared.remove("shm-tests-shared")
    }

    @Test func handlesShareTheZone() throws {
        let (z, _) = try makeZone(size: 32 << 10)
        let h = z.makeHandle()
        try z.set("k", "v")
        #expect(try h.string("k") == "v")
        #expect(h.raw == z.raw)
    }
}
