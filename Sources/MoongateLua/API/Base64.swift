/// Base64 codecs behind `ngx.encode_base64`, `ngx.decode_base64`,
/// `ngx.decode_base64mime` and `ngx.base64`'s url variants, with the rules of
/// nginx's `ngx_encode_base64` / `ngx_decode_base64` family.
public enum Base64 {
    static let standardAlphabet = Array(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    static let urlAlphabet = Array(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// 0xFF marks a byte outside the alphabet (nginx uses 77 for the same).
    static let invalid: UInt8 = 0xFF
    static let standardBasis = makeBasis(standardAlphabet)
    static let urlBasis = makeBasis(urlAlphabet)

    private static func makeBasis(_ alphabet: [UInt8]) -> [UInt8] {
        var basis = [UInt8](repeating: invalid, count: 256)
        for (i, c) in alphabet.enumerated() { basis[Int(c)] = UInt8(i) }
        return basis
    }

    /// Encoded size of `len` bytes.
    public static func encodedLength(_ len: Int, padding: Bool) -> Int {
        padding ? (len + 2) / 3 * 4 : (len * 8 + 5) / 6
    }

    /// Largest decoded size of `len` characters.
    public static func decodedLength(_ len: Int) -> Int {
        (len + 3) / 4 * 3
    }

    /// Encodes `src` into `dst` (at least `encodedLength` bytes); returns the
    /// number of bytes written.
    public static func encode(_ src: UnsafeBufferPointer<UInt8>,
                              into dst: UnsafeMutablePointer<UInt8>,
                              alphabet: [UInt8], padding: Bool) -> Int {
        var s = 0
        var d = 0
        var len = src.count
        alphabet.withUnsafeBufferPointer { a in
            while len > 2 {
                let b0 = src[s], b1 = src[s + 1], b2 = src[s + 2]
                dst[d] = a[Int(b0 >> 2)]
                dst[d + 1] = a[Int((b0 & 0x03) << 4 | b1 >> 4)]
                dst[d + 2] = a[Int((b1 & 0x0f) << 2 | b2 >> 6)]
                dst[d + 3] = a[Int(b2 & 0x3f)]
                s += 3
                d += 4
                len -= 3
            }
            guard len > 0 else { return }
            let b0 = src[s]
            dst[d] = a[Int(b0 >> 2)]
            d += 1
            if len == 1 {
                dst[d] = a[Int((b0 & 0x03) << 4)]
                d += 1
                if padding {
                    dst[d] = UInt8(ascii: "=")
                    d += 1
                }
            } else {
                let b1 = src[s + 1]
                dst[d] = a[Int((b0 & 0x03) << 4 | b1 >> 4)]
                dst[d + 1] = a[Int((b1 & 0x0f) << 2)]
                d += 2
            }
            if padding {
                dst[d] = UInt8(ascii: "=")
                d += 1
            }
        }
        return d
    }

    /// Decodes `src` into `dst` (at least `decodedLength` bytes). Input stops
    /// at the first `=`; padding is optional. With `skipInvalid` (the MIME
    /// variant), bytes outside the alphabet are ignored instead of failing.
    /// Returns the decoded size, or nil for invalid input.
    public static func decode(_ src: UnsafeBufferPointer<UInt8>,
                              into dst: UnsafeMutablePointer<UInt8>,
                              basis: [UInt8], skipInvalid: Bool = false) -> Int? {
        basis.withUnsafeBufferPointer { b -> Int? in
            var quad: (UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0)
            var n = 0
            var d = 0
            for c in src {
                if c == UInt8(ascii: "=") { break }
                let v = b[Int(c)]
                if v == invalid {
                    if skipInvalid { continue }
                    return nil
                }
                switch n {
                case 0: quad.0 = v
                case 1: quad.1 = v
                case 2: quad.2 = v
                default: quad.3 = v
                }
                n += 1
                if n == 4 {
                    dst[d] = quad.0 << 2 | quad.1 >> 4
                    dst[d + 1] = quad.1 << 4 | quad.2 >> 2
                    dst[d + 2] = quad.2 << 6 | quad.3
                    d += 3
                    n = 0
                }
            }
            if n == 1 { return nil }
            if n > 1 {
                dst[d] = quad.0 << 2 | quad.1 >> 4
                d += 1
            }
            if n > 2 {
                dst[d] = quad.1 << 4 | quad.2 >> 2
                d += 1
            }
            return d
        }
    }
}

private func buffer(_ p: UnsafePointer<UInt8>?, _ len: Int) -> UnsafeBufferPointer<UInt8> {
    UnsafeBufferPointer(start: len > 0 ? p : nil, count: len > 0 ? len : 0)
}

/// `size_t mg_base64_encode(const unsigned char *src, size_t len,
/// unsigned char *dst, int no_padding)`: returns the encoded size.
@_cdecl("mg_base64_encode")
public func mg_base64_encode(_ src: UnsafePointer<UInt8>?, _ len: Int,
                             _ dst: UnsafeMutablePointer<UInt8>,
                             _ noPadding: Int32) -> Int {
    Base64.encode(buffer(src, len), into: dst, alphabet: Base64.standardAlphabet,
                  padding: noPadding == 0)
}

/// `size_t mg_base64_encode_url(const unsigned char *src, size_t len,
/// unsigned char *dst)`: base64url without padding; returns the size.
@_cdecl("mg_base64_encode_url")
public func mg_base64_encode_url(_ src: UnsafePointer<UInt8>?, _ len: Int,
                                 _ dst: UnsafeMutablePointer<UInt8>) -> Int {
    Base64.encode(buffer(src, len), into: dst, alphabet: Base64.urlAlphabet,
                  padding: false)
}

private func decodeStatus(_ n: Int?, _ dlen: UnsafeMutablePointer<Int>) -> Int32 {
    guard let n else { return -1 }
    dlen.pointee = n
    return 0
}

/// `int mg_base64_decode(const unsigned char *src, size_t len,
/// unsigned char *dst, size_t *dlen)`: NGX_OK (0) or NGX_ERROR (-1).
@_cdecl("mg_base64_decode")
public func mg_base64_decode(_ src: UnsafePointer<UInt8>?, _ len: Int,
                             _ dst: UnsafeMutablePointer<UInt8>,
                             _ dlen: UnsafeMutablePointer<Int>) -> Int32 {
    decodeStatus(Base64.decode(buffer(src, len), into: dst,
                               basis: Base64.standardBasis), dlen)
}

/// `int mg_base64_decode_mime(const unsigned char *src, size_t len,
/// unsigned char *dst, size_t *dlen)`: like `mg_base64_decode` but skips
/// bytes outside the alphabet (line breaks etc.).
@_cdecl("mg_base64_decode_mime")
public func mg_base64_decode_mime(_ src: UnsafePointer<UInt8>?, _ len: Int,
                                  _ dst: UnsafeMutablePointer<UInt8>,
                                  _ dlen: UnsafeMutablePointer<Int>) -> Int32 {
    decodeStatus(Base64.decode(buffer(src, len), into: dst,
                               basis: Base64.standardBasis, skipInvalid: true),
                 dlen)
}

/// `int mg_base64_decode_url(const unsigned char *src, size_t len,
/// unsigned char *dst, size_t *dlen)`: base64url, padding optional.
@_cdecl("mg_base64_decode_url")
public func mg_base64_decode_url(_ src: UnsafePointer<UInt8>?, _ len: Int,
                                 _ dst: UnsafeMutablePointer<UInt8>,
                                 _ dlen: UnsafeMutablePointer<Int>) -> Int32 {
    decodeStatus(Base64.decode(buffer(src, len), into: dst, basis: Base64.urlBasis),
                 dlen)
}
