import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// Worker memory must not grow with the number of connections served: each closed
/// connection frees its handler, channel, buffers and request. The leak this guards
/// against (a handler ↔ ChannelHandlerContext cycle) cost about 1.7 KB per connection.
final class ConnectionLeakTests: XCTestCase {
    private func config(_ h: BinaryHarness) -> String {
        """
        daemon off;
        master_process on;
        worker_processes 1;
        error_log \(h.prefix)logs/error.log warn;
        pid \(h.prefix)logs/nginx.pid;
        events { worker_connections 1024; }
        http {
            access_log off;
            server {
                listen 127.0.0.1:\(h.port);
                location = /t { return 200 "v1"; }
                location = /sleep { content_by_lua_block { ngx.sleep(0.05) ngx.say("late") } }
            }
        }

        """
    }

    private func rssKB(_ pid: pid_t) -> Int {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]) ?? 0
        }
        return 0
    }

    /// Connects, sends a request and closes at once, without reading.
    private func abortedRequest(_ h: BinaryHarness, path: String) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(h.port).bigEndian
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else { return }
        let req = "GET \(path) HTTP/1.1\r\nHost: localhost\r\n\r\n"
        _ = req.withCString { send(fd, $0, strlen($0), 0) }
    }

    /// RSS growth in KB over `count` runs of `body`, after a warm-up of `count / 2`.
    private func growth(_ h: BinaryHarness, worker: pid_t, count: Int, settle: Double = 0.3,
                        _ body: () -> Void) -> Int {
        for _ in 0..<count / 2 { body() }
        Thread.sleep(forTimeInterval: settle)
        let before = rssKB(worker)
        for _ in 0..<count { body() }
        Thread.sleep(forTimeInterval: settle)
        return rssKB(worker) - before
    }

    func testClosedConnectionsAreFreed() throws {
        let h = try BinaryHarness()
        try h.writeConfig(config(h))
        try h.start()
        defer { h.stop() }
        guard let worker = h.workerPids().first else { return XCTFail("no worker") }
        var failed = 0
        let kb = growth(h, worker: worker, count: 3000) {
            if h.get("/t") != "v1" { failed += 1 }
        }
        XCTAssertEqual(failed, 0)
        // The leak grew the worker by about 5 MB over 3,000 connections.
        XCTAssertLessThan(kb, 1024, "worker RSS grew \(kb) KB over 3,000 connections")
    }

    func testAbortedRequestsAreFreed() throws {
        let h = try BinaryHarness()
        try h.writeConfig(config(h))
        try h.start()
        defer { h.stop() }
        guard let worker = h.workerPids().first else { return XCTFail("no worker") }
        // The request outlives its connection (the client is gone while Lua sleeps).
        let kb = growth(h, worker: worker, count: 2000, settle: 1.0) {
            abortedRequest(h, path: "/sleep")
        }
        XCTAssertEqual(h.workerPids(), [worker], "the worker died: \(h.errorLog())")
        XCTAssertEqual(h.get("/t"), "v1")
        XCTAssertLessThan(kb, 1024, "worker RSS grew \(kb) KB over 2,000 aborted requests")
    }
}
