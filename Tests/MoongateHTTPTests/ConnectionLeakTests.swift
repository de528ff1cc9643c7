import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// Worker memory must not grow with the number of connections served: each closed
/// connection frees its handler, channel, buffers and request. The leak this guards
/// against (a handler ↔ ChannelHandlerContext cycle) cost about 1.7 KB per connection.
final class ConnectionLeakTests: XCTestCase {
    private func config(_ h: BinaryHarness, keepalive: String = "75s") -> String {
        """
        daemon off;
        master_process on;
        worker_processes 1;
        error_log \(h.prefix)logs/error.log warn;
        pid \(h.prefix)logs/nginx.pid;
        events { worker_connections 1024; }
        http {
            access_log off;
            keepalive_timeout \(keepalive);
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
        let (fd, error) = BinaryHarness.connectLoopback(h.port)
        guard fd >= 0 else { return }
        defer { close(fd) }
        guard error == 0 else { return }
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

    /// A keep-alive connection: one request sent and its response read; nil on failure.
    private func keepAliveConnection(_ h: BinaryHarness) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        var tv = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(h.port).bigEndian
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0, request(fd) else {
            close(fd)
            return nil
        }
        return fd
    }

    /// Sends GET /t on `fd` and reads the whole (small) response.
    private func request(_ fd: Int32) -> Bool {
        let req = "GET /t HTTP/1.1\r\nHost: localhost\r\n\r\n"
        _ = req.withCString { send(fd, $0, strlen($0), 0) }
        var buf = [UInt8](repeating: 0, count: 4096)
        let n = recv(fd, &buf, buf.count, 0)
        return n > 0 && String(decoding: buf[0..<n], as: UTF8.self).hasSuffix("\r\n\r\nv1")
    }

    /// When the server closed each of `fds` (recv gives 0), waiting up to 5 s.
    private func closeTimes(_ fds: [Int32]) -> [Date?] {
        var closed = [Date?](repeating: nil, count: fds.count)
        let deadline = Date().addingTimeInterval(5)
        while closed.contains(where: { $0 == nil }) && Date() < deadline {
            var pfds = fds.enumerated().filter { closed[$0.offset] == nil }
                .map { pollfd(fd: $0.element, events: Int16(POLLIN), revents: 0) }
            guard poll(&pfds, nfds_t(pfds.count), 100) > 0 else { continue }
            var buf = [UInt8](repeating: 0, count: 16)
            for p in pfds where p.revents != 0 {
                guard let i = fds.firstIndex(of: p.fd) else { continue }
                if recv(p.fd, &buf, buf.count, 0) <= 0 { closed[i] = Date() }
            }
        }
        return closed
    }

    /// keepalive_timeout closes each idle connection on time, all sharing one timer;
    /// a request on a connection starts its idle time again.
    func testIdleKeepaliveTimeouts() throws {
        let h = try BinaryHarness()
        try h.writeConfig(config(h, keepalive: "1s"))
        try h.start()
        defer { h.stop() }
        var conns: [(fd: Int32, start: Date)] = []
        for _ in 0..<20 {
            guard let fd = keepAliveConnection(h) else { return XCTFail("connection failed") }
            conns.append((fd, Date()))
            usleep(25_000)
        }
        defer { for c in conns { close(c.fd) } }
        // The first one is used again after 0.5 s: it closes 1 s after that request.
        XCTAssertTrue(request(conns[0].fd))
        conns[0].start = Date()
        let closed = closeTimes(conns.map(\.fd))
        for (i, c) in conns.enumerated() {
            let s = closed[i].map { $0.timeIntervalSince(c.start) } ?? -1
            XCTAssertGreaterThan(s, 0.9, "connection \(i) closed after \(s) s")
            XCTAssertLessThan(s, 1.6, "connection \(i) closed after \(s) s")
        }
    }
}
