#if canImport(Glibc)
import Glibc
#endif

/// The process's error log, writing lines in nginx's format:
/// `2026/11/23 14:20:47 [error] 25326#25326: *1 message, client: ...`.
/// Each line is one `write(2)` on an `O_APPEND` descriptor, so lines from several
/// workers never interleave.
public final class ErrorLog {
    /// The log every component of this process writes to (nginx's `cycle->log`).
    nonisolated(unsafe) public static var shared = ErrorLog()

    /// Sees every line that passes `level`, formatted but without its newline, before it
    /// is written (nginx's intercept_error_log patch; `lua_capture_error_log` uses it).
    nonisolated(unsafe) public static var interceptor: ((LogLevel, UnsafeRawBufferPointer) -> Void)?
    // A line logged while the interceptor runs is not intercepted again (`entered_logger`).
    nonisolated(unsafe) private static var intercepting = false

    /// Messages above this level are dropped.
    public var level: LogLevel
    /// Absolute path, or nil for stderr.
    public private(set) var path: String?
    private var fd: Int32
    private var pidPrefix: String

    /// A log on stderr at level `notice` (what nginx uses before it read its config).
    public init() {
        self.level = .notice
        self.path = nil
        self.fd = 2
        self.pidPrefix = ""
        refreshPid()
    }

    /// Opens `path` for appending (nil or "stderr" means standard error).
    public init(path: String?, level: LogLevel) throws {
        self.level = level
        self.pidPrefix = ""
        if let path, path != "stderr" {
            let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
            if fd < 0 {
                let e = errno
                throw CoreError("open() \"\(path)\" failed (\(e): \(String(cString: strerror(e))))")
            }
            self.fd = fd
            self.path = path
        } else {
            self.fd = 2
            self.path = nil
        }
        refreshPid()
    }

    deinit {
        if fd > 2 { close(fd) }
    }

    /// The descriptor lines go to (dup2'ed onto stderr by the master when daemonized).
    public var descriptor: Int32 { fd }

    /// Call after fork so lines carry the worker's pid.
    public func refreshPid() {
        let pid = getpid()
        pidPrefix = "\(pid)#\(pid): "
    }

    /// Whether a message at `level` would be written.
    @inline(__always) public func enabled(_ level: LogLevel) -> Bool { level <= self.level }

    /// Writes one line. `connection` is nginx's `*N` connection number (0: none);
    /// `context` is appended as nginx appends `, client: ..., server: ...`.
    public func log(_ level: LogLevel, _ message: String, connection: Int = 0, context: String = "") {
        guard level <= self.level else { return }
        if CachedTime.sec == 0 { CachedTime.update() }
        var line = CachedTime.errorLogTime
        line += " ["
        line += level == .stderr ? "" : level.name
        line += "] "
        line += pidPrefix
        if connection > 0 {
            line += "*\(connection) "
        }
        line += message
        line += context
        if let interceptor = ErrorLog.interceptor, !ErrorLog.intercepting {
            ErrorLog.intercepting = true
            line.withUTF8 { interceptor(level, UnsafeRawBufferPointer($0)) }
            ErrorLog.intercepting = false
        }
        line += "\n"
        writeRaw(line)
    }

    /// Writes bytes as they are (for `ngx.errlog.raw_log` and `-T` style dumps).
    public func writeRaw(_ s: String) {
        var s = s
        s.withUTF8 { utf8 in
            // Client bytes carried through a String go out as the client sent them.
            let restored = LogBytes.restore(utf8)
            if let r = restored {
                r.withUnsafeBufferPointer { write(all: $0) }
            } else {
                write(all: utf8)
            }
        }
    }

    private func write(all buf: UnsafeBufferPointer<UInt8>) {
        var off = 0
        while off < buf.count {
            let n = Glibc.write(fd, buf.baseAddress! + off, buf.count - off)
            if n < 0 {
                if errno == EINTR { continue }
                return
            }
            off += n
        }
    }

    /// Reopens the file (USR1), keeping the old descriptor on failure.
    public func reopen() {
        guard let path else { return }
        let nfd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        if nfd < 0 { return }
        if fd > 2 { close(fd) }
        fd = nfd
    }
}

/// A generic failure with a message in nginx's words.
public struct CoreError: Error, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
