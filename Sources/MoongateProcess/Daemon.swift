import CMoongate
import MoongateCore
#if canImport(Glibc)
import Glibc
#endif

/// `daemon on`: the starting process returns only once the daemon bound its sockets and
/// wrote its pid file, so scripts (and Test::Nginx) can use the server right away.
enum Daemon {
    nonisolated(unsafe) static var readyFD: Int32 = -1

    /// Forks; the parent waits for `ready()` and exits; returns true in the daemon.
    static func daemonize() -> Bool {
        var p: [Int32] = [0, 0]
        if pipe(&p) != 0 { return false }
        let pid = mg_fork()
        if pid < 0 {
            Startup.emerg("fork() failed (\(errno): \(String(cString: strerror(errno))))")
            return false
        }
        if pid > 0 {
            close(p[1])
            var b: UInt8 = 0
            let n = read(p[0], &b, 1)
            exit(n == 1 && b == 1 ? 0 : 1)
        }
        close(p[0])
        readyFD = p[1]
        _ = mg_set_cloexec(readyFD, 1)
        setsid()
        let null = open("/dev/null", O_RDWR)
        if null >= 0 {
            dup2(null, 0)
            dup2(null, 1)
            if null > 2 { close(null) }
        }
        // stderr goes to the error log like nginx's ngx_log_redirect_stderr.
        let logFD = ErrorLog.shared.descriptor
        if logFD > 2 { dup2(logFD, 2) } else if null >= 0 { dup2(open("/dev/null", O_RDWR), 2) }
        return true
    }

    static func ready() {
        guard readyFD >= 0 else { return }
        var b: UInt8 = 1
        _ = write(readyFD, &b, 1)
        close(readyFD)
        readyFD = -1
    }

    static func readyFailed() {
        guard readyFD >= 0 else { return }
        var b: UInt8 = 0
        _ = write(readyFD, &b, 1)
        close(readyFD)
        readyFD = -1
    }
}

/// The pid file.
enum PidFile {
    static func write(_ path: String) -> Bool {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if fd < 0 {
            let e = errno
            Startup.emerg("open() \"\(path)\" failed (\(e): \(String(cString: strerror(e))))")
            return false
        }
        let s = "\(getpid())\n"
        _ = s.withCString { Glibc.write(fd, $0, strlen($0)) }
        close(fd)
        return true
    }

    static func remove(_ path: String) {
        unlink(path)
    }

    static func read(_ path: String) -> pid_t? {
        guard let text = readFileText(path) else { return nil }
        return pid_t(text.trimmingCharacters(in: " \n\r\t"))
    }
}

func readFileText(_ path: String) -> String? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    if fd < 0 { return nil }
    defer { close(fd) }
    var buf = [UInt8](repeating: 0, count: 64)
    let n = Glibc.read(fd, &buf, 64)
    if n <= 0 { return nil }
    return String(decoding: buf[0..<n], as: UTF8.self)
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
