import CMoongate
import MoongateCore
import MoongateHTTP
#if canImport(Glibc)
import Glibc
#endif

/// Listening sockets opened by the master and inherited by workers (nginx's
/// `ngx_open_listening_sockets`). Kept across reloads when the address stays.
final class Listeners {
    private(set) var fds: [String: Int32] = [:]

    /// Opens what `cycle` needs, reusing sockets already open; closes ones no longer used.
    func open(for cycle: CycleConfig) throws {
        var next: [String: Int32] = [:]
        for g in cycle.http?.listenGroups ?? [] {
            let l = g.listen
            if let fd = fds[l.key] {
                next[l.key] = fd
                continue
            }
            next[l.key] = try bind(l)
        }
        for (k, fd) in fds where next[k] == nil { close(fd) }
        fds = next
    }

    private func bind(_ l: ListenConfig) throws -> Int32 {
        let host = l.host == "*" ? "0.0.0.0" : l.host
        let v6 = host.contains(":")
        let fd = socket(v6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        if fd < 0 { throw CoreError("socket() failed (\(errno): \(String(cString: strerror(errno))))") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if l.reuseport {
            setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        var rc: Int32
        if v6 {
            var a = sockaddr_in6()
            a.sin6_family = sa_family_t(AF_INET6)
            a.sin6_port = in_port_t(UInt16(l.port).bigEndian)
            inet_pton(AF_INET6, host, &a.sin6_addr)
            setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, socklen_t(MemoryLayout<Int32>.size))
            rc = withUnsafePointer(to: &a) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        } else {
            var a = sockaddr_in()
            a.sin_family = sa_family_t(AF_INET)
            a.sin_port = in_port_t(UInt16(l.port).bigEndian)
            if inet_pton(AF_INET, host, &a.sin_addr) != 1 {
                close(fd)
                throw CoreError("host not found in \"\(host):\(l.port)\" of the \"listen\" directive")
            }
            rc = withUnsafePointer(to: &a) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        if rc != 0 {
            let e = errno
            close(fd)
            throw CoreError("bind() to \(host):\(l.port) failed (\(e): \(String(cString: strerror(e))))")
        }
        // Workers accept from an event loop: a blocking accept(2) would stall the loop
        // until the next client arrives (and a worker that lost the race to another).
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        if listen(fd, Int32(l.backlog)) != 0 {
            let e = errno
            close(fd)
            throw CoreError("listen() to \(host):\(l.port) failed (\(e): \(String(cString: strerror(e))))")
        }
        return fd
    }

    /// Duplicates the descriptors for a worker (NIO takes ownership of what it is given).
    func duplicated() -> [String: Int32] {
        var out: [String: Int32] = [:]
        for (k, fd) in fds {
            let d = dup(fd)
            if d >= 0 {
                _ = mg_set_cloexec(d, 1)
                out[k] = d
            }
        }
        return out
    }

    /// Hands the descriptors themselves over (the single process: its event loop owns
    /// them, so closing its channels on a graceful stop closes the port, as nginx's
    /// ngx_close_listening_sockets does; a kept copy would go on completing handshakes
    /// that nobody accepts).
    func takeAll() -> [String: Int32] {
        let out = fds
        fds = [:]
        return out
    }

    func closeAll() {
        for fd in fds.values { close(fd) }
        fds = [:]
    }
}
