import MoongateCore
#if canImport(Glibc)
import Glibc
#endif

/// A compiled `log_format`.
public struct LogFormat {
    let value: ComplexValue
    let escapeJSON: Bool

    public init(_ text: String, escape: String = "default") throws {
        value = try ComplexValue(text, checkVariables: false)
        escapeJSON = escape == "json"
    }

    func render(_ r: HTTPRequest) -> String {
        var out = ""
        for p in value.parts {
            switch p {
            case .literal(let s): out += s
            case .variable(let name):
                let v = Variables.get(name, r)
                if let v, !v.isEmpty {
                    out += escapeJSON ? jsonEscape(v) : nginxEscape(v)
                } else if !escapeJSON {
                    out += "-"
                }
            case .capture(let n): out += r.capture(n) ?? ""
            }
        }
        return out
    }

    private func nginxEscape(_ s: String) -> String {
        var needs = false
        for c in s.utf8 where c < 0x20 || c == 0x22 || c == 0x5C || c >= 0x7F {
            needs = true
            break
        }
        if !needs { return s }
        var o = ""
        // The bytes the client sent (LogBytes carries those that are not UTF-8).
        let raw = LogBytes.withBytes(s) { Array($0) }
        for c in raw {
            if c < 0x20 || c == 0x22 || c == 0x5C || c >= 0x7F {
                o += "\\x" + (c < 16 ? "0" : "") + String(c, radix: 16, uppercase: true)
            } else {
                o.unicodeScalars.append(UnicodeScalar(c))
            }
        }
        return o
    }

    private func jsonEscape(_ s: String) -> String {
        var o = ""
        for ch in s.unicodeScalars {
            switch ch {
            case "\"": o += "\\\""
            case "\\": o += "\\\\"
            case "\n": o += "\\n"
            case "\r": o += "\\r"
            case "\t": o += "\\t"
            default:
                if ch.value < 0x20 {
                    o += "\\u00" + (ch.value < 16 ? "0" : "") + String(ch.value, radix: 16)
                } else {
                    o.unicodeScalars.append(ch)
                }
            }
        }
        return o
    }
}

/// An open access log file shared by every location that names it; lines are buffered
/// and written with one `write(2)` (O_APPEND keeps workers' lines whole).
public final class AccessLogFile {
    nonisolated(unsafe) static var open: [String: AccessLogFile] = [:]
    let path: String
    var fd: Int32
    var pending: [UInt8] = []
    var bufferSize: Int

    init(path: String, bufferSize: Int) throws {
        self.path = path
        self.bufferSize = bufferSize
        fd = Glibc.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        if fd < 0 {
            let e = errno
            throw CoreError("open() \"\(path)\" failed (\(e): \(String(cString: strerror(e))))")
        }
    }

    /// The shared handle for `path`.
    static func get(_ path: String, bufferSize: Int) throws -> AccessLogFile {
        if let f = open[path] { return f }
        let f = try AccessLogFile(path: path, bufferSize: bufferSize)
        open[path] = f
        return f
    }

    func append(_ line: String) {
        pending.append(contentsOf: line.utf8)
        pending.append(10)
        if pending.count >= bufferSize { flush() }
    }

    /// Writes what is buffered.
    public func flush() {
        guard !pending.isEmpty else { return }
        pending.withUnsafeBytes { p in
            var off = 0
            while off < p.count {
                let n = write(fd, p.baseAddress! + off, p.count - off)
                if n <= 0 { break }
                off += n
            }
        }
        pending.removeAll(keepingCapacity: true)
    }

    /// USR1: reopen every access log.
    public static func reopenAll() {
        for f in open.values {
            f.flush()
            let nfd = Glibc.open(f.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
            if nfd >= 0 {
                close(f.fd)
                f.fd = nfd
            }
        }
    }

    /// Flushes every buffered log (on exit and on a timer).
    public static func flushAll() { for f in open.values { f.flush() } }
}

/// One `access_log path [format] [buffer=size]` entry.
public final class AccessLogTarget {
    let file: AccessLogFile
    let format: LogFormat

    init(file: AccessLogFile, format: LogFormat) {
        self.file = file
        self.format = format
    }

    func write(_ r: HTTPRequest) {
        file.append(format.render(r))
    }
}
