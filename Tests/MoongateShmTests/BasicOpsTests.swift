import Testing
import MoongateShm

@Suite struct BasicOpsTests {
    @Test func setAndGetEveryType() throws {
        let (z, _) = try makeZone()
        try z.set("s", "hello", flags: 7)
        try z.store(.set, "n", .number(3.25))
        try z.store(.set, "t", .boolean(true))
        try z.store(.set, "f", .boolean(false))
        let s = try z.get("s")
        #expect(s.type == .string && s.string == "hello" && s.flags == 7 && !s.stale)
        let n = try z.get("n")
        #expect(n.type == .number && n.number == 3.25 && n.flags == 0)
        #expect(try z.get("t").type == .boolean && z.get("t").bool)
        #expect(try z.get("f").type == .boolean && !z.get("f").bool)
        #expect(try z.get("missing").type == .nil)
        #expect(try z.set("empty", "") == false)
        #expect(try z.get("empty").type == .string && z.get("empty").bytes.count == 0)
        #expect(z.validate() == 0)
    }

    @Test func overwriteWithOtherSizesAndTypes() throws {
        let (z, _) = try makeZone()
        try z.set("k", "a")
        try z.set("k", String(repeating: "b", count: 3000))
        #expect(try z.string("k")?.count == 3000)
        try z.store(.set, "k", .number(1))
        #expect(try z.get("k").number == 1)
        try z.set("k", "c", flags: 1)
        #expect(try z.string("k") == "c" && z.get("k").flags == 1)
        #expect(z.stats.items == 1)
        #expect(z.validate() == 0)
    }

    @Test func nilDeletes() throws {
        let (z, _) = try makeZone()
        try z.set("a", "1")
        try z.set("b", "2")
        try z.store(.set, "a", .nil)
        try z.delete("b")
        try z.delete("never")
        #expect(try z.get("a").type == .nil && z.get("b").type == .nil)
        #expect(z.stats.items == 0)
        #expect(throws: ShdictError.nilValue) { try z.store(.add, "a", .nil) }
        #expect(throws: ShdictError.nilValue) { try z.store(.replace, "a", .nil) }
    }

    @Test func addAndReplace() throws {
        let (z, clock) = try makeZone()
        try z.store(.add, "k", .string("1"))
        #expect(throws: ShdictError.exists) { try z.store(.add, "k", .string("2")) }
        #expect(throws: ShdictError.exists) { try z.store(.safeAdd, "k", .string("2")) }
        #expect(try z.string("k") == "1")
        try z.store(.replace, "k", .string("3"))
        #expect(try z.string("k") == "3")
        #expect(throws: ShdictError.notFound) { try z.store(.replace, "nope", .string("x")) }
        try z.set("short", "v", exptime: 1)
        clock.advance(ms: 1001)
        #expect(throws: ShdictError.notFound) { try z.store(.replace, "short", .string("x")) }
        try z.store(.add, "short", .string("again"))
        #expect(try z.string("short") == "again" && z.ttl("short") == 0)
        try z.store(.safeAdd, "other", .number(1))
        try z.store(.safeSet, "other", .number(2))
        #expect(try z.get("other").number == 2)
    }

    @Test func keyErrors() throws {
        let (z, _) = try makeZone()
        #expect(throws: ShdictError.emptyKey) { try z.set("", "x") }
        #expect(throws: ShdictError.emptyKey) { try z.get("") }
        let long = String(repeating: "k", count: 65536)
        #expect(throws: ShdictError.keyTooLong) { try z.set(long, "x") }
        #expect(throws: ShdictError.keyTooLong) { try z.incr(long, by: 1) }
        let max = String(repeating: "k", count: 65535)
        try z.set(max, "ok")
        #expect(try z.string(max) == "ok")
        #expect(z.keys(max: 0) == [max])
    }

    @Test func badArguments() throws {
        let (z, _) = try makeZone()
        #expect(throws: ShdictError.badExptime) { try z.set("k", "v", exptime: -1) }
        #expect(throws: ShdictError.badExptime) { try z.incr("k", by: 1, initial: 0, initTTL: -1) }
        #expect(throws: ShdictError.badExptime) { try z.expire("k", exptime: -0.5) }
        #expect(throws: ShdictError.badValue) { try z.push(left: true, "l", .boolean(true)) }
        #expect(throws: ShdictError.badSize) { try ShdictZone(name: "tiny", size: 100) }
        #expect(ShdictError.noMemory.message == "no memory")
        #expect(ShdictError.notAList.message == "value not a list")
    }

    @Test func largeValuesGrowTheReadBuffer() throws {
        let (z, _) = try makeZone()
        let big = randomString(200_000, seed: 3)
        try z.set("big", big)
        #expect(try z.string("big") == big)
        #expect(throws: ShdictError.noMemory) { try z.set("huge", String(repeating: "x", count: 2 << 20)) }
        #expect(try z.string("big") == big)
    }

    @Test func rawBufferAPI() throws {
        let (z, _) = try makeZone()
        let key: [UInt8] = [0, 1, 2, 255]
        let value: [UInt8] = [9, 0, 9]
        try key.withUnsafeBytes { k in
            try value.withUnsafeBytes { v in _ = try z.set(k, .string(v), exptime: 0, flags: 5) }
            let got = try z.get(k)
            #expect(Array(got.bytes) == value && got.flags == 5)
        }
        #expect(z.getKeys(max: 0) == [key])
    }

    @Test func statsAndCapacity() throws {
        let (z, _) = try makeZone(size: 1 << 20)
        let empty = z.stats
        #expect(z.capacity == 1 << 20)
        #expect(empty.items == 0 && empty.usedBytes == 0 && empty.freeSpace > 1_000_000)
        try z.set("a", "b")
        let s = z.stats
        #expect(s.items == 1 && s.usedBytes == ShdictZone.entrySize(keyLength: 1, valueLength: 1))
        #expect(s.freeSpace + s.usedBytes == empty.freeSpace)
        #expect(z.freeSpace == s.freeSpace)
    }
}
