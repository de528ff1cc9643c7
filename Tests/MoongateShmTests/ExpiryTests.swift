import Foundation
import Testing
import MoongateShm

@Suite struct ExpiryTests {
    @Test func ttlAndStaleReads() throws {
        let (z, clock) = try makeZone()
        try z.set("k", "v", exptime: 0.05, flags: 3)
        #expect(try z.ttl("k") == 0.05)
        clock.advance(ms: 20)
        #expect(try z.ttl("k") == 0.03)
        clock.advance(ms: 30)
        #expect(try z.string("k") == "v")  // visible through its last millisecond
        clock.advance(ms: 1)
        let stale = try z.getStale("k")
        #expect(stale.string == "v" && stale.stale && stale.flags == 3)
        #expect(try z.ttl("k") == -0.001)
        // Like ngx_lua, a plain get frees expired items at the LRU tail.
        #expect(try z.get("k").type == .nil)
        #expect(try z.getStale("k").type == .nil)
        let fresh = try { try z.set("f", "x"); return try z.getStale("f") }()
        #expect(!fresh.stale)
        #expect(throws: ShdictError.notFound) { try z.ttl("none") }
    }

    @Test func expireChangesTTL() throws {
        let (z, clock) = try makeZone()
        try z.set("k", "v")
        #expect(try z.ttl("k") == 0)
        try z.expire("k", exptime: 10)
        #expect(try z.ttl("k") == 10)
        try z.expire("k", exptime: 0)
        #expect(try z.ttl("k") == 0)
        try z.expire("k", exptime: 0.002)
        clock.advance(ms: 3)
        #expect(try z.get("k").type == .nil)
        #expect(throws: ShdictError.notFound) { try z.expire("none", exptime: 1) }
    }

    /// nginx's shared dicts use the worker's cached time, which stands still while Lua
    /// runs: during a run the system clock is read once; outside runs, at every call.
    @Test func systemClockReadOncePerRun() throws {
        let z = try ShdictZone(name: "runs", size: 64 << 10)
        let frozen = try ShdictClock.withRun { () throws -> Bool in
            try z.set("k", "v", exptime: 0.02)
            Thread.sleep(forTimeInterval: 0.04)
            return try z.string("k") == "v"  // the same run: time stood still
        }
        #expect(frozen)
        #expect(try z.getStale("k").stale)  // after the run: the clock again
        try z.set("j", "v", exptime: 0.02)
        Thread.sleep(forTimeInterval: 0.04)
        #expect(try z.getStale("j").stale)  // outside runs: read at every call
    }

    @Test func realClockExpiry() throws {
        let z = try ShdictZone(name: "real", size: 64 << 10)
        try z.set("k", "v", exptime: 0.02)
        #expect(try z.string("k") == "v")
        Thread.sleep(forTimeInterval: 0.04)
        #expect(try z.getStale("k").stale)
        #expect(try z.get("k").type == .nil)
    }

    @Test func flushAllAndFlushExpired() throws {
        let (z, _) = try makeZone()
        for i in 0..<10 { try z.set("k\(i)", "v\(i)") }
        z.flushAll()
        #expect(try z.getStale("k4").stale)
        #expect(z.keys(max: 0).isEmpty)
        #expect(z.stats.items == 10)
        #expect(z.flushExpired(max: 3) == 3)
        #expect(z.stats.items == 7)
        #expect(try z.get("k3").type == .nil)  // also frees two expired tail items
        #expect(z.flushExpired() == 5)
        #expect(z.stats.items == 0)
        #expect(z.flushExpired() == 0)
        #expect(z.validate() == 0)
    }

    @Test func flushExpiredKeepsLiveItems() throws {
        let (z, clock) = try makeZone()
        for i in 0..<6 { try z.set("t\(i)", "v", exptime: 1) }
        for i in 0..<4 { try z.set("p\(i)", "v") }
        clock.advance(ms: 1500)
        #expect(z.flushExpired(max: 0) == 6)
        #expect(Set(z.keys(max: 0)) == ["p0", "p1", "p2", "p3"])
    }

    @Test func getKeysLimitsAndSkipsExpired() throws {
        let (z, clock) = try makeZone()
        for i in 0..<2000 { try z.set("k\(i)", "v") }
        try z.set("gone", "v", exptime: 0.001)
        clock.advance(ms: 5)
        #expect(z.keys().count == 1024)
        #expect(z.keys(max: 5) == ["k1999", "k1998", "k1997", "k1996", "k1995"])
        let all = z.keys(max: 0)
        #expect(all.count == 2000 && !all.contains("gone"))
    }
}
