import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Test::Nginx's mock TCP server (`--- tcp_listen`, `--- tcp_query_len`, `--- tcp_reply`,
/// `--- tcp_reply_delay`, `--- tcp_no_close`): on 127.0.0.1 it accepts connections, reads
/// `tcp_query_len` bytes of each (none when not given), waits `tcp_reply_delay`, writes
/// the reply, and closes unless `tcp_no_close`.
/// An upstream that stops reading, or hangs up in the middle of a request, for specs.
public final class TCPMock: @unchecked Sendable {
    /// What the block asked for.
    public struct Spec: Sendable {
        public var port: Int
        public var queryLength: Int?
        public var reply: [UInt8]?
        public var noClose: Bool
        /// Seconds to wait before the reply.
        public var replyDelay: Double = 0
    }

    let spec: Spec
    private var listenFd: Int32 = -1
    /// Guards `open` and `stopped`; connection threads wait on it for the stop.
    private let cond = NSCondition()
    private var open: Set<Int32> = []
    private var stopped = false

    public init(spec: Spec) { self.spec = spec }

    /// Binds and starts accepting; returns an error text on failure.
    public func start() -> String? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(spec.port).bigEndian
        let ok = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard ok == 0, listen(fd, 16) == 0 else {
            close(fd)
            return "tcp_listen: cannot listen on 127.0.0.1:\(spec.port)"
        }
        listenFd = fd
        let t = Thread { [self] in acceptLoop(fd) }
        t.start()
        return nil
    }

    private func acceptLoop(_ fd: Int32) {
        while true {
            let c = accept(fd, nil, nil)
            if c < 0 { return }
            cond.lock()
            if stopped {
                cond.unlock()
                close(c)
                return
            }
            open.insert(c)
            cond.unlock()
            let t = Thread { [self] in serve(c) }
            t.start()
        }
    }

    /// Each connection's thread owns its descriptor and closes it (never another
    /// thread: a blocked read on a closed, reused descriptor would steal bytes).
    private func serve(_ c: Int32) {
        var left = spec.queryLength ?? 0
        var buf = [UInt8](repeating: 0, count: 65536)
        while left > 0 {
            let n = read(c, &buf, min(left, buf.count))
            if n <= 0 { break }
            left -= n
        }
        cond.lock()
        let done = stopped
        cond.unlock()
        if !done, spec.replyDelay > 0 { usleep(useconds_t(spec.replyDelay * 1_000_000)) }
        if !done, let reply = spec.reply, !reply.isEmpty {
            _ = reply.withUnsafeBytes { send(c, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }
        cond.lock()
        // tcp_no_close: hold the connection, reading nothing more, until the block ends.
        while spec.noClose && !stopped { cond.wait() }
        open.remove(c)
        cond.unlock()
        close(c)
    }

    /// Stops listening and ends every connection (their threads close them).
    public func stop() {
        cond.lock()
        stopped = true
        // Under the lock: a descriptor still in `open` is not closed yet.
        for c in open { shutdown(c, Int32(SHUT_RDWR)) }
        cond.broadcast()
        cond.unlock()
        if listenFd >= 0 {
            shutdown(listenFd, Int32(SHUT_RDWR))
            close(listenFd)
            listenFd = -1
        }
    }
}
