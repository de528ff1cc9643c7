import MoongateCore
import MoongateHTTP

// ngx.header, ngx.resp.get_headers, ngx.req.get_headers/set_header/clear_header
// (ngx_http_lua_headers.c, ngx_http_lua_headers_out.c, ngx_http_lua_headers_in.c).

private let singleValued: Set<String> = [
    "content-type", "content-length", "location", "last-modified", "etag", "expires", "cache-control",
    "server", "date", "content-encoding", "accept-ranges", "content-range",
]

/// `int mg_http_resp_header_set(void *r, const char *k, size_t kl, const unsigned char *v,
///   size_t vl, int mode, const char **err)`: mode 0 clear, 1 replace, 2 append.
@_cdecl("mg_http_resp_header_set")
public func mg_http_resp_header_set(
    _ rp: UnsafeMutableRawPointer?, _ k: UnsafePointer<CChar>?, _ kl: Int, _ v: UnsafePointer<UInt8>?, _ vl: Int,
    _ mode: Int32, _ err: UnsafeMutablePointer<UnsafePointer<CChar>?>?
) -> Int32 {
    guard let ctx = luaContextOrCurrent(rp), let r = ctx.request else {
        FFIError.set(err, "no request found")
        return FFI.noRequest
    }
    if r.headerSent && ctx.phase != .headerFilter {
        FFIError.set(err, "attempt to set ngx.header.HEADER after sending out response headers")
        return FFI.declined
    }
    var name = ""
    if let k, kl > 0 {
        // Bytes, not Characters: `_` becomes `-` unless lua_transform_underscores_in_response_headers is off.
        let transform = ctx.locConf(r)?.transformUnderscores ?? true
        name = String(unsafeUninitializedCapacity: kl) { out in
            for i in 0..<kl {
                let c = UInt8(bitPattern: k[i])
                out[i] = transform && c == 0x5F ? 0x2D : c
            }
            return kl
        }
    }
    name = escapeHeader(name, isName: true)
    let value = escapeHeader(string(v, vl), isName: false)
    // Only a name as long as one of the four below can be one of them: it is compared
    // byte by byte, case-insensitively (no lower-cased copy; no other character
    // lower-cases to the ASCII of these names). Other names are lower-cased only to
    // append (the single-valued check).
    let n = name.utf8.count
    var special: StaticString = ""
    if n == 12 || n == 14 || n == 8 || n == 13 {
        let candidate: StaticString =
            n == 12 ? "content-type" : n == 14 ? "content-length" : n == 8 ? "location" : "last-modified"
        var nm = name
        if nm.withUTF8({ asciiEqualsLower(UnsafeRawBufferPointer($0), candidate) }) { special = candidate }
    }
    let lower = special.utf8CodeUnitCount > 0 ? special.description : mode == 2 ? lowercasedASCII(name) : ""
    switch lower {
    case "content-type":
        r.headersOut.contentType = mode == 0 ? nil : value
        ctx.mimeSet = true
        return FFI.ok
    case "content-length":
        if mode == 0 {
            r.headersOut.contentLength = nil
        } else {
            guard let n = Int64(value), n >= 0 else {
                FFIError.set(err, "invalid content-length")
                return FFI.error
            }
            r.headersOut.contentLength = n
        }
        return FFI.ok
    case "location":
        r.headersOut.location = mode == 0 ? nil : value
        return FFI.ok
    case "last-modified":
        r.headersOut.lastModified = mode == 0 ? nil : CachedTime.parseHTTPTime(value)
        if mode != 0 && r.headersOut.lastModified == nil {
            r.headersOut.remove(name)
            r.headersOut.list.append((name, value))
        }
        return FFI.ok
    default:
        break
    }
    if mode != 2 || singleValued.contains(lower) { r.headersOut.remove(name) }
    if mode != 0 { r.headersOut.list.append((name, value)) }
    return FFI.ok
}

/// `int mg_http_resp_header_get(void *r, const char *k, size_t kl, int idx,
///   const unsigned char **v, size_t *vl)`: returns how many values the header has and
/// gives the `idx`-th (0-based).
@_cdecl("mg_http_resp_header_get")
public func mg_http_resp_header_get(
    _ rp: UnsafeMutableRawPointer?, _ k: UnsafePointer<CChar>?, _ kl: Int, _ idx: Int32,
    _ v: UnsafeMutablePointer<UnsafePointer<UInt8>?>?, _ vl: UnsafeMutablePointer<Int>?
) -> Int32 {
    guard let ctx = luaContext(rp), let r = ctx.request else { return FFI.noRequest }
    let transform = ctx.locConf(r)?.transformUnderscores ?? true
    let lower: String
    if let k, kl > 0, LogBytes.isASCII(UnsafeRawBufferPointer(start: k, count: kl)) {
        // ASCII (nearly every name): `_` to `-` and lower case in one pass over the bytes.
        lower = String(unsafeUninitializedCapacity: kl) { out in
            for i in 0..<kl {
                let c = UInt8(bitPattern: k[i])
                out[i] = transform && c == 0x5F ? 0x2D : asciiLower(c)
            }
            return kl
        }
    } else {
        var name = string(k, kl)
        if transform {
            name = String(name.map { $0 == "_" ? "-" : $0 })
        }
        lower = name.lowercased()
    }
    switch lower {
    case "content-type", "content-length", "location":
        guard let s = r.headersOut.get(lower) else { return 0 }
        FFIScratch.put(s, v, vl)
        return 1
    case "last-modified":
        if let t = r.headersOut.lastModified {
            FFIScratch.put(CachedTime.httpTime(for: t), v, vl)
            return 1
        }
    default:
        break
    }
    // The matching values counted in place (no filtered arrays per read).
    let i = Int(idx)
    var count = 0
    for h in r.headersOut.list where lowercasedEquals(h.name, lower) {
        if count == i { FFIScratch.put(h.value, v, vl) }
        count += 1
    }
    return Int32(count)
}

/// All response headers as (name, value) pairs, special fields first.
func responseHeaderPairs(_ r: HTTPRequest) -> [(String, String)] {
    var out: [(String, String)] = []
    if let ct = r.headersOut.contentType { out.append(("Content-Type", ct)) }
    if let cl = r.headersOut.contentLength { out.append(("Content-Length", String(cl))) }
    if let lm = r.headersOut.lastModified { out.append(("Last-Modified", CachedTime.httpTime(for: lm))) }
    if let loc = r.headersOut.location { out.append(("Location", loc)) }
    if r.headerSent {
        out.append(("Connection", r.keepAlive ? "keep-alive" : "close"))
    }
    for h in r.headersOut.list { out.append((h.name, h.value)) }
    return out
}

/// `int mg_http_resp_header_count(void *r)`.
@_cdecl("mg_http_resp_header_count")
public func mg_http_resp_header_count(_ rp: UnsafeMutableRawPointer?) -> Int32 {
    guard let ctx = luaContext(rp), let r = ctx.request else { return FFI.noRequest }
    return Int32(responseHeaderPairs(r).count)
}

/// `int mg_http_resp_header_at(void *r, int i, const unsigned char **k, size_t *kl,
///   const unsigned char **v, size_t *vl)`.
@_cdecl("mg_http_resp_header_at")
public func mg_http_resp_header_at(
    _ rp: UnsafeMutableRawPointer?, _ i: Int32, _ k: UnsafeMutablePointer<UnsafePointer<UInt8>?>?,
    _ kl: UnsafeMutablePointer<Int>?, _ v: UnsafeMutablePointer<UnsafePointer<UInt8>?>?,
    _ vl: UnsafeMutablePointer<Int>?
) -> Int32 {
    guard let ctx = luaContext(rp), let r = ctx.request else { return FFI.noRequest }
    let pairs = responseHeaderPairs(r)
    guard Int(i) < pairs.count else { return FFI.declined }
    FFIScratch.putPair(pairs[Int(i)].0, pairs[Int(i)].1, k, kl, v, vl)
    return FFI.ok
}

/// `int mg_http_req_header_count(void *r)`.
@_cdecl("mg_http_req_header_count")
public func mg_http_req_header_count(_ rp: UnsafeMutableRawPointer?) -> Int32 {
    guard let ctx = luaContext(rp), let r = ctx.request else { return FFI.noRequest }
    // The header Strings are made once here, for the mg_http_req_header_at calls after.
    r.head.materializeHeaders()
    return Int32(r.head.headers.count)
}

/// `int mg_http_req_header_at(void *r, int i, const unsigned char **k, size_t *kl,
///   const unsigned char **v, size_t *vl)`.
@_cdecl("mg_http_req_header_at")
public func mg_http_req_header_at(
    _ rp: UnsafeMutableRawPointer?, _ i: Int32, _ k: UnsafeMutablePointer<UnsafePointer<UInt8>?>?,
    _ kl: UnsafeMutablePointer<Int>?, _ v: UnsafeMutablePointer<UnsafePointer<UInt8>?>?,
    _ vl: UnsafeMutablePointer<Int>?
) -> Int32 {
    guard let ctx = luaContext(rp), let r = ctx.request else { return FFI.noRequest }
    r.head.materializeHeaders()
    guard Int(i) < r.head.headers.count else { return FFI.declined }
    let h = r.head.headers[Int(i)]
    FFIScratch.putPair(h.name, h.value, k, kl, v, vl)
    return FFI.ok
}

/// `int mg_http_req_header_set(void *r, const char *k, size_t kl, const unsigned char *v,
///   size_t vl, int mode, const char **err)`: mode 0 clear, 1 replace, 2 append.
@_cdecl("mg_http_req_header_set")
public func mg_http_req_header_set(
    _ rp: UnsafeMutableRawPointer?, _ k: UnsafePointer<CChar>?, _ kl: Int, _ v: UnsafePointer<UInt8>?, _ vl: Int,
    _ mode: Int32, _ err: UnsafeMutablePointer<UnsafePointer<CChar>?>?
) -> Int32 {
    guard let ctx = luaContextOrCurrent(rp), let r = ctx.request else {
        FFIError.set(err, "no request found")
        return FFI.noRequest
    }
    let name = string(k, kl)
    let raw = UnsafeRawBufferPointer(start: k, count: k == nil ? 0 : kl)
    // An ASCII name (nearly always) is compared by its bytes, without a lower-cased copy.
    let ascii = LogBytes.isASCII(raw)
    let lower = ascii ? "" : lowercasedASCII(name)
    let isHost = ascii ? asciiEqualsLower(raw, "host") : lower == "host"
    if mode != 2 {
        r.head.headers.removeAll { ascii ? lowercasedEquals($0.name, raw) : lowercasedEquals($0.name, lower) }
    }
    if mode != 0 {
        let value = string(v, vl)
        r.head.headers.append((name, value))
        if isHost { r.head.host = RequestParser.validateHost(value) }
    } else if isHost {
        r.head.host = nil
    }
    return FFI.ok
}

/// ngx_lua's `ngx_http_lua_copy_escaped_header`: control characters (and, in names, the
/// separators nginx would split on) become `%XX` so a value can never end the header.
func escapeHeader(_ s: String, isName: Bool) -> String {
    // Bit b of the two masks (b < 128) says whether byte b is escaped: DEL and the
    // controls (but TAB in values), and in names the separators
    // 0x20 " ( ) , / : ; < = > ? @ [ \ ] { }.
    let lo: UInt64 = isName ? 0xfc00_9305_ffff_ffff : 0xffff_fdff
    let hi: UInt64 = isName ? 0xa800_0000_3800_0001 : 0x8000_0000_0000_0000
    func needs(_ b: UInt8) -> Bool {
        if b < 64 { return (lo >> UInt64(b)) & 1 != 0 }
        if b < 128 { return (hi >> UInt64(b &- 64)) & 1 != 0 }
        return false
    }
    // Scanned as contiguous bytes (the UTF8View's iterator costs several times more).
    var scan = s
    let found: Bool = scan.withUTF8 { u in
        for b in u where needs(b) { return true }
        return false
    }
    guard found else { return s }
    let hex = Array("0123456789ABCDEF".utf8)
    var out: [UInt8] = []
    for b in s.utf8 {
        if needs(b) {
            out += [0x25, hex[Int(b >> 4)], hex[Int(b & 15)]]
        } else {
            out.append(b)
        }
    }
    return String(decoding: out, as: UTF8.self)
}
