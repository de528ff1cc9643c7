import MoongateCore

/// Copies the pieces of a response head into memory already sized for them (the caller
/// reserves the capacity once, e.g. with `ByteBuffer.writeWithUnsafeMutableBytes`).
struct HeadWriter {
    private let base: UnsafeMutableRawPointer
    /// Bytes written so far.
    private(set) var count = 0

    init(base: UnsafeMutableRawPointer) { self.base = base }

    @inline(__always)
    mutating func put(_ s: StaticString) {
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
            if !HeadWriter.isASCII(UnsafeRawPointer(p), u.count) { return false }
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

    @inline(__always)
    static func isASCII(_ p: UnsafeRawPointer, _ n: Int) -> Bool {
        var i = 0
        var acc: UInt64 = 0
        while i + 8 <= n {
            acc |= p.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            i += 8
        }
        while i < n {
            acc |= UInt64(p.load(fromByteOffset: i, as: UInt8.self))
            i += 1
        }
        return acc & 0x8080_8080_8080_8080 == 0
    }

    /// A decimal number.
    mutating func put(_ v: Int64) {
        if v < 0 { put("-") }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes of scratch
        var x = v.magnitude
        withUnsafeMutableBytes(of: &digits) { d in
            var i = d.count
            repeat {
                i -= 1
                d[i] = UInt8(truncatingIfNeeded: 48 + x % 10)
                x /= 10
            } while x > 0
            let n = d.count - i
            (base + count).copyMemory(from: d.baseAddress! + i, byteCount: n)
            count += n
        }
    }
}
