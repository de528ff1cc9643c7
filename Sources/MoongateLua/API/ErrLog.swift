import MoongateConfig
import MoongateCore
import MoongateHTTP
#if canImport(Glibc)
import Glibc
#endif

// ngx.errlog: lua_capture_error_log's buffer and the FFI behind lua/ngx/errlog.lua.

/// The worker's captured error-log lines (`lua_capture_error_log SIZE`): a byte ring of
/// SIZE bytes holding records of a 16-byte header (length, level, time) and the line,
/// as ngx_lua's `ngx_http_lua_log_ringbuf.c` lays them out. A record never wraps: when
/// it does not fit before the end, the writer marks the end (`sentinel`) and goes on
/// at the start; when it does not fit before the oldest record, the oldest records are
/// dropped. The master makes it; each worker owns its copy after fork.
final class ErrorLogRing {
    static let headerLength = 16

    let size: Int
    /// Lines above this level are not captured (`set_filter_level`).
    var filterLevel: LogLevel = .debug
    private let data: UnsafeMutableRawPointer
    /// Where the next record goes.
    private var tail = 0
    /// The oldest record.
    private var head = 0
    /// The end of the records of the previous lap while `wrapped`.
    private var sentinel: Int
    /// The writer went back to the start while the oldest records sit further on.
    private var wrapped = false
    private(set) var count = 0

    init(size: Int) {
        self.size = size
        data = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 8)
        sentinel = size
    }

    deinit { data.deallocate() }

    private func reset() {
        tail = 0
        head = 0
        sentinel = size
        wrapped = false
        count = 0
    }

    private func header(at off: Int) -> (len: Int, level: Int, time: Double) {
        let bits = data.loadUnaligned(fromByteOffset: off, as: UInt32.self)
        let time = data.loadUnaligned(fromByteOffset: off + 8, as: Double.self)
        return (Int(bits & 0x0FFF_FFFF), Int(bits >> 28), time)
    }

    /// Moves `head` past the oldest record.
    private func dropOldest() {
        head += ErrorLogRing.headerLength + header(at: head).len
        count -= 1
        if count == 0 {
            reset()
        } else if wrapped && head >= sentinel {
            head = 0
            wrapped = false
            sentinel = size
        }
    }

    /// Stores one line, dropping the oldest ones until it fits; a line longer than the
    /// whole buffer is not stored.
    func write(level: LogLevel, _ bytes: UnsafeRawBufferPointer) {
        let n = bytes.count
        let need = n + ErrorLogRing.headerLength
        if need > size { return }
        if count == 0 { reset() }
        while true {
            if !wrapped {
                if size - tail >= need { break }
                sentinel = tail
                tail = 0
                wrapped = count > 0
                if !wrapped { reset() }
                continue
            }
            if head - tail >= need { break }
            dropOldest()
        }
        let bits = UInt32(n) & 0x0FFF_FFFF | UInt32(level.rawValue) << 28
        data.storeBytes(of: bits, toByteOffset: tail, as: UInt32.self)
        data.storeBytes(of: UInt32(0), toByteOffset: tail + 4, as: UInt32.self)
        data.storeBytes(of: CachedTime.now, toByteOffset: tail + 8, as: Double.self)
        tail += ErrorLogRing.headerLength
        if n > 0 { (data + tail).copyMemory(from: bytes.baseAddress!, byteCount: n) }
        tail += n
        count += 1
    }

    /// Takes the oldest line: its bytes stay valid until the next write.
    func read() -> (level: Int, time: Double, bytes: UnsafeRawPointer, len: Int)? {
        if count == 0 { return nil }
        let h = header(at: head)
        let p = UnsafeRawPointer(data + head + ErrorLogRing.headerLength)
        dropOldest()
        return (h.level, h.time, p, h.len)
    }
}

/// `lua_capture_error_log`: installs the ring as the error log's interceptor.
enum ErrorLogCapture {
    /// nginx's NGX_MAX_ERROR_STR as OpenResty builds it: the longest line and the
    /// smallest buffer.
    static let maxErrorString = 4096
    nonisolated(unsafe) static var ring: ErrorLogRing?

    /// The directive, and the hook that installs the ring before init_by_lua runs.
    static func register() {
        DirectiveRegistry.register(DirectiveSpec("lua_capture_error_log", .http, .exactly(1))) { d, c in
            if c.cycle.moduleConf["lua_capture_error_log"] != nil {
                throw ConfigError("\"lua_capture_error_log\" directive is duplicate", at: d.location)
            }
            let v = d.args[0].value
            if v.isEmpty {
                throw ConfigError("invalid capture error log size \"\"", at: d.location)
            }
            // ngx_parse_size: k and m only.
            let size = v.last == "g" || v.last == "G" ? nil : ConfUnits.size(v)
            guard let size, size >= maxErrorString else {
                throw ConfigError(
                    "invalid capture error log size \"\(v)\", minimum size is \(maxErrorString)", at: d.location)
            }
            c.cycle.moduleConf["lua_capture_error_log"] = Box(size)
        }
        ModuleHooks.initMaster.append { cycle in
            install(size: (cycle.moduleConf["lua_capture_error_log"] as? Box<Int>)?.value)
        }
    }

    /// Uses a ring of `size` bytes, or stops capturing when nil (a reload without it).
    static func install(size: Int?) {
        guard let size else {
            ring = nil
            ErrorLog.interceptor = nil
            return
        }
        // A new configuration starts with an empty ring, as nginx's new cycle does.
        ring = ErrorLogRing(size: size)
        ErrorLog.interceptor = { level, line in
            guard let ring = ErrorLogCapture.ring, level <= ring.filterLevel else { return }
            // nginx formats a line into NGX_MAX_ERROR_STR bytes, the newline included.
            let n = min(line.count, maxErrorString - 1)
            ring.write(level: level, UnsafeRawBufferPointer(rebasing: line[0..<n]))
        }
    }
}

private let notSet = "directive \"lua_capture_error_log\" is not set"

/// `int mg_errlog_set_filter_level(int level, const char **err)`.
@_cdecl("mg_errlog_set_filter_level")
public func mg_errlog_set_filter_level(_ level: Int32, _ err: UnsafeMutablePointer<UnsafePointer<CChar>?>?) -> Int32 {
    guard let ring = ErrorLogCapture.ring else {
        FFIError.set(err, notSet)
        return FFI.error
    }
    guard let l = LogLevel(rawValue: Int(level)) else {
        FFIError.set(err, "bad log level: \(level)")
        return FFI.error
    }
    ring.filterLevel = l
    return FFI.ok
}

/// `int mg_errlog_get_msg(const unsigned char **log, size_t *len, int *level,
/// double *time, const char **err)`: OK with the oldest captured line, DONE when none is
/// left, ERROR without `lua_capture_error_log`.
@_cdecl("mg_errlog_get_msg")
public func mg_errlog_get_msg(
    _ log: UnsafeMutablePointer<UnsafePointer<UInt8>?>?, _ len: UnsafeMutablePointer<Int>?,
    _ level: UnsafeMutablePointer<Int32>?, _ time: UnsafeMutablePointer<Double>?,
    _ err: UnsafeMutablePointer<UnsafePointer<CChar>?>?
) -> Int32 {
    guard let ring = ErrorLogCapture.ring else {
        FFIError.set(err, notSet)
        return FFI.error
    }
    guard let m = ring.read() else { return FFI.done }
    log?.pointee = m.bytes.assumingMemoryBound(to: UInt8.self)
    len?.pointee = m.len
    level?.pointee = Int32(m.level)
    time?.pointee = m.time
    return FFI.ok
}
