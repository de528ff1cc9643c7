import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `proxy_buffering on` with a client that does not read: the response spills into an
/// unlinked temp file (or, with `proxy_max_temp_file_size 0`, the upstream waits) instead
/// of growing the worker's memory by its size (bench/tools/slow_download.py measures the
/// same at 200 MB).
@Suite(.serialized) struct ProxyBufferingTests {
    typealias S = ProxyStreamingTests

    /// A backend that sends `size` bytes as fast as the proxy takes them.
    static func backend(size: Int, written: S.Counter) -> (fd: Int32, port: Int) {
        let (lfd, lport) = S.listener()
        Thread.detachNewThread {
            let c = accept(lfd, nil, nil)
            guard c >= 0 else { return }
            defer { close(c) }
            _ = S.readHead(c)
            let head = "HTTP/1.1 200 OK\r\nContent-Length: \(size)\r\nConnection: close\r\n\r\n"
            _ = head.withCString { send(c, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
            let piece = [UInt8](repeating: 121, count: 65536)
            while written.value < size {
                let n = piece.withUnsafeBytes {
                    send(c, $0.baseAddress, min($0.count, size - written.value), Int32(MSG_NOSIGNAL))
                }
                if n <= 0 { break }
                written.add(n)
            }
        }
        return (lfd, lport)
    }

    /// Sends a GET, skips the head, waits, then reads the rest: the body bytes received.
    static func slowGet(_ port: Int, pause: UInt32, during: () -> Void) -> Int {
        let fd = S.connectTo(port)
        defer { close(fd) }
        let req = "GET /p HTTP/1.0\r\nHost: x\r\n\r\n"
        _ = req.withCString { send(fd, $0, strlen($0), 0) }
        var got = S.readHead(fd).count
        usleep(pause)
        during()
        var buf = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = recv(fd, &buf, buf.count, 0)
            if n <= 0 { break }
            got += n
        }
        return got
    }

    func start(backend: Int, location: String, _ h: BinaryHarness) throws {
        try h.writeConfig(
            """
            daemon off;
            master_process off;
            error_log \(h.prefix)logs/error.log info;
            pid \(h.prefix)logs/nginx.pid;
            events { worker_connections 64; }
            http {
                access_log off;
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
    }

    static func entries(_ dir: String) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? ["<missing>"]
    }

    @Test func bufferedResponseSpillsToATempFile() throws {
        let size = 96 << 20
        let written = S.Counter()
        let (lfd, lport) = Self.backend(size: size, written: written)
        defer { close(lfd) }
        let h = try BinaryHarness()
        defer { h.stop() }
        try start(backend: lport, location: "", h)
        let pid = h.masterPid
        let base = S.rssKB(pid)
        #expect(Self.entries(h.prefix + "proxy_temp") == [])
        var peak = 0
        let got = Self.slowGet(h.port, pause: 1_000_000) {
            // The whole response was read from the upstream into the (unlinked) file.
            #expect(h.eventually(5) { written.value == size })
            peak = S.rssKB(pid)
            #expect(Self.entries(h.prefix + "proxy_temp") == [])
        }
        #expect(got == size)
        // Before: RSS grew by the response size (about 96 MB).
        #expect(peak - base < 12 << 10, "RSS grew \(peak - base) KB")
    }

    @Test func zeroMaxTempFileSizePausesTheUpstream() throws {
        let size = 96 << 20
        let written = S.Counter()
        let (lfd, lport) = Self.backend(size: size, written: written)
        defer { close(lfd) }
        let h = try BinaryHarness()
        defer { h.stop() }
        try start(backend: lport, location: "proxy_max_temp_file_size 0; proxy_read_timeout 500ms;", h)
        let pid = h.masterPid
        let base = S.rssKB(pid)
        var peak = 0
        let got = Self.slowGet(h.port, pause: 1_500_000) {
            peak = S.rssKB(pid)
            // Socket buffers on loopback hold a few MB; the rest waits in the backend.
            #expect(written.value < 48 << 20, "the backend wrote \(written.value >> 20) MB")
        }
        // proxy_read_timeout (500ms) did not fire while the client was the slow one.
        #expect(got == size)
        #expect(!h.errorLog().contains("upstream timed out"))
        #expect(peak - base < 12 << 10, "RSS grew \(peak - base) KB")
    }

    @Test func missingTempPathEndsTheResponse() throws {
        let size = 96 << 20
        let written = S.Counter()
        let (lfd, lport) = Self.backend(size: size, written: written)
        defer { close(lfd) }
        let h = try BinaryHarness()
        defer { h.stop() }
        try start(backend: lport, location: "proxy_temp_path \(h.prefix)ptemp;", h)
        #expect(Self.entries(h.prefix + "ptemp") == [])
        rmdir(h.prefix + "ptemp")
        let got = Self.slowGet(h.port, pause: 500_000) {}
        #expect(got < size)
        #expect(h.errorLog().contains("ptemp/"))
        #expect(h.errorLog().contains("failed (2: No such file or directory) while reading upstream"))
    }

    @Test func drainedResponseKeepsTheConnectionAlive() throws {
        let size = 16 << 20
        let written = S.Counter()
        let (lfd, lport) = Self.backend(size: size, written: written)
        defer { close(lfd) }
        let h = try BinaryHarness()
        defer { h.stop() }
        try start(backend: lport, location: "proxy_temp_file_write_size 64k;", h)
        let fd = S.connectTo(h.port)
        defer { close(fd) }
        let req = "GET /p HTTP/1.1\r\nHost: x\r\n\r\n"
        _ = req.withCString { send(fd, $0, strlen($0), 0) }
        var got = S.readHead(fd).count
        #expect(h.eventually(5) { written.value == size })
        var buf = [UInt8](repeating: 0, count: 1 << 20)
        while got < size {
            let n = recv(fd, &buf, min(buf.count, size - got), 0)
            if n <= 0 { break }
            got += n
        }
        #expect(got == size)
        // The end went out after the file drained; the connection takes the next request.
        let next = "GET /t HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        _ = next.withCString { send(fd, $0, strlen($0), 0) }
        #expect(String(decoding: S.readHead(fd), as: UTF8.self) == "up")
    }

    @Test func sendTimeoutEndsAPausedResponse() throws {
        let written = S.Counter()
        let (lfd, lport) = Self.backend(size: 256 << 20, written: written)
        defer { close(lfd) }
        let h = try BinaryHarness()
        defer { h.stop() }
        try start(backend: lport, location: "proxy_max_temp_file_size 0; send_timeout 300ms;", h)
        let fd = S.connectTo(h.port)
        defer { close(fd) }
        let req = "GET /p HTTP/1.0\r\nHost: x\r\n\r\n"
        _ = req.withCString { send(fd, $0, strlen($0), 0) }
        _ = S.readHead(fd)
        let line = "client timed out (110: Connection timed out) while sending to client"
        #expect(h.eventually(5) { h.errorLog().contains(line) })
        #expect(!h.errorLog().contains("upstream timed out"))
    }
}
