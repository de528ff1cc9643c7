// nginx functions that OpenResty libraries call through the FFI by their nginx
// names (lua-resty-string's resty.string declares ngx_hex_dump and ngx_atoi).

private let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

/// `u_char *ngx_hex_dump(u_char *dst, const u_char *src, size_t len)`: lowercase hex,
/// returns the end of what was written.
@_cdecl("ngx_hex_dump")
public func ngx_hex_dump(
    _ dst: UnsafeMutablePointer<UInt8>, _ src: UnsafePointer<UInt8>?, _ len: Int
) -> UnsafeMutablePointer<UInt8> {
    guard let src else { return dst }
    var d = dst
    for i in 0..<len {
        let b = src[i]
        d[0] = hexDigits[Int(b >> 4)]
        d[1] = hexDigits[Int(b & 0xf)]
        d += 2
    }
    return d
}

/// `intptr_t ngx_atoi(const u_char *line, size_t n)`: a non-negative decimal, or -1
/// (NGX_ERROR) when empty, not all digits, or too large.
@_cdecl("ngx_atoi")
public func ngx_atoi(_ line: UnsafePointer<UInt8>?, _ n: Int) -> Int {
    guard let line, n > 0 else { return -1 }
    var value = 0
    for i in 0..<n {
        let c = line[i]
        guard c >= 48 && c <= 57 else { return -1 }
        let (m, o1) = value.multipliedReportingOverflow(by: 10)
        let (a, o2) = m.addingReportingOverflow(Int(c - 48))
        if o1 || o2 { return -1 }
        value = a
    }
    return value
}
