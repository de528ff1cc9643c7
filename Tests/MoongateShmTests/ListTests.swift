import Testing
import MoongateShm

@Suite struct ListTests {
    @Test func pushPopOrder() throws {
        let (z, _) = try makeZone()
        #expect(try z.push(left: true, "l", .string("b")) == 1)
        #expect(try z.push(left: true, "l", .string("a")) == 2)
        #expect(try z.push(left: false, "l", .number(3)) == 3)
        #expect(try z.llen("l") == 3)
        #expect(try z.pop(left: true, "l").string == "a")
        let three = try z.pop(left: false, "l")
        #expect(three.type == .number && three.number == 3)
        #expect(try z.pop(left: false, "l").string == "b")
        #expect(try z.pop(left: true, "l").type == .nil)
        #expect(try z.llen("l") == 0)
        #expect(z.stats.items == 0 && z.stats.usedBytes == 0)  // emptied lists are removed
    }

    @Test func typeErrors() throws {
        let (z, _) = try makeZone()
        try z.set("s", "v")
        #expect(throws: ShdictError.notAList) { try z.push(left: true, "s", .string("x")) }
        #expect(throws: ShdictError.notAList) { try z.pop(left: true, "s") }
        #expect(throws: ShdictError.notAList) { try z.llen("s") }
        _ = try z.push(left: true, "l", .string("x"))
        #expect(throws: ShdictError.isAList) { try z.get("l") }
        #expect(throws: ShdictError.isAList) { try z.getStale("l") }
        try z.set("l", "now a string")
        #expect(try z.string("l") == "now a string")
        #expect(z.validate() == 0)
    }

    @Test func expiredListsRestart() throws {
        let (z, clock) = try makeZone()
        for i in 0..<5 { _ = try z.push(left: false, "l", .number(Double(i))) }
        try z.expire("l", exptime: 1)
        clock.advance(ms: 1001)
        #expect(try z.llen("l") == 0)
        #expect(try z.pop(left: true, "l").type == .nil)
        #expect(try z.push(left: true, "l", .string("new")) == 1)
        #expect(try z.ttl("l") == 0)
        try z.set("s", "v", exptime: 0.001)
        clock.advance(ms: 2)
        #expect(try z.push(left: true, "s", .string("x")) == 1)
        #expect(z.validate() == 0)
    }

    @Test func bigElementsAndDeletion() throws {
        let (z, _) = try makeZone()
        let big = randomString(50_000, seed: 1)
        _ = try z.push(left: true, "l", .string(big))
        _ = try z.push(left: true, "l", .string(""))
        #expect(try z.pop(left: true, "l").bytes.count == 0)
        #expect(try z.pop(left: true, "l").string == big)
        for i in 0..<100 { _ = try z.push(left: true, "m", .string("v\(i)")) }
        let before = z.stats.freeSpace
        try z.delete("m")
        #expect(z.stats.freeSpace > before && z.stats.usedBytes == 0)
        #expect(z.validate() == 0)
    }
}
