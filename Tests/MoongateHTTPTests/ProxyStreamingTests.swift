import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Memory bounds of the proxy's streaming paths, measured on the real binary: a body
/// through `proxy_request_buffering off` and a response through `proxy_buffering off`
/// to a client that does not read must not grow the server's RSS by their size
/// (bench/tools/stream_upload.py and slow_download.py measure the same at 200 MB).
@Suite(.serialized) struct ProxyStreamingTests {
    /// A listening socket on 127.0.0.1 with a port the kernel picked.
    static func listener() -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        listen(fd, 8)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        return (fd, Int(UInt16(bigEndian: addr.sin_port)))
    }

    static func connectTo(_ port: Int) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var tv = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        _ = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        return fd
    }

    /// Reads up to the end of a request or response head; returns what followed it.
    static func readHead(_ fd: Int32) -> [UInt8] {
        var data = [UInt8]()
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buf, buf.count, 0)
            if n <= 0 { return [] }
            data += buf[0..<n]
            if let r = String(decoding: data, as: UTF8.self).range(of: "\r\n\r\n") {
                let headLen = String(decoding: data, as: UTF8.self)[..<r.upperBound].utf8.count
                return Array(data[headLen...])
            }
        }
    }

    static func rssKB(_ pid: pid_t) -> Int {
        guard let s = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
        for line in s.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]) ?? 0
        }
        return 0
    }

    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var n = 0
        func add(_ k: Int) { lock.withLock { n += k } }
        var value: Int { lock.withLock { n } }
    }

    func startServer(backend: Int, location: String) throws -> BinaryHarness {
        let h = try BinaryHarness()
        try h.writeConfig(
            """
            daemon off;
            master_process off;
            error_log \(h.prefix)logs/error.log info;
            pid \(h.prefix)logs/nginx.pid;
            events { worker_connections 64; }
            http {
                access_log off;
                client_max_body_size 0;
                server {
                    listen 127.0.0.1:\(h.port);
                    location = /t { return 200 "up"; }
                    location /p {
                        \(location)
                        proxy_pass http://127.0.0.1:\(backend);
                    }
                }
            }

            """)
        try h.start()
        return h
    }

    @Test func unbufferedUploadKeepsMemoryFlat() throws {
        let size = 24 << 20
        let (lfd, lport) = Self.listener()
        defer { close(lfd) }
        let received = Counter()
        Thread.detachNewThread {
            let c = accept(lfd, nil, nil)
            guard c >= 0 else { return }
            defer { close(c) }
            received.add(Self.readHead(c).count)
            var buf = [UInt8](repeating: 0, count: 65536)
            while received.value < size {
                let n = recv(c, &buf, buf.count, 0)
                if n <= 0 { break }
                received.add(n)
            }
            let body = "got \(received.value)"
            let resp = "HTTP/1.1 200 OK\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
            _ = resp.withCString { send(c, $0, strlen($0), 0) }
        }
        let h = try startServer(backend: lport, location: "proxy_request_buffering off;")
        defer { h.stop() }
        let pid = h.masterPid
        let base = Self.rssKB(pid)
        let fd = Self.connectTo(h.port)
        defer { close(fd) }
        let head = "PUT /p HTTP/1.1\r\nHost: x\r\nContent-Length: \(size)\r\nConnection: close\r\n\r\n"
        _ = head.withCString { send(fd, $0, strlen($0), 0) }
        let piece = [UInt8](repeating: 120, count: 256 << 10)
        var sent = 0
        var peak = base
        while sent < size {
            let n = piece.withUnsafeBytes { send(fd, $0.baseAddress, min($0.count, size - sent), 0) }
            if n <= 0 { break }
            sent += n
            peak = max(peak, Self.rssKB(pid))
        }
        let rest = Self.readHead(fd)
        peak = max(peak, Self.rssKB(pid))
        #expect(String(decoding: rest, as: UTF8.self).hasPrefix("got \(size)"))
        // Before streaming, the body was kept (twice): RSS grew by about 2 x 24 MB.
        #expect(peak - base < 12 << 10, "RSS grew \(peak - base) KB for a \(size >> 20) MB body")
    }

    @Test func unbufferedResponseWaitsForTheClient() throws {
        let size = 96 << 20
        let (lfd, lport) = Self.listener()
        defer { close(lfd) }
        let written = Counter()
        Thread.detachNewThread {
            let c = accept(lfd, nil, nil)
            guard c >= 0 else { return }
            defer { close(c) }
            _ = Self.readHead(c)
            let head = "HTTP/1.1 200 OK\r\nContent-Length: \(size)\r\nConnection: close\r\n\r\n"
            _ = head.withCString { send(c, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
            let piece = [UInt8](repeating: 121, count: 65536)
            while written.value < size {
                let n = piece.withUnsafeBytes { send(c, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if n <= 0 { break }
                written.add(n)
            }
        }
        let h = try startServer(backend: lport, location: "proxy_buffering off;")
        defer { h.stop() }
        let pid = h.masterPid
        let base = Self.rssKB(pid)
        let fd = Self.connectTo(h.port)
        defer { close(fd) }
        let req = "GET /p HTTP/1.0\r\nHost: x\r\n\r\n"
        _ = req.withCString { send(fd, $0, strlen($0), 0) }
        _ = Self.readHead(fd)
        // The client reads nothing more for a second.
        usleep(1_000_000)
        let peak = Self.rssKB(pid)
        // Socket buffers on loopback hold a few MB; the rest must wait in the backend.
        #expect(written.value < 48 << 20, "the backend wrote \(written.value >> 20) MB to a client that read none")
        #expect(peak - base < 12 << 10, "RSS grew \(peak - base) KB")
    }

    @Test func sendTimeoutEndsAThrottledResponse() throws {
        let (lfd, lport) = Self.listener()
        defer { close(lfd) }
        let backendDone = Counter()
        Thread.detachNewThread {
            let c = accept(lfd, nil, nil)
            guard c >= 0 else { return }
            defer { close(c) }
            _ = Self.readHead(c)
            let head = "HTTP/1.1 200 OK\r\nContent-Length: \(256 << 20)\r\nConnection: close\r\n\r\n"
            _ = head.withCString { send(c, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
            let piece = [UInt8](repeating: 121, count: 65536)
            while true {
                let n = piece.withUnsafeBytes { send(c, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if n <= 0 { break }
            }
            backendDone.add(1)
        }
        let h = try startServer(backend: lport, location: "proxy_buffering off; send_timeout 300ms;")
        defer { h.stop() }
        let fd = Self.connectTo(h.port)
        defer { close(fd) }
        let req = "GET /p HTTP/1.0\r\nHost: x\r\n\r\n"
        _ = req.withCString { send(fd, $0, strlen($0), 0) }
        _ = Self.readHead(fd)
        // nginx's send_timeout runs while the proxy waits for the client; the upstream
        // connection closes with the client's.
        #expect(h.eventually(5) { h.errorLog().contains("client timed out (110: Connection timed out) while sending to client") })
        #expect(h.eventually(5) { backendDone.value == 1 })
    }
}
