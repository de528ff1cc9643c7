import Testing
import MoongateShm

@Suite struct IncrTests {
    @Test func incrExisting() throws {
        let (z, _) = try makeZone()
        try z.store(.set, "n", .number(10))
        #expect(try z.incr("n", by: 5).value == 15)
        #expect(try z.incr("n", by: -0.5).value == 14.5)
        #expect(try z.get("n").number == 14.5)
        #expect(throws: ShdictError.notFound) { try z.incr("missing", by: 1) }
        try z.set("s", "12")
        #expect(throws: ShdictError.notANumber) { try z.incr("s", by: 1) }
        #expect(throws: ShdictError.notANumber) { try z.incr("s", by: 1, initial: 0) }
        _ = try z.push(left: true, "l", .number(1))
        #expect(throws: ShdictError.notANumber) { try z.incr("l", by: 1) }
    }

    @Test func incrWithInit() throws {
        let (z, clock) = try makeZone()
        let r = try z.incr("c", by: 2, initial: 40)
        #expect(r.value == 42 && !r.forcible)
        #expect(try z.incr("c", by: 1, initial: 0).value == 43)
        #expect(try z.ttl("c") == 0)
        #expect(try z.incr("t", by: 1, initial: 0, initTTL: 2).value == 1)
        #expect(try z.ttl("t") == 2)
        clock.advance(ms: 1000)
        #expect(try z.incr("t", by: 1, initial: 0, initTTL: 30).value == 2)
        #expect(try z.ttl("t") == 1)  // init_ttl applies only on creation
        clock.advance(ms: 1001)
        #expect(throws: ShdictError.notFound) { try z.incr("t", by: 1) }
        #expect(try z.incr("t", by: 1, initial: 100).value == 101)  // expired: starts over
        #expect(try z.ttl("t") == 0)
    }

    @Test func incrOverExpiredStringWithInit() throws {
        let (z, clock) = try makeZone()
        try z.set("k", String(repeating: "x", count: 100), exptime: 0.01, flags: 9)
        clock.advance(ms: 20)
        #expect(try z.incr("k", by: 1, initial: 1).value == 2)
        let v = try z.get("k")
        #expect(v.type == .number && v.flags == 0)
        #expect(z.validate() == 0)
    }
}
