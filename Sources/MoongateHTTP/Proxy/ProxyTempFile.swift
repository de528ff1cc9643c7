import MoongateCore
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// An unlinked temporary file a buffered proxied response spills into while the client
/// is slower than the upstream (nginx's `ngx_temp_file_t` under `proxy_temp_path`):
/// appended with pwrite, read back in order with pread, closed when released.
final class ProxyTempFile {
    let fd: Int32
    /// Bytes written so far (nginx's `temp_file->offset`, compared with
    /// `proxy_max_temp_file_size`; the file is never rewound).
    private(set) var writeOffset: Int64 = 0
    private(set) var readOffset: Int64 = 0

    /// nginx's `ngx_next_temp_number`: a per-worker sequence of ten-digit names.
    nonisolated(unsafe) private static var number: UInt32 = UInt32(truncatingIfNeeded: getpid()) &* 7919 % 1_000_000_000

    private init(fd: Int32) { self.fd = fd }

    deinit { close(fd) }

    /// Bytes written and not read back yet.
    var pending: Int64 { writeOffset - readOffset }

    /// Creates and unlinks a file in `dir`; on failure the error text nginx logs at crit.
    static func create(in dir: String) -> Result<ProxyTempFile, ProxyTempFileError> {
        while true {
            number = (number &+ 1) % 1_000_000_000
            let digits = String(number)
            let name = dir + "/" + String(repeating: "0", count: max(0, 10 - digits.count)) + digits
            let fd = open(name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0o600)
            if fd < 0 {
                let e = errno
                if e == EEXIST { continue }
                return .failure(ProxyTempFileError(text: "open() \"\(name)\" failed (\(describe(e)))"))
            }
            unlink(name)
            return .success(ProxyTempFile(fd: fd))
        }
    }

    static func describe(_ e: Int32) -> String { "\(e): \(String(cString: strerror(e)))" }

    /// Appends all of `b`; nil or the error text.
    func append(_ b: ByteBuffer) -> ProxyTempFileError? {
        b.withUnsafeReadableBytes { raw -> ProxyTempFileError? in
            var done = 0
            while done < raw.count {
                let n = pwrite(fd, raw.baseAddress! + done, raw.count - done, off_t(writeOffset))
                if n < 0 {
                    if errno == EINTR { continue }
                    return ProxyTempFileError(text: "pwrite() failed (\(ProxyTempFile.describe(errno)))")
                }
                done += n
                writeOffset += Int64(n)
            }
            return nil
        }
    }

    /// The next at most `max` unread bytes.
    func read(max: Int, allocator: ByteBufferAllocator) -> Result<ByteBuffer, ProxyTempFileError> {
        let want = Int(min(Int64(max), pending))
        var b = allocator.buffer(capacity: want)
        while true {
            let n = b.writeWithUnsafeMutableBytes(minimumWritableBytes: want) { p in
                Glibc.pread(fd, p.baseAddress!, want, off_t(readOffset))
            }
            if n < 0 {
                if errno == EINTR { continue }
                return .failure(ProxyTempFileError(text: "pread() failed (\(ProxyTempFile.describe(errno)))"))
            }
            if n == 0 { return .failure(ProxyTempFileError(text: "pread() read only 0 of \(want)")) }
            readOffset += Int64(n)
            return .success(b)
        }
    }
}

/// Why a temp file could not be created, written or read (the text nginx logs).
struct ProxyTempFileError: Error {
    let text: String
}
