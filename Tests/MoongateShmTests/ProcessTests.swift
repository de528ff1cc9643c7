import CMoongate
import Glibc
import Testing
import MoongateShm

/// Zones are shared across fork(); children only call the C engine and _exit.
@Suite struct ProcessTests {
    static func wait(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return status
    }

    @Test func concurrentIncrFromManyProcesses() throws {
        let zone = try ShdictZone(name: "procs", size: 1 << 20)
        let z = zone.raw
        let key = UnsafeMutableRawPointer.allocate(byteCount: 7, alignment: 1)
        defer { key.deallocate() }
        key.copyMemory(from: "counter", byteCount: 7)
        let children = 4, rounds = 10_000
        var pids: [pid_t] = []
        pids.reserveCapacity(children)
        for _ in 0..<children {
            let pid = mg_fork()
            if pid == 0 {
                var forcible: Int32 = 0
                for _ in 0..<rounds {
                    var v = 1.0
                    if mg_shm_incr(z, key, 7, &v, 1, 0, 0, &forcible, -1) != 0 { _exit(1) }
                }
                _exit(0)
            }
            #expect(pid > 0)
            pids.append(pid)
        }
        for pid in pids {
            let status = Self.wait(pid)
            #expect(mg_wifexited(status) != 0 && mg_wexitstatus(status) == 0)
        }
        #expect(try zone.get("counter").number == Double(children * rounds))
        #expect(zone.validate() == 0)
    }

    @Test func lockHolderKilledDoesNotWedgeOthers() throws {
        let (zone, _) = try makeZone(size: 64 << 10)
        for i in 0..<50 { try zone.set("k\(i)", "v\(i)") }
        let pid = mg_fork()
        if pid == 0 {
            mg_shm_test_die_holding_lock(zone.raw, 0)
            _exit(0)
        }
        let status = Self.wait(pid)
        #expect(mg_wifsignaled(status) != 0 && mg_wtermsig(status) == SIGKILL)
        #expect(try zone.string("k7") == "v7")
        let s = zone.stats
        #expect(s.repairs == 1 && s.rebuilds == 0 && s.items == 50)
        try zone.set("after", "ok")
        #expect(zone.validate() == 0)
    }

    @Test func lockHolderKilledMidUpdateIsRebuilt() throws {
        let (zone, _) = try makeZone(size: 64 << 10)
        for i in 0..<50 { try zone.set("k\(i)", "v\(i)") }
        _ = try zone.push(left: true, "list", .string("a"))
        _ = try zone.push(left: true, "list", .string("b"))
        let pid = mg_fork()
        if pid == 0 {
            mg_shm_test_die_holding_lock(zone.raw, 1)
            _exit(0)
        }
        _ = Self.wait(pid)
        #expect(zone.validate() == 0)
        let s = zone.stats
        #expect(s.repairs == 1 && s.rebuilds == 1 && s.items == 51)
        for i in 0..<50 { #expect(try zone.string("k\(i)") == "v\(i)") }
        #expect(try zone.llen("list") == 2 && zone.pop(left: true, "list").string == "b")
        try zone.set("after", String(repeating: "x", count: 1000))
        #expect(zone.validate() == 0)
    }

    @Test func lockHolderKilledButNotYetReapedIsTakenOver() throws {
        let (zone, _) = try makeZone(size: 64 << 10)
        try zone.set("k", "v")
        let pid = mg_fork()
        if pid == 0 {
            mg_shm_test_die_holding_lock(zone.raw, 0)
            _exit(0)
        }
        // The holder is a zombie until reaped: the next locker must not wait for it.
        var zombie = false
        for _ in 0..<500 where !zombie {
            if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            {
                zombie = stat[stat.index(close, offsetBy: 2)] == "Z"
            }
            if !zombie { usleep(2_000) }
        }
        #expect(zombie)
        try zone.set("after", "ok")
        #expect(try zone.string("k") == "v")
        #expect(zone.stats.repairs == 1)
        _ = Self.wait(pid)
    }

    @Test func waiterKilledAsleepLeavesNoLastingCost() throws {
        let (zone, _) = try makeZone(size: 64 << 10)
        #expect(mg_shm_lock(zone.raw) == 0)
        let pid = mg_fork()
        if pid == 0 {
            _ = mg_shm_lock(zone.raw)  // sleeps: the parent holds the lock
            _exit(0)
        }
        var waiting = false
        for _ in 0..<500 where !waiting {
            waiting = zone.raw.pointee.lock_waiters > 0
            if !waiting { usleep(2_000) }
        }
        #expect(waiting)
        kill(pid, SIGKILL)
        _ = Self.wait(pid)
        mg_shm_unlock(zone.raw)
        #expect(zone.raw.pointee.lock_waiters == 1)
        mg_shm_process_died(zone.raw)
        #expect(zone.raw.pointee.lock_waiters == 0)
        try zone.set("after", "ok")
        #expect(try zone.string("after") == "ok")
    }
}
