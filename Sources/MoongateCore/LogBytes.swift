#if canImport(Glibc)
import Glibc
#endif

/// Raw client bytes in error log lines. nginx writes a request line or header as the
/// client sent it, invalid UTF-8 included; a Swift `String` cannot hold such bytes. Each
/// byte that is not part of valid UTF-8 is carried as the private-use scalar
/// U+10FF00 + byte, and `ErrorLog` writes it back as the byte itself.
public enum LogBytes {
    /// The bytes as a String for the error log, invalid UTF-8 bytes kept (see above).
    public static func string<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        Array(bytes).withUnsafeBytes { text($0) }
    }

    /// The bytes `string(_:)` was made from.
    public static func bytes(_ s: String) -> [UInt8] { withBytes(s) { Array($0) } }

    /// Client bytes as a String: valid UTF-8 as is, other bytes carried (see above), so
    /// that they can go out again unchanged (a proxied URI, a header, a Lua string).
    public static func text(_ buf: UnsafeRawBufferPointer) -> String {
        if let s = ascii(buf) { return s }
        // Non-generic checks: String(validating:as:) instantiates generic metadata at run
        // time, thousands of instructions per call.
        if isValidUTF8(buf) { return String(decoding: buf, as: UTF8.self) }
        var scalars = String.UnicodeScalarView()
        var i = 0
        while i < buf.count {
            if let (scalar, n) = decode(buf, at: i) {
                scalars.append(scalar)
                i += n
            } else {
                scalars.append(Unicode.Scalar(0x10FF00 + UInt32(buf[i]))!)
                i += 1
            }
        }
        return String(scalars)
    }

    /// `buf` as a String when it is all ASCII, else nil. Up to 15 bytes (a URI, a host, a
    /// header value) the String is built in place, as the standard library lays out a
    /// small ASCII string: no allocation and no UTF-8 validation pass (String(decoding:)
    /// costs ~200 instructions for such a string, this ~30).
    @inline(__always)
    public static func ascii(_ buf: UnsafeRawBufferPointer) -> String? {
        let n = buf.count
        if n <= 15 {
            guard let (lo, hi) = smallWords(buf, lower: false) else { return nil }
            return smallString(lo, hi, n)
        }
        guard isASCII(buf) else { return nil }
        return String(decoding: buf, as: UTF8.self)
    }

    /// `buf`, known to be ASCII, as a String with A-Z lowercased.
    public static func asciiLowercased(_ buf: UnsafeRawBufferPointer) -> String {
        let n = buf.count
        if n <= 15, let (lo, hi) = smallWords(buf, lower: true) { return smallString(lo, hi, n) }
        return String(unsafeUninitializedCapacity: n) { out in
            for k in 0..<n {
                let c = buf[k]
                out[k] = c &- 65 < 26 ? c | 0x20 : c
            }
            return n
        }
    }

    /// The bytes of a small string as its two words (little-endian, byte 0 lowest), nil
    /// when one is not ASCII. `lower`: A-Z lowercased.
    @inline(__always)
    private static func smallWords(_ buf: UnsafeRawBufferPointer, lower: Bool) -> (UInt64, UInt64)? {
        let n = buf.count
        guard n > 0, let p = buf.baseAddress else { return (0, 0) }
        var lo: UInt64 = 0
        var hi: UInt64 = 0
        if n >= 8 {
            lo = p.loadUnaligned(as: UInt64.self)
            if n > 8 {
                // The last 8 bytes, shifted down to bytes 8..<n.
                hi = p.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self) >> UInt64((16 - n) * 8)
            }
        } else {
            var i = 0
            while i < n {
                lo |= UInt64(p.load(fromByteOffset: i, as: UInt8.self)) << UInt64(i * 8)
                i += 1
            }
        }
        if (lo | hi) & 0x8080_8080_8080_8080 != 0 { return nil }
        if lower {
            lo = lowered(lo)
            hi = lowered(hi)
        }
        return (lo, hi)
    }

    /// Eight ASCII bytes with A-Z lowercased (SWAR: no byte above 0x7F).
    @inlinable @inline(__always)
    public static func lowered(_ w: UInt64) -> UInt64 {
        // 0x80 set in each byte >= 'A', then cleared for bytes > 'Z'.
        let geA = (w &+ 0x3F3F_3F3F_3F3F_3F3F) & 0x8080_8080_8080_8080
        let gtZ = (w &+ 0x2525_2525_2525_2525) & 0x8080_8080_8080_8080
        return w | ((geA & ~gtZ) >> 2)
    }

    /// A small ASCII string from its words: the standard library's layout on 64-bit
    /// platforms (bytes, then the count in the top byte with the immortal, ASCII and
    /// small flags). The tests check it against strings the library made.
    @inline(__always)
    private static func smallString(_ lo: UInt64, _ hi: UInt64, _ n: Int) -> String {
        unsafeBitCast((lo, hi | (UInt64(0xE0 | n) << 56)), to: String.self)
    }

    /// Whether `buf` is all ASCII (then it carries no bytes to restore), eight at a time.
    @inlinable @inline(__always)
    public static func isASCII(_ buf: UnsafeRawBufferPointer) -> Bool {
        guard let p = buf.baseAddress else { return true }
        let n = buf.count
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

    /// Whether `buf` is well-formed UTF-8 (ASCII checked eight bytes at a time).
    public static func isValidUTF8(_ buf: UnsafeRawBufferPointer) -> Bool {
        guard let base = buf.baseAddress else { return true }
        var i = 0
        while i + 8 <= buf.count {
            if base.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { break }
            i += 8
        }
        while i < buf.count {
            guard let (_, n) = decode(buf, at: i) else { return false }
            i += n
        }
        return true
    }

    /// Calls `body` with the bytes `s` stands for: its UTF-8, with carried bytes restored.
    @inlinable
    public static func withBytes<R>(_ s: String, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var s = s
        return try s.withUTF8 { u in
            if let raw = restore(u) { return try raw.withUnsafeBytes(body) }
            return try body(UnsafeRawBufferPointer(u))
        }
    }

    /// Calls `body` with `s` as a NUL-terminated C string of the bytes it stands for (a
    /// file name from a URI with bytes that are not UTF-8 is opened by those bytes).
    @inlinable
    public static func withCString<R>(_ s: String, _ body: (UnsafePointer<CChar>) throws -> R) rethrows -> R {
        var s = s
        let raw: [UInt8]? = s.withUTF8 { restore($0) }
        guard var bytes = raw else { return try s.withCString(body) }
        bytes.append(0)
        return try bytes.withUnsafeBufferPointer { b in
            try b.withMemoryRebound(to: CChar.self) { try body($0.baseAddress!) }
        }
    }

    /// Rewrites carried bytes in UTF-8 text (F4 8F BE|BF xx) back to the raw bytes.
    public static func restore(_ buf: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard let base = buf.baseAddress, buf.count >= 4, memchr(base, 0xF4, buf.count) != nil else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(buf.count)
        var i = 0
        while i < buf.count {
            if buf[i] == 0xF4 && i + 3 < buf.count && buf[i + 1] == 0x8F && (buf[i + 2] == 0xBE || buf[i + 2] == 0xBF) {
                out.append(0x80 + ((buf[i + 2] & 1) << 6) + (buf[i + 3] & 0x3F))
                i += 4
            } else {
                out.append(buf[i])
                i += 1
            }
        }
        return out
    }

    /// One valid UTF-8 sequence at `i`: its scalar and length (overlong forms,
    /// surrogates and values past U+10FFFF are not valid).
    @inline(__always)
    private static func decode(_ a: UnsafeRawBufferPointer, at i: Int) -> (Unicode.Scalar, Int)? {
        let b0 = a[i]
        let n: Int
        var v: UInt32
        switch b0 {
        case 0..<0x80: return (Unicode.Scalar(b0), 1)
        case 0xC2...0xDF: n = 2; v = UInt32(b0 & 0x1F)
        case 0xE0...0xEF: n = 3; v = UInt32(b0 & 0x0F)
        case 0xF0...0xF4: n = 4; v = UInt32(b0 & 0x07)
        default: return nil
        }
        guard i + n <= a.count else { return nil }
        for k in 1..<n {
            let b = a[i + k]
            guard b & 0xC0 == 0x80 else { return nil }
            v = v << 6 | UInt32(b & 0x3F)
        }
        let minimum: UInt32 = n == 2 ? 0x80 : (n == 3 ? 0x800 : 0x10000)
        guard v >= minimum, let s = Unicode.Scalar(v) else { return nil }
        return (s, n)
    }
}
