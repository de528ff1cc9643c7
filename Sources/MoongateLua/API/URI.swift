/// URI escaping behind `ngx.escape_uri` / `ngx.unescape_uri`, with the tables
/// of ngx_http_lua's own `ngx_http_lua_escape_uri` (which differ from nginx
/// core's: the component table keeps `!'()*-._~` and alphanumerics).
public enum URIEscape {
    /// Escape types, numbered as nginx's `NGX_ESCAPE_*`.
    public static let uri: Int32 = 0
    public static let args: Int32 = 1
    public static let uriComponent: Int32 = 2
    public static let html: Int32 = 3
    public static let refresh: Int32 = 4
    public static let memcached: Int32 = 5
    public static let mailAuth: Int32 = 6

    /// One bit per byte value: set means the byte is written as `%XX`.
    static let tables: [[UInt32]] = {
        let high: [UInt32] = [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff]
        let uri: [UInt32] = [0xffffffff, 0x80000029, 0x00000000, 0x80000000] + high
        let args: [UInt32] = [0xffffffff, 0x80000829, 0x00000000, 0x80000000] + high
        let component: [UInt32] =
            [0xffffffff, 0xfc00987d, 0x78000001, 0xb8000001] + high
        let html: [UInt32] = [0xffffffff, 0x000000ad, 0x00000000, 0x80000000] + high
        let refresh: [UInt32] =
            [0xffffffff, 0x00000085, 0x00000000, 0x80000000] + high
        let memcached: [UInt32] = [0xffffffff, 0x00000021, 0, 0, 0, 0, 0, 0]
        return [uri, args, component, html, refresh, memcached, memcached]
    }()

    static let hex = Array("0123456789ABCDEF".utf8)

    static func table(_ type: Int32) -> [UInt32] {
        tables[Int(type >= 0 && type <= mailAuth ? type : uriComponent)]
    }

    /// Number of bytes of `src` that `type` escapes.
    public static func escapeCount(_ src: UnsafeBufferPointer<UInt8>, type: Int32) -> Int {
        let t = table(type)
        var n = 0
        for c in src where t[Int(c >> 5)] & (1 << UInt32(c & 0x1f)) != 0 {
            n += 1
        }
        return n
    }

    /// Escapes `src` into `dst` (`src.count + 2 * escapeCount` bytes); returns
    /// the number of bytes written.
    @discardableResult
    public static func escape(_ src: UnsafeBufferPointer<UInt8>,
                              into dst: UnsafeMutablePointer<UInt8>, type: Int32) -> Int {
        let t = table(type)
        var d = 0
        for c in src {
            if t[Int(c >> 5)] & (1 << UInt32(c & 0x1f)) != 0 {
                dst[d] = UInt8(ascii: "%")
                dst[d + 1] = hex[Int(c >> 4)]
                dst[d + 2] = hex[Int(c & 0xf)]
                d += 3
            } else {
                dst[d] = c
                d += 1
            }
        }
        return d
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// Unescapes a URI component into `dst` (at least `src.count` bytes):
    /// `%XX` becomes the byte, `+` a space, and a `%` not followed by two hex
    /// digits is kept as is. Returns the number of bytes written.
    public static func unescape(_ src: UnsafeBufferPointer<UInt8>,
                                into dst: UnsafeMutablePointer<UInt8>) -> Int {
        var s = 0
        var d = 0
        let n = src.count
        while s < n {
            let c = src[s]
            s += 1
            if c == UInt8(ascii: "%") {
                if n - s >= 2, let hi = hexValue(src[s]), let lo = hexValue(src[s + 1]) {
                    dst[d] = hi << 4 | lo
                    s += 2
                } else {
                    dst[d] = c
                }
            } else if c == UInt8(ascii: "+") {
                dst[d] = UInt8(ascii: " ")
            } else {
                dst[d] = c
            }
            d += 1
        }
        return d
    }
}

private func buffer(_ p: UnsafePointer<UInt8>?, _ len: Int) -> UnsafeBufferPointer<UInt8> {
    UnsafeBufferPointer(start: len > 0 ? p : nil, count: len > 0 ? len : 0)
}

/// `size_t mg_uri_escaped_length(const unsigned char *src, size_t len,
/// int type)`: the size of the escaped string.
@_cdecl("mg_uri_escaped_length")
public func mg_uri_escaped_length(_ src: UnsafePointer<UInt8>?, _ len: Int,
                                  _ type: Int32) -> Int {
    len + 2 * URIEscape.escapeCount(buffer(src, len), type: type)
}

/// `void mg_uri_escape(const unsigned char *src, size_t len,
/// unsigned char *dst, int type)`.
@_cdecl("mg_uri_escape")
public func mg_uri_escape(_ src: UnsafePointer<UInt8>?, _ len: Int,
                          _ dst: UnsafeMutablePointer<UInt8>, _ type: Int32) {
    URIEscape.escape(buffer(src, len), into: dst, type: type)
}

/// `size_t mg_uri_unescape(const unsigned char *src, size_t len,
/// unsigned char *dst)`: returns the unescaped size (at most `len`).
@_cdecl("mg_uri_unescape")
public func mg_uri_unescape(_ src: UnsafePointer<UInt8>?, _ len: Int,
                            _ dst: UnsafeMutablePointer<UInt8>) -> Int {
    URIEscape.unescape(buffer(src, len), into: dst)
}
