import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// What one exchange over a TCP connection produced.
public struct RawExchange: Sendable {
    /// Every byte received until the peer closed, the deadline, or an error.
    public var data: [UInt8]
    /// True when the deadline passed before the peer closed.
    public var timedOut: Bool
    /// A socket error (connect refused, reset, ...), if any.
    public var error: String?
}

/// A blocking TCP client on 127.0.0.1 with an overall deadline; enough for tests.
public enum HTTPClient {
    /// Connects, sends `request` and reads until EOF or `timeout` seconds pass. With
    /// `pieceEnds`, the bytes go in pieces ending there, `pieceDelay` seconds apart.
    public static func exchange(
        port: Int, request: [UInt8], timeout: Double, pieceEnds: [Int] = [], pieceDelay: Double = 0
    ) -> RawExchange {
        let deadline = Date().addingTimeInterval(timeout)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return RawExchange(data: [], timedOut: false, error: "socket() failed") }
        defer { close(fd) }
        if let err = connectLoopback(fd: fd, port: port) {
            return RawExchange(data: [], timedOut: false, error: err)
        }
        var sent = 0
        let ends = pieceEnds.isEmpty ? [request.count] : pieceEnds
        sending: for (i, end) in ends.enumerated() {
            if i > 0 && pieceDelay > 0 { usleep(useconds_t(pieceDelay * 1_000_000)) }
            while sent < end {
                let n = request[sent..<end].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if n < 0 {
                    if errno == EINTR { continue }
                    // The server may answer and close before reading the whole request.
                    break sending
                }
                sent += n
            }
        }
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 { return RawExchange(data: data, timedOut: true, error: nil) }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let r = poll(&pfd, 1, Int32(max(1, remaining * 1000)))
            if r < 0 {
                if errno == EINTR { continue }
                return RawExchange(data: data, timedOut: false, error: "poll() failed: errno \(errno)")
            }
            if r == 0 { continue }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { return RawExchange(data: data, timedOut: false, error: nil) }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                let reason = errno == ECONNRESET ? "connection reset by peer" : "recv() failed: errno \(errno)"
                return RawExchange(data: data, timedOut: false, error: reason)
            }
            data += buffer[0..<n]
        }
    }

    /// True when something accepts connections on 127.0.0.1:`port`.
    public static func canConnect(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return connectLoopback(fd: fd, port: port) == nil
    }

    /// A loopback port nobody listens on, never handed out twice in one run.
    ///
    /// Parallel files each pick ports; asking the kernel for an ephemeral port and closing
    /// the socket could hand the same port to two files before either server binds it
    /// (the loser then fails to start and its requests reach the other file's server),
    /// and ephemeral ports are also the source ports of outgoing connections. So ports
    /// come from 10000-32767, below Linux's ephemeral range, each checked bindable.
    public static func freePort() -> Int? {
        for _ in 0..<200 {
            let candidate = Int.random(in: 10000...32767)
            let fresh = handedOut.withLock { $0.insert(candidate).inserted }
            if fresh, bindable(candidate) { return candidate }
        }
        return nil
    }

    private static let handedOut = Mutex<Set<Int>>([])

    private static func bindable(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = loopback(port: port)
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return bound == 0
    }

    static func loopback(port: Int) -> sockaddr_in {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        return addr
    }

    static func connectLoopback(fd: Int32, port: Int) -> String? {
        var addr = loopback(port: port)
        let r = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return r == 0 ? nil : "connect() to 127.0.0.1:\(port) failed: \(String(cString: strerror(errno)))"
    }
}
