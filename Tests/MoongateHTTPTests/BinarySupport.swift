import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs the built `moongate` binary in a temporary prefix, for command-line and
/// process tests. Every process started is stopped by its pid.
final class BinaryHarness {
    static let binary: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path + "/.build/debug/moongate"
    }()

    let prefix: String
    let port: Int
    var server: Child?

    init() throws {
        prefix = NSTemporaryDirectory() + "mgbin-\(getpid())-\(UInt32.random(in: 0...UInt32.max))/"
        let fm = FileManager.default
        for d in ["conf", "logs", "html"] {
            try fm.createDirectory(atPath: prefix + d, withIntermediateDirectories: true)
        }
        port = BinaryHarness.freePort()
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: prefix)
    }

    /// A TCP socket connected to 127.0.0.1:`port` (blocking): the descriptor, and 0 or
    /// connect's errno. The caller closes the descriptor either way.
    static func connectLoopback(_ port: Int) -> (fd: Int32, error: Int32) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return (fd, errno) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        return (fd, rc == 0 ? 0 : errno)
    }

    /// A port the kernel just gave us (bound to port 0, then released).
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) }
        }
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    /// A full nginx.conf serving `body` at /t, with master and workers as asked.
    func config(body: String = "v1", master: Bool = true, workers: Int = 2, extraMain: String = "") -> String {
        """
        daemon off;
        master_process \(master ? "on" : "off");
        worker_processes \(workers);
        error_log \(prefix)logs/error.log info;
        pid \(prefix)logs/nginx.pid;
        \(extraMain)
        events { worker_connections 64; }
        http {
            access_log \(prefix)logs/access.log;
            server {
                listen 127.0.0.1:\(port);
                location = /t { return 200 "\(body)"; }
                location = /pid { return 200 "$pid"; }
            }
        }

        """
    }

    func writeConfig(_ text: String, name: String = "nginx.conf") throws {
        try text.write(toFile: prefix + "conf/" + name, atomically: true, encoding: .utf8)
    }

    var confPath: String { prefix + "conf/nginx.conf" }

    /// Runs the binary to completion with `-p prefix` and `args`.
    func run(_ args: [String], timeout: Double = 20) throws -> (status: Int32, stdout: String, stderr: String) {
        let outPath = prefix + "run.stdout"
        let errPath = prefix + "run.stderr"
        let child = try Child.spawn(["-p", prefix] + args, stdout: outPath, stderr: errPath)
        let deadline = Date().addingTimeInterval(timeout)
        while child.isRunning && Date() < deadline { usleep(20_000) }
        if child.isRunning { kill(child.pid, SIGKILL) }
        let status = child.wait()
        let out = FileManager.default.contents(atPath: outPath) ?? Data()
        let err = FileManager.default.contents(atPath: errPath) ?? Data()
        return (status, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }

    /// Starts the server in the foreground (`daemon off`) and waits until it answers.
    func start() throws {
        let p = try Child.spawn(["-p", prefix, "-c", confPath], stdout: "/dev/null", stderr: "/dev/null")
        server = p
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            if get("/t") != nil { return }
            if !p.isRunning { throw HarnessError("server exited with \(p.wait()): \(errorLog())") }
            usleep(50_000)
        }
        throw HarnessError("server did not answer: \(errorLog())")
    }

    var masterPid: pid_t { server?.pid ?? 0 }

    /// Sends `sig` to the master.
    func signal(_ sig: Int32) {
        if masterPid > 0 { kill(masterPid, sig) }
    }

    /// Waits for the master to exit; true if it did within `seconds`.
    func waitExit(seconds: Double) -> Bool {
        guard let p = server else { return true }
        let deadline = Date().addingTimeInterval(seconds)
        while p.isRunning && Date() < deadline { usleep(20_000) }
        return !p.isRunning
    }

    /// Stops the server by its pid (QUIT, then KILL), and any worker left behind.
    func stop() {
        guard let p = server else { return }
        let workers = workerPids()
        if p.isRunning {
            kill(p.pid, SIGQUIT)
            if !waitExit(seconds: 5) { kill(p.pid, SIGKILL) }
        }
        _ = p.wait()
        for w in workers where kill(w, 0) == 0 { kill(w, SIGKILL) }
        server = nil
    }

    /// The master's children, from /proc.
    func workerPids() -> [pid_t] {
        let master = masterPid
        guard master > 0, let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else {
            return []
        }
        var out: [pid_t] = []
        for e in entries {
            guard let pid = pid_t(e), let stat = try? String(contentsOfFile: "/proc/\(e)/stat", encoding: .utf8)
            else { continue }
            // Fields after the ")" of the command: state ppid ...
            guard let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 2, fields[0] != "Z", pid_t(fields[1]) == master { out.append(pid) }
        }
        return out.sorted()
    }

    /// Waits until `cond` holds, polling; true if it did within `seconds`.
    func eventually(_ seconds: Double, _ cond: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if cond() { return true }
            usleep(50_000)
        }
        return cond()
    }

    func errorLog() -> String {
        (try? String(contentsOfFile: prefix + "logs/error.log", encoding: .utf8)) ?? ""
    }

    /// GET over HTTP/1.0; the body, or nil on failure.
    func get(_ path: String) -> String? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var tv = timeval(tv_sec: 3, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else { return nil }
        let req = "GET \(path) HTTP/1.0\r\nHost: localhost\r\n\r\n"
        _ = req.withCString { send(fd, $0, strlen($0), 0) }
        var data = [UInt8]()
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buf, buf.count, 0)
            if n <= 0 { break }
            data += buf[0..<n]
        }
        let text = String(decoding: data, as: UTF8.self)
        guard text.hasPrefix("HTTP/1.1 200"), let sep = text.range(of: "\r\n\r\n") else { return nil }
        return String(text[sep.upperBound...])
    }
}

/// A child process made with posix_spawn and reaped with waitpid (Foundation's Process
/// hung in these tests when several suites spawned at once).
final class Child {
    let pid: pid_t
    private var status: Int32?

    init(pid: pid_t) { self.pid = pid }

    static func spawn(_ args: [String], stdout: String, stderr: String) throws -> Child {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let argv = ([BinaryHarness.binary] + args).map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, BinaryHarness.binary, &actions, nil, argv, environ)
        guard rc == 0 else { throw HarnessError("posix_spawn failed: \(rc)") }
        return Child(pid: pid)
    }

    /// True until the child was reaped.
    var isRunning: Bool {
        if status != nil { return false }
        var st: Int32 = 0
        let r = waitpid(pid, &st, WNOHANG)
        if r == pid {
            status = st
            return false
        }
        return r == 0
    }

    /// Waits for the child; its exit code (128 + signal when killed).
    func wait() -> Int32 {
        if status == nil {
            var st: Int32 = 0
            while waitpid(pid, &st, 0) < 0 && errno == EINTR {}
            status = st
        }
        let st = status!
        if st & 0x7f == 0 { return (st >> 8) & 0xff }
        return 128 + (st & 0x7f)
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
