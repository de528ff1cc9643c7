import Testing
import MoongateShm

@Suite struct EvictionTests {
    /// Fills a zone with 100-byte values through safe_set; returns how many fit.
    func fill(_ z: ShdictZone, prefix: String = "k", exptime: Double = 0) throws -> Int {
        var n = 0
        while true {
            do {
                try z.store(.safeSet, "\(prefix)\(n)", .string(randomString(100, seed: n)), exptime: exptime)
            } catch ShdictError.noMemory {
                return n
            }
            n += 1
        }
    }

    @Test func lruEvictionWithForcible() throws {
        let (z, _) = try makeZone(size: 16 << 10)
        let n = try fill(z)
        #expect(n > 50)
        #expect(try z.string("k0") != nil)  // touch: k0 becomes most recent
        let forcible = try z.set("new", randomString(100, seed: 99))
        #expect(forcible)
        #expect(try z.string("k0") != nil)
        #expect(try z.get("k1").type == .nil)  // the least recently used went first
        #expect(try z.string("new") != nil)
        #expect(z.stats.evictions >= 1)
        #expect(z.validate() == 0)
    }

    @Test func safeOperationsNeverEvict() throws {
        let (z, _) = try makeZone(size: 16 << 10)
        let n = try fill(z)
        let before = z.stats
        #expect(throws: ShdictError.noMemory) { try z.store(.safeSet, "x", .string(randomString(100, seed: 1))) }
        #expect(throws: ShdictError.noMemory) { try z.store(.safeAdd, "x", .string(randomString(100, seed: 1))) }
        // A safe_set that cannot grow an existing value keeps the old one.
        #expect(throws: ShdictError.noMemory) { try z.store(.safeSet, "k0", .string(randomString(5000, seed: 1))) }
        #expect(try z.string("k0") == randomString(100, seed: 0))
        #expect(z.stats.items == n && z.stats.evictions == before.evictions)
        for i in 0..<n { #expect(try z.string("k\(i)") != nil) }
        #expect(z.validate() == 0)
    }

    @Test func expiredItemsAreReclaimedWithoutForcible() throws {
        let (z, clock) = try makeZone(size: 16 << 10)
        let n = try fill(z, exptime: 1)
        clock.advance(ms: 2000)
        try z.store(.safeSet, "x", .string(randomString(2000, seed: 1)))
        #expect(try z.set("y", randomString(2000, seed: 2)) == false)
        #expect(z.stats.evictions == 0 && z.stats.items < n)
        #expect(z.validate() == 0)
    }

    @Test func incrAndPushEvict() throws {
        let (z, _) = try makeZone(size: 16 << 10)
        _ = try fill(z)
        let r = try z.incr("counter", by: 1, initial: 0)
        #expect(r.value == 1 && r.forcible)
        #expect(try z.push(left: true, "list", .string(randomString(300, seed: 4))) == 1)
        #expect(try z.push(left: true, "list", .string(randomString(300, seed: 5))) == 2)
        #expect(try z.llen("list") == 2)
        #expect(z.validate() == 0)
    }

    /// The guarantee nginx's slab allocator lacks: free space is usable for any
    /// size, however fragmented by deletions.
    @Test func fragmentationNeverCausesFalseNoMemory() throws {
        let (z, _) = try makeZone(size: 1 << 20)
        let n = try fill(z, prefix: "s")
        #expect(n > 5000)
        var rng = SplitMix(seed: 42)
        var alive = Set(0..<n)
        for i in (0..<n).shuffled(using: &rng).prefix(n / 2) {
            try z.delete("s\(i)")
            alive.remove(i)
        }
        let bigSize = ShdictZone.entrySize(keyLength: 6, valueLength: 1000)
        var stored = 0
        while z.freeSpace >= bigSize {
            try z.store(.safeSet, "b\(String(stored + 10000))", .string(randomString(1000, seed: stored)))
            stored += 1
        }
        #expect(stored > (n / 2) * 100 / 1000 * 8 / 10)
        #expect(z.stats.compactions >= 1 && z.stats.evictions == 0)
        #expect(throws: ShdictError.noMemory) {
            try z.store(.safeSet, "b99999", .string(randomString(1000, seed: 0)))
        }
        for i in alive { #expect(try z.string("s\(i)") == randomString(100, seed: i)) }
        for i in 0..<stored { #expect(try z.get("b\(i + 10000)").bytes.count == 1000) }
        #expect(z.validate() == 0)
    }

    /// Plain `set` also compacts rather than evicts while at least a sixteenth
    /// of the zone is free (below that it may evict LRU items instead, see alloc()).
    @Test func setCompactsBeforeEvicting() throws {
        let (z, _) = try makeZone(size: 1 << 20)
        let n = try fill(z, prefix: "s")
        var rng = SplitMix(seed: 9)
        for i in (0..<n).shuffled(using: &rng).prefix(n / 2) { try z.delete("s\(i)") }
        let bigSize = ShdictZone.entrySize(keyLength: 6, valueLength: 1000)
        var stored = 0
        while z.freeSpace >= Swift.max(bigSize, z.capacity / 16) {
            #expect(try z.set("b\(stored + 10000)", randomString(1000, seed: stored)) == false)
            stored += 1
        }
        #expect(stored > 100 && z.stats.evictions == 0 && z.stats.compactions >= 1)
        #expect(z.validate() == 0)
    }

    @Test func randomChurnKeepsInvariants() throws {
        let (z, _) = try makeZone(size: 64 << 10)
        var rng = SplitMix(seed: 7)
        for step in 0..<20000 {
            let k = "k\(Int.random(in: 0..<400, using: &rng))"
            switch Int.random(in: 0..<10, using: &rng) {
            case 0..<4: try z.set(k, randomString(Int.random(in: 0..<(step % 10 == 0 ? 3000 : 120), using: &rng), seed: step))
            case 4..<6: try z.delete(k)
            case 6: _ = try? z.push(left: step % 2 == 0, k, .string(randomString(Int.random(in: 0..<200, using: &rng), seed: step)))
            case 7: _ = try? z.pop(left: step % 2 == 0, k)
            case 8: _ = try? z.incr(k, by: 1, initial: 0)
            default: _ = try? z.get(k)
            }
            if step % 500 == 0 { #expect(z.validate() == 0) }
        }
        #expect(z.validate() == 0)
    }
}

/// Deterministic generator for reproducible shuffles.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e3779b97f4a7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58476d1ce4e5b9
        z = (z ^ (z >> 27)) &* 0x94d049bb133111eb
        return z ^ (z >> 31)
    }
}
