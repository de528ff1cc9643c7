#if canImport(Glibc)
import Glibc
#endif

/// An error log, writing lines in nginx's format:
/// `2026/11/23 14:20:47 [error] 25326#25326: *1 message, client: ...`.
/// Each line is one `write(2)` on an `O_APPEND` descriptor, so lines from several
/// workers never interleave.
///
/// Logs chain as nginx's do (`log->next`): every `error_log` of one level of the
/// configuration (main, http, server, location) is one link, and a line goes to each
/// link whose level lets it through. A request logs to its location's chain, which is
/// inherited from the server's, the http block's, and at last is the main one.
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
    /// Whether `fd` is this log's own (closed with it), not a descriptor of `files`.
    private let ownsDescriptor: Bool
    /// The next log of the same configuration level (another `error_log` directive).
    public private(set) var next: ErrorLog?
    /// `PID#TID: `, the same for every log of the process.
    nonisolated(unsafe) private static var pidPrefix = ""
    /// Descriptors of the logs opened by `error_log` at the http, server and location
    /// levels and after the first at the main level: one per file, kept for the life of
    /// the process (a reload reuses them), reopened with the main log.
    nonisolated(unsafe) private static var files: [String: Int32] = [:]
    /// Guards `files`. A server process reads its configuration on one thread, but unit
    /// tests open logs from several at once (a lookup during another test's insert
    /// crashed the test process once).
    nonisolated(unsafe) private static let filesLock: UnsafeMutablePointer<pthread_mutex_t> = {
        let m = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        pthread_mutex_init(m, nil)
        return m
    }()

    /// A log on stderr at level `notice` (what nginx uses before it read its config).
    public init() {
        self.level = .notice
        self.path = nil
        self.fd = 2
        self.ownsDescriptor = false
        refreshPid()
    }

    /// Opens `path` for appending (nil or "stderr" means standard error).
    public init(path: String?, level: LogLevel) throws {
        self.level = level
        self.ownsDescriptor = true
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

    private init(fd: Int32, path: String?, level: LogLevel) {
        self.fd = fd
        self.path = path
        self.level = level
        self.ownsDescriptor = false
    }

    /// A log on `path` ("stderr" or nil: standard error) whose descriptor is shared with
    /// every other log of that file (nginx opens each file once).
    public static func opening(path: String?, level: LogLevel) throws -> ErrorLog {
        guard let path, path != "stderr" else { return ErrorLog(fd: 2, path: nil, level: level) }
        pthread_mutex_lock(filesLock)
        defer { pthread_mutex_unlock(filesLock) }
        if let fd = files[path] { return ErrorLog(fd: fd, path: path, level: level) }
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        if fd < 0 {
            let e = errno
            throw CoreError("open() \"\(path)\" failed (\(e): \(String(cString: strerror(e))))")
        }
        files[path] = fd
        return ErrorLog(fd: fd, path: path, level: level)
    }

    /// Adds `log` at the end of this chain.
    public func append(_ log: ErrorLog) {
        var last = self
        while let n = last.next { last = n }
        last.next = log
    }

    /// Drops the logs chained after this one.
    public func removeChained() { next = nil }

    deinit {
        if ownsDescriptor && fd > 2 { close(fd) }
    }

    /// The descriptor lines go to (dup2'ed onto stderr by the master when daemonized).
    public var descriptor: Int32 { fd }

    /// Call after fork so lines carry the worker's pid.
    public func refreshPid() {
        let pid = getpid()
        ErrorLog.pidPrefix = "\(pid)#\(pid): "
    }

    /// Whether a message at `level` would be written by this log or one chained to it.
    @inline(__always) public func enabled(_ level: LogLevel) -> Bool {
        level <= self.level || (next.map { $0.enabled(level) } ?? false)
    }

    /// The most verbose level of the chain (what `ngx.log` filters on).
    public var chainLevel: LogLevel {
        var l = level
        var n = next
        while let x = n {
            if x.level.rawValue > l.rawValue { l = x.level }
            n = x.next
        }
        return l
    }

    /// Writes one line. `connection` is nginx's `*N` connection number (0: none);
    /// `context` is appended as nginx appends `, client: ..., server: ...`.
    public func log(_ level: LogLevel, _ message: String, connection: Int = 0, context: String = "") {
        guard enabled(level) else { return }
        if CachedTime.sec == 0 { CachedTime.update() }
        var line = CachedTime.errorLogTime
        line += " ["
        line += level == .stderr ? "" : level.name
        line += "] "
        line += ErrorLog.pidPrefix
        if connection > 0 {
            line += "*\(connection) "
        }
        line += message
        // nginx's ngx_log_error_core: the context handler runs for every level but debug.
        if level != .debug { line += context }
        if let interceptor = ErrorLog.interceptor, !ErrorLog.intercepting {
            ErrorLog.intercepting = true
            line.withUTF8 { interceptor(level, UnsafeRawBufferPointer($0)) }
            ErrorLog.intercepting = false
        }
        line += "\n"
        line.withUTF8 { utf8 in
            // Client bytes carried through a String go out as the client sent them; the
            // bytes are made once for every log of the chain.
            let restored = LogBytes.restore(utf8)
            var log: ErrorLog? = self
            while let l = log {
                if level <= l.level {
                    if let r = restored { r.withUnsafeBufferPointer { l.write(all: $0) } } else { l.write(all: utf8) }
                }
                log = l.next
            }
        }
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

    /// Reopens the file (USR1), keeping the old descriptor on failure; with the main log,
    /// the files of every other log too (in place: their descriptor numbers stay).
    public func reopen() {
        if ownsDescriptor, let path {
            let nfd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
            if nfd >= 0 {
                if fd > 2 { close(fd) }
                fd = nfd
            }
        }
        guard self === ErrorLog.shared else { return }
        pthread_mutex_lock(ErrorLog.filesLock)
        defer { pthread_mutex_unlock(ErrorLog.filesLock) }
        for (path, fd) in ErrorLog.files {
            let nfd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
            if nfd < 0 { continue }
            // The new file takes the old descriptor's number, which every log of it holds.
            if dup2(nfd, fd) >= 0 { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            close(nfd)
        }
    }
}

/// A generic failure with a message in nginx's words.
public struct CoreError: Error, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
