import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue 6's rolling restart: three backends under steady load through
/// `proxy_next_upstream error timeout http_502`; each backend is stopped and started
/// again in turn, and the client must see no failed request.
@Suite(.serialized) struct RollingRestartTests {
    @Test func clientSeesNoFailureWhileBackendsRestartInTurn() throws {
        let backends = try (0..<3).map { _ in try BinaryHarness() }
        for (i, b) in backends.enumerated() {
            try b.writeConfig(b.config(body: "b\(i)", master: false, workers: 1))
            try b.start()
        }
        let proxy = try BinaryHarness()
        let servers = backends.map { "        server 127.0.0.1:\($0.port) max_fails=1 fail_timeout=1s;" }
            .joined(separator: "\n")
        try proxy.writeConfig(
            """
            daemon off;
            master_process off;
            worker_processes 1;
            error_log \(proxy.prefix)logs/error.log warn;
            pid \(proxy.prefix)logs/nginx.pid;
            events { worker_connections 256; }
            http {
                access_log off;
                upstream backends {
            \(servers)
                    keepalive 16;
                }
                server {
                    listen 127.0.0.1:\(proxy.port);
                    location = /t {
                        proxy_pass http://backends;
                        proxy_http_version 1.1;
                        proxy_set_header Connection "";
                        proxy_next_upstream error timeout http_502;
                        proxy_connect_timeout 1s;
                        proxy_read_timeout 2s;
                    }
                }
            }

            """)
        try proxy.start()
        defer {
            proxy.stop()
            for b in backends { b.stop() }
        }

        final class Counters: @unchecked Sendable {
            let lock = NSLock()
            var ok = 0
            var failed = 0
            var seen = Set<String>()
            var running = true
        }
        let c = Counters()
        let lock = c.lock
        let group = DispatchGroup()
        for _ in 0..<4 {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                while true {
                    lock.lock()
                    let go = c.running
                    lock.unlock()
                    if !go { break }
                    let body = proxy.get("/t")
                    lock.lock()
                    if let body {
                        c.ok += 1
                        c.seen.insert(body)
                    } else {
                        c.failed += 1
                    }
                    lock.unlock()
                    usleep(2_000)
                }
            }
        }
        usleep(300_000)
        for b in backends {
            b.stop()
            usleep(500_000)
            try b.start()
            usleep(500_000)
        }
        lock.lock()
        c.running = false
        lock.unlock()
        group.wait()
        #expect(c.failed == 0, "failed requests during the rolling restart: \(c.failed) of \(c.ok + c.failed)")
        #expect(c.ok > 100, "too little load: \(c.ok)")
        #expect(c.seen == ["b0", "b1", "b2"], "every backend served: \(c.seen)")
    }
}
