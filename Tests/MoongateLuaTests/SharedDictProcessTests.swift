import Foundation
import Testing

/// Runs the real binary with two workers and checks that the shared dictionary is
/// shared: concurrent `incr` from both workers ends at the exact total, and a
/// `lpush`/`rpop` queue across workers loses and duplicates nothing.
@Suite(.serialized) struct SharedDictProcessTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    /// A free port on 127.0.0.1.
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_addr.s_addr = inet_addr("127.0.0.1")
        a.sin_port = 0
        _ = withUnsafePointer(to: &a) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &a) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        return Int(UInt16(bigEndian: a.sin_port))
    }

    /// One HTTP/1.0 GET on a new connection; returns the body.
    static func get(_ port: Int, _ path: String) -> String? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_addr.s_addr = inet_addr("127.0.0.1")
        a.sin_port = in_port_t(UInt16(port).bigEndian)
        let rc = withUnsafePointer(to: &a) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { return nil }
        let req = "GET \(path) HTTP/1.0\r\nHost: localhost\r\n\r\n"
        _ = req.withCString { send(fd, $0, strlen($0), 0) }
        var data = [UInt8]()
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buf, 4096, 0)
            if n <= 0 { break }
            data += buf[0..<n]
        }
        let text = String(decoding: data, as: UTF8.self)
        guard let r = text.range(of: "\r\n\r\n") else { return nil }
        return String(text[r.upperBound...])
    }

    static func withServer(_ body: (Int) throws -> Void) throws {
        try withServer { port, _, _ in try body(port) }
    }

    static func withServer(_ body: (Int, String, pid_t) throws -> Void) throws {
        let prefix = NSTemporaryDirectory() + "mg-shdict-\(getpid())-\(Int.random(in: 0..<1_000_000))/"
        try FileManager.default.createDirectory(atPath: prefix + "conf", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: prefix + "logs", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: prefix) }
        let port = freePort()
        let conf = """
            worker_processes 2;
            daemon on;
            master_process on;
            error_log logs/error.log warn;
            pid logs/nginx.pid;
            events { worker_connections 256; }
            http {
                access_log off;
                lua_shared_dict d 1m;
                server {
                    listen 127.0.0.1:\(port);
                    location = /incr { content_by_lua_block { ngx.say(ngx.shared.d:incr("n", 1, 0), " ", ngx.worker.pid()) } }
                    location = /get { content_by_lua_block { ngx.say(ngx.shared.d:get("n")) } }
                    location = /push { content_by_lua_block { ngx.shared.d:lpush("q", ngx.var.arg_v); ngx.say(ngx.worker.pid()) } }
                    location = /pop { content_by_lua_block { ngx.say(ngx.shared.d:rpop("q"), " ", ngx.worker.pid()) } }
                }
            }
            """
        try conf.write(toFile: prefix + "conf/nginx.conf", atomically: true, encoding: .utf8)
        let bin = root + "/.build/debug/moongate"
        #expect(FileManager.default.isExecutableFile(atPath: bin), "build the binary first: \(bin)")
        // posix_spawn + waitpid: Foundation's Process can hang when suites spawn at once.
        let args: [String] = [bin, "-p", prefix, "-c", "conf/nginx.conf"]
        let argv: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        var child: pid_t = 0
        #expect(posix_spawn(&child, bin, nil, nil, argv, environ) == 0)
        var st: Int32 = 0
        while waitpid(child, &st, 0) < 0 && errno == EINTR {}
        #expect(st == 0, "daemon start failed")
        let pidText = (try? String(contentsOfFile: prefix + "logs/nginx.pid", encoding: .utf8)) ?? ""
        let pid = pid_t(pidText.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        #expect(pid > 0)
        defer {
            if pid > 0 {
                kill(pid, SIGQUIT)
                for _ in 0..<60 where kill(pid, 0) == 0 { usleep(50_000) }
                if kill(pid, 0) == 0 { kill(pid, SIGKILL) }
            }
        }
        try body(port, prefix, pid)
    }

    @Test func zonesSurviveReloadUnlessTheirSizeChanges() throws {
        try Self.withServer { port, prefix, pid in
            _ = Self.get(port, "/incr")
            _ = Self.get(port, "/incr")
            kill(pid, SIGHUP)
            usleep(800_000)
            #expect(Self.get(port, "/get") == "2\n", "same name and size: the zone and its data are kept")
            let conf = try String(contentsOfFile: prefix + "conf/nginx.conf", encoding: .utf8)
            try conf.replacingOccurrences(of: "lua_shared_dict d 1m;", with: "lua_shared_dict d 2m;")
                .write(toFile: prefix + "conf/nginx.conf", atomically: true, encoding: .utf8)
            kill(pid, SIGHUP)
            usleep(800_000)
            #expect(Self.get(port, "/get") == "nil\n", "a changed size is a new zone")
        }
    }

    @Test func concurrentIncrFromTwoWorkersIsExact() throws {
        try Self.withServer { port in
            let total = 400
            let lock = NSLock()
            var pids = Set<String>()
            var failures = 0
            DispatchQueue.concurrentPerform(iterations: 8) { _ in
                for _ in 0..<(total / 8) {
                    if let body = Self.get(port, "/incr") {
                        let parts = body.split(separator: " ")
                        lock.lock()
                        if parts.count == 2 { pids.insert(String(parts[1])) } else { failures += 1 }
                        lock.unlock()
                    } else {
                        lock.lock()
                        failures += 1
                        lock.unlock()
                    }
                }
            }
            #expect(failures == 0)
            #expect(pids.count == 2, "both workers should have served: \(pids)")
            #expect(Self.get(port, "/get") == "\(total)\n")
        }
    }

    @Test func queueAcrossWorkersLosesAndDuplicatesNothing() throws {
        try Self.withServer { port in
            let n = 200
            DispatchQueue.concurrentPerform(iterations: 4) { k in
                for i in 0..<(n / 4) { _ = Self.get(port, "/push?v=\(k * 1000 + i)") }
            }
            let lock = NSLock()
            var seen: [String] = []
            DispatchQueue.concurrentPerform(iterations: 4) { _ in
                for _ in 0..<(n / 4) {
                    let body = Self.get(port, "/pop") ?? ""
                    let v = String(body.split(separator: " ").first ?? "")
                    lock.lock()
                    seen.append(v)
                    lock.unlock()
                }
            }
            #expect(seen.count == n)
            #expect(Set(seen).count == n, "duplicates or losses: \(seen.count - Set(seen).count)")
            #expect(!seen.contains("nil"))
            #expect(Self.get(port, "/pop")?.hasPrefix("nil ") == true)
        }
    }
}
