import Foundation
import Testing
import MoongateShm

@Suite struct PersistenceTests {
    func tempPath(_ name: String) -> String {
        NSTemporaryDirectory() + "mg-shm-\(getpid())-\(name)"
    }

    @Test func saveAndLoadRoundTrip() throws {
        let (a, clock) = try makeZone()
        try a.set("s", "text", flags: 4)
        try a.store(.set, "n", .number(-2.5))
        try a.store(.set, "b", .boolean(true))
        try a.set("ttl", "soon", exptime: 10)
        try a.set("dead", "x", exptime: 0.001)
        _ = try a.push(left: false, "l", .string("one"))
        _ = try a.push(left: false, "l", .number(2))
        try a.expire("l", exptime: 20)
        clock.advance(ms: 5)
        let path = tempPath("roundtrip")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try a.save(to: path)
        #expect(!FileManager.default.fileExists(atPath: path + ".tmp.\(getpid())"))

        let (b, clockB) = try makeZone()
        clockB.advance(ms: 123_456)
        #expect(try b.load(from: path) == 5)
        let s = try b.get("s")
        #expect(s.string == "text" && s.flags == 4)
        #expect(try b.get("n").number == -2.5 && b.get("b").bool)
        #expect(try b.ttl("ttl") == 9.995)
        #expect(try b.get("dead").type == .nil)
        #expect(try b.llen("l") == 2 && b.ttl("l") == 19.995)
        #expect(try b.pop(left: true, "l").string == "one" && b.pop(left: true, "l").number == 2)
        #expect(b.validate() == 0)
    }

    @Test func loadKeepsLRUOrder() throws {
        let (a, _) = try makeZone()
        for i in 0..<5 { try a.set("k\(i)", "v") }
        _ = try a.get("k0")
        let path = tempPath("lru")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try a.save(to: path)
        let (b, _) = try makeZone()
        try b.load(from: path)
        #expect(b.keys(max: 0) == a.keys(max: 0))
    }

    @Test func loadErrors() throws {
        let (z, _) = try makeZone()
        #expect(throws: ShdictError.io) { try z.load(from: tempPath("missing")) }
        let path = tempPath("garbage")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data("not a dump".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: ShdictError.badDumpFile) { try z.load(from: path) }
        #expect(throws: ShdictError.io) { try z.save(to: "/nonexistent-dir/x") }
    }
}
