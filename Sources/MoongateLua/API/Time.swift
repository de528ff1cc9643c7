import CMoongate
import MoongateCore
#if canImport(Glibc)
import Glibc
#endif

private func copyASCII(_ s: String, _ dst: UnsafeMutablePointer<UInt8>) -> Int32 {
    var n = 0
    for b in s.utf8 {
        dst[n] = b
        n += 1
    }
    return Int32(n)
}

/// `double mg_time_now(void)`: the cached time in seconds, millisecond
/// resolution.
@_cdecl("mg_time_now")
public func mg_time_now() -> Double { CachedTime.now }

/// `long mg_time_time(void)`: the cached time in whole seconds.
@_cdecl("mg_time_time")
public func mg_time_time() -> Int { CachedTime.seconds }

/// `void mg_time_update(void)`: refreshes the cached time from the clock.
@_cdecl("mg_time_update")
public func mg_time_update() { CachedTime.update() }

/// `int mg_time_today(unsigned char *buf)`: `yyyy-mm-dd` (local) of the cached
/// time into `buf` (at least 16 bytes); returns the size.
@_cdecl("mg_time_today")
public func mg_time_today(_ buf: UnsafeMutablePointer<UInt8>) -> Int32 {
    copyASCII(HTTPTime.day(CachedTime.seconds), buf)
}

/// `int mg_time_localtime(unsigned char *buf)`: `yyyy-mm-dd hh:mm:ss` (local)
/// of the cached time into `buf` (at least 32 bytes); returns the size.
@_cdecl("mg_time_localtime")
public func mg_time_localtime(_ buf: UnsafeMutablePointer<UInt8>) -> Int32 {
    copyASCII(HTTPTime.dateTime(CachedTime.seconds, local: true), buf)
}

/// `int mg_time_utctime(unsigned char *buf)`: `yyyy-mm-dd hh:mm:ss` (UTC) of
/// the cached time into `buf` (at least 32 bytes); returns the size.
@_cdecl("mg_time_utctime")
public func mg_time_utctime(_ buf: UnsafeMutablePointer<UInt8>) -> Int32 {
    copyASCII(HTTPTime.dateTime(CachedTime.seconds, local: false), buf)
}

/// `int mg_time_cookie_time(unsigned char *buf, long t)`: the cookie
/// `expires` form of `t` into `buf` (at least 64 bytes); returns the size.
@_cdecl("mg_time_cookie_time")
public func mg_time_cookie_time(_ buf: UnsafeMutablePointer<UInt8>, _ t: Int) -> Int32 {
    copyASCII(HTTPTime.cookieTime(t), buf)
}

/// `int mg_time_http_time(unsigned char *buf, long t)`: the RFC 1123 form of
/// `t` into `buf` (at least 64 bytes); returns the size.
@_cdecl("mg_time_http_time")
public func mg_time_http_time(_ buf: UnsafeMutablePointer<UInt8>, _ t: Int) -> Int32 {
    copyASCII(HTTPTime.httpTime(t), buf)
}

/// `int mg_time_parse_http_time(const unsigned char *str, size_t len,
/// long *time)`: NGX_OK with the seconds in `*time`, or NGX_ERROR.
@_cdecl("mg_time_parse_http_time")
public func mg_time_parse_http_time(_ str: UnsafePointer<UInt8>?, _ len: Int,
                                    _ time: UnsafeMutablePointer<Int>) -> Int32 {
    let buf = UnsafeBufferPointer(start: len > 0 ? str : nil, count: max(len, 0))
    guard let t = HTTPTime.parse(buf) else { return -1 }
    time.pointee = t
    return 0
}
