import Foundation
import Testing

/// Master and workers: respawn, reload, graceful stop, log reopening.
@Suite(.serialized) struct ProcessTests {
    @Test func masterServesWithTwoWorkers() throws {
        let h = try BinaryHarness()
        try h.writeConfig(h.config(workers: 2))
        try h.start()
        defer { h.stop() }
        #expect(h.eventually(5) { h.workerPids().count == 2 })
        #expect(h.get("/t") == "v1")
        // $pid is a worker's pid, never the master's.
        let pid = h.get("/pid").flatMap { Int32($0) }
        #expect(pid != nil && pid != h.masterPid)
        #expect(pid.map { h.workerPids().contains($0) } == true)
    }

    @Test func killedWorkerIsLoggedAndRespawned() throws {
        let h = try BinaryHarness()
        try h.writeConfig(h.config(workers: 2))
        try h.start()
        defer { h.stop() }
        #expect(h.eventually(5) { h.workerPids().count == 2 })
        let before = h.workerPids()
        guard let victim = before.first else { return }
        kill(victim, SIGKILL)
        #expect(h.eventually(5) { h.errorLog().contains("worker process \(victim) exited on signal 9") })
        #expect(h.errorLog().contains("signal 17 (SIGCHLD) received from \(victim)"))
        #expect(h.errorLog().contains("[alert]"))
        #expect(h.eventually(5) {
            let now = h.workerPids()
            return now.count == 2 && !now.contains(victim)
        })
        #expect(h.get("/t") == "v1")
    }

    @Test func reloadWithGoodConfigSwitches() throws {
        let h = try BinaryHarness()
        try h.writeConfig(h.config(body: "old", workers: 2))
        try h.start()
        defer { h.stop() }
        let oldWorkers = h.workerPids()
        try h.writeConfig(h.config(body: "new", workers: 2))
        h.signal(SIGHUP)
        #expect(h.eventually(8) { h.get("/t") == "new" })
        // Old workers go away, new ones take their place.
        #expect(h.eventually(8) {
            let now = h.workerPids()
            return now.count == 2 && Set(now).isDisjoint(with: oldWorkers)
        })
        #expect(h.errorLog().contains("signal 1 (SIGHUP) received from \(getpid()), reconfiguring"))
        #expect(h.errorLog().contains("] \(h.masterPid)#\(h.masterPid): reconfiguring"))
    }

    @Test func reloadWithBadConfigKeepsServing() throws {
        let h = try BinaryHarness()
        try h.writeConfig(h.config(body: "kept", workers: 1))
        try h.start()
        defer { h.stop() }
        try h.writeConfig("events {}\nhttp {\n    bogus_directive;\n}\n")
        h.signal(SIGHUP)
        #expect(h.eventually(5) {
            h.errorLog().contains("[emerg]") && h.errorLog().contains("unknown directive \"bogus_directive\" in \(h.confPath):3")
        })
        #expect(h.get("/t") == "kept")
        #expect(h.workerPids().count == 1)
    }

    @Test func quitStopsQuickly() throws {
        let h = try BinaryHarness()
        try h.writeConfig(h.config(workers: 2))
        try h.start()
        let workers = h.workerPids()
        h.signal(SIGQUIT)
        #expect(h.waitExit(seconds: 3))
        #expect(h.eventually(2) { workers.allSatisfy { kill($0, 0) != 0 } })
        #expect(!FileManager.default.fileExists(atPath: h.prefix + "logs/nginx.pid"))
        h.stop()
    }

    /// nginx's master and workers close their listening sockets on QUIT
    /// (ngx_close_listening_sockets): new connections are refused at once while the
    /// requests in flight finish. A copy kept open by the master would go on completing
    /// handshakes that nobody accepts, and clients would hang.
    @Test func quitClosesTheListeningSocketWhileRequestsFinish() throws {
        let h = try BinaryHarness()
        let conf = h.config(workers: 1).replacingOccurrences(
            of: "location = /t {",
            with: "location = /slow { content_by_lua_block { ngx.sleep(3) ngx.print(\"done\") } }\n        location = /t {")
        try h.writeConfig(conf)
        try h.start()
        defer { h.stop() }
        #expect(h.eventually(5) { h.get("/t") == "v1" })
        let busy = ProxyStreamingTests.connectTo(h.port)
        defer { close(busy) }
        let req = "GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        _ = req.withCString { send(busy, $0, strlen($0), 0) }
        usleep(200_000)
        h.signal(SIGQUIT)
        // Refused once the master and the worker have handled the signal, while the
        // request in flight still sleeps.
        #expect(h.eventually(1.5) {
            let c = BinaryHarness.connectLoopback(h.port)
            if c.fd >= 0 { close(c.fd) }
            return c.error == ECONNREFUSED
        })
        // The request in flight still gets its response.
        var data = [UInt8]()
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(busy, &buf, buf.count, 0)
            if n <= 0 { break }
            data += buf[0..<n]
        }
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 200"))
        #expect(text.contains("done"))
        #expect(h.waitExit(seconds: 5))
    }

    @Test func usr1ReopensLogs() throws {
        let h = try BinaryHarness()
        try h.writeConfig(h.config(workers: 1))
        try h.start()
        defer { h.stop() }
        let fm = FileManager.default
        try fm.moveItem(atPath: h.prefix + "logs/error.log", toPath: h.prefix + "logs/error.log.1")
        try fm.moveItem(atPath: h.prefix + "logs/access.log", toPath: h.prefix + "logs/access.log.1")
        h.signal(SIGUSR1)
        #expect(h.eventually(5) { fm.fileExists(atPath: h.prefix + "logs/error.log") })
        // The worker reopens on its own signal a moment after the master: wait for both
        // "reopening logs" lines, or the request may still be logged to the moved file.
        #expect(h.eventually(5) {
            let old = (try? String(contentsOfFile: h.prefix + "logs/error.log.1", encoding: .utf8)) ?? ""
            return old.components(separatedBy: ": reopening logs").count - 1 >= 2
        })
        #expect(h.get("/t") == "v1")
        #expect(h.eventually(5) {
            ((try? String(contentsOfFile: h.prefix + "logs/access.log", encoding: .utf8)) ?? "").contains("GET /t")
        })
        let old = (try? String(contentsOfFile: h.prefix + "logs/error.log.1", encoding: .utf8)) ?? ""
        #expect(old.contains("signal 10 (SIGUSR1) received from \(getpid()), reopening logs"))
    }
}
