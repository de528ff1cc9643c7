import MoongateCore

/// Copies the pieces of a response head into memory already sized for them (the caller
/// reserves the capacity once, e.g. with `ByteBuffer.writeWithUnsafeMutableBytes`).
struct HeadWriter {
    private let base: UnsafeMutableRawPointer
    /// Bytes written so far.
    private(set) var count = 0

    init(base: UnsafeMutableRawPointer) { self.base = base }

    /// A literal. (Named apart: a literal passed to `put` is taken as a String, whose
    /// copy checks its form and ASCII bytes at run time.)
    @inline(__always)
    mutating func putStatic(_ s: StaticString) {
        let n = s.utf8CodeUnitCount
        (base + count).copyMemory(from: s.utf8Start, byteCount: n)
        count += n
    }

    /// A string; client bytes that are not UTF-8 (carried by LogBytes) go out as sent.
    /// ASCII (nearly every header) is copied straight from the string's storage.
    @inline(__always)
    mutating func put(_ s: String) {
        let done: Bool? = s.utf8.withContiguousStorageIfAvailable { u in
            guard let p = u.baseAddress, u.count > 0 else { return true }
            if !LogBytes.isASCII(UnsafeRawBufferPointer(u)) { return false }
            (base + count).copyMemory(from: p, byteCount: u.count)
            count += u.count
            return true
        }
        if done == true { return }
        LogBytes.withBytes(s) { u in
            guard let p = u.baseAddress, u.count > 0 else { return }
            (base + count).copyMemory(from: p, byteCount: u.count)
            count += u.count
        }
    }

    /// `n` bytes at `p`.
    @inline(__always)
    mutating func put(_ p: UnsafeRawPointer, _ n: Int) {
        (base + count).copyMemory(from: p, byteCount: n)
        count += n
    }

    /// A decimal number.
    mutating func put(_ v: Int64) {
        count += DecimalDigits.write(v, to: base + count)
    }

    /// A header line: `prefix` is its name and ": " (a literal).
    @inline(__always)
    mutating func field(_ prefix: StaticString, _ value: String) {
        putStatic(prefix)
        put(value)
        putStatic("\r\n")
    }

    /// A header line with a number for value.
    @inline(__always)
    mutating func field(_ prefix: StaticString, _ value: Int64) {
        putStatic(prefix)
        put(value)
        putStatic("\r\n")
    }

    /// Connection (and Keep-Alive, with keepalive_timeout's header time) of a response
    /// that is not a 101.
    @inline(__always)
    mutating func connection(keepAlive: Bool, timeout: Int?) {
        guard keepAlive else {
            putStatic("Connection: close\r\n")
            return
        }
        putStatic("Connection: keep-alive\r\n")
        if let timeout {
            putStatic("Keep-Alive: timeout=")
            put(Int64(timeout))
            putStatic("\r\n")
        }
    }
}
