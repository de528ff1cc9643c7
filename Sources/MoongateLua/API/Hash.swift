import CMoongate

/// Digests behind `ngx.md5`, `ngx.md5_bin`, `ngx.sha1_bin`, `ngx.hmac_sha1`
/// (OpenSSL's libcrypto) and `ngx.crc32_short` / `ngx.crc32_long` (nginx's
/// CRC-32: reflected polynomial 0xEDB88320, as zlib's `crc32`).
public enum Hash {
    static let crcTable: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 {
            c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1
        }
        return c
    }

    /// The CRC-32 of `bytes`.
    public static func crc32(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        crcTable.withUnsafeBufferPointer { t in
            var crc: UInt32 = 0xffff_ffff
            for b in bytes {
                crc = t[Int((crc ^ UInt32(b)) & 0xff)] ^ (crc >> 8)
            }
            return crc ^ 0xffff_ffff
        }
    }

    static let hexDigits = Array("0123456789abcdef".utf8)

    /// Writes `count` bytes of `src` as lowercase hex (as `ngx_hex_dump`).
    public static func hexDump(_ src: UnsafePointer<UInt8>, count: Int,
                               into dst: UnsafeMutablePointer<UInt8>) {
        for i in 0..<count {
            dst[2 * i] = hexDigits[Int(src[i] >> 4)]
            dst[2 * i + 1] = hexDigits[Int(src[i] & 0xf)]
        }
    }
}

/// `void mg_hash_md5_bin(const unsigned char *src, size_t len,
/// unsigned char *dst)`: the 16-byte MD5 digest.
@_cdecl("mg_hash_md5_bin")
public func mg_hash_md5_bin(_ src: UnsafePointer<UInt8>?, _ len: Int,
                            _ dst: UnsafeMutablePointer<UInt8>) {
    _ = mg_crypto_md5(src, len, dst)
}

/// `void mg_hash_md5(const unsigned char *src, size_t len, unsigned char *dst)`:
/// the MD5 digest as 32 lowercase hex digits.
@_cdecl("mg_hash_md5")
public func mg_hash_md5(_ src: UnsafePointer<UInt8>?, _ len: Int,
                        _ dst: UnsafeMutablePointer<UInt8>) {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 16) { buf in
        let p = buf.baseAddress!
        _ = mg_crypto_md5(src, len, p)
        Hash.hexDump(p, count: 16, into: dst)
    }
}

/// `int mg_hash_sha1_bin(const unsigned char *src, size_t len,
/// unsigned char *dst)`: the 20-byte SHA-1 digest; NGX_OK or NGX_ERROR.
@_cdecl("mg_hash_sha1_bin")
public func mg_hash_sha1_bin(_ src: UnsafePointer<UInt8>?, _ len: Int,
                             _ dst: UnsafeMutablePointer<UInt8>) -> Int32 {
    mg_crypto_sha1(src, len, dst) == 0 ? 0 : -1
}

/// `int mg_hash_hmac_sha1(const unsigned char *key, size_t key_len,
/// const unsigned char *src, size_t len, unsigned char *dst)`: the 20-byte
/// HMAC-SHA1; NGX_OK or NGX_ERROR.
@_cdecl("mg_hash_hmac_sha1")
public func mg_hash_hmac_sha1(_ key: UnsafePointer<UInt8>?, _ keyLen: Int,
                              _ src: UnsafePointer<UInt8>?, _ len: Int,
                              _ dst: UnsafeMutablePointer<UInt8>) -> Int32 {
    mg_crypto_hmac_sha1(key, keyLen, src, len, dst) == 0 ? 0 : -1
}

/// `unsigned int mg_hash_crc32_short(const unsigned char *src, size_t len)`.
@_cdecl("mg_hash_crc32_short")
public func mg_hash_crc32_short(_ src: UnsafePointer<UInt8>?, _ len: Int) -> UInt32 {
    Hash.crc32(UnsafeBufferPointer(start: len > 0 ? src : nil, count: max(len, 0)))
}

/// `unsigned int mg_hash_crc32_long(const unsigned char *src, size_t len)`:
/// same value as `mg_hash_crc32_short` (nginx only tunes the table size).
@_cdecl("mg_hash_crc32_long")
public func mg_hash_crc32_long(_ src: UnsafePointer<UInt8>?, _ len: Int) -> UInt32 {
    Hash.crc32(UnsafeBufferPointer(start: len > 0 ? src : nil, count: max(len, 0)))
}
