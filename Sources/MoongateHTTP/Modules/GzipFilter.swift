import MoongateCore
import NIOCore

/// nginx's gzip filter (`ngx_http_gzip_filter_module`) and the client checks of the core
/// module (`ngx_http_gzip_ok`). It runs after body_filter_by_lua, which sees the
/// uncompressed data, as in nginx where ngx_lua's filter sits above gzip in the chain.
extension HTTPRequest {
    /// The header part: decides whether this response is compressed, and if so adds
    /// `Content-Encoding: gzip`, drops Content-Length and Accept-Ranges, makes the ETag weak.
    func gzipHeaderFilter() {
        guard let g = loc.gzip, g.isEnabled, !headerOnly else { return }
        guard status == 200 || status == 403 || status == 404 else { return }
        if let ce = outHeader("content-encoding"), !ce.isEmpty { return }
        if let cl = headersOut.contentLength, cl < Int64(g.minLength ?? 20) { return }
        guard g.matchesType(headersOut.contentType) else { return }
        gzipVary = true
        guard gzipAccepted(g) else { return }
        gzip = GzipStream(
            level: g.level ?? 1, contentLength: headersOut.contentLength, pieceSize: g.bufferSize ?? 4096,
            windowBits: g.windowBits ?? 15, memLevel: g.memLevel ?? 8)
        headersOut.list.append(("Content-Encoding", "gzip"))
        headersOut.contentLength = nil
        headersOut.list.removeAll { $0.name.lowercased() == "accept-ranges" }
        // ngx_http_weak_etag: a strong ETag becomes weak, one that is not a quoted
        // string is dropped.
        if let i = headersOut.list.firstIndex(where: { $0.name.lowercased() == "etag" }) {
            let v = headersOut.list[i].value
            if v.hasPrefix("W/") {
            } else if v.hasPrefix("\"") {
                headersOut.list[i].value = "W/" + v
            } else {
                headersOut.list.remove(at: i)
            }
        }
    }

    /// Whether the header filter will compress the response as it stands (the static
    /// module asks before it applies a Range, as nginx's range filter runs after gzip).
    func gzipWouldCompress() -> Bool {
        guard let g = loc.gzip, g.isEnabled, !headerOnly, status == 200 else { return false }
        if let ce = outHeader("content-encoding"), !ce.isEmpty { return false }
        if let cl = headersOut.contentLength, cl < Int64(g.minLength ?? 20) { return false }
        return g.matchesType(headersOut.contentType) && gzipAccepted(g)
    }

    /// The body part: compresses what the Lua filters let through.
    func gzipBodyFilter(_ chunk: inout BodyChunk) -> Bool {
        guard let gz = gzip, !gz.done else { return true }
        if gz.filter(&chunk, allocator: connection.allocator) { return true }
        log(.alert, "deflate() failed")
        return false
    }

    /// Whether the client may get gzip (nginx's `ngx_http_gzip_ok`).
    func gzipAccepted(_ g: GzipConf) -> Bool {
        if parent != nil || subrequestSink != nil { return false }
        guard let ae = header("accept-encoding"), ae.utf8.count >= 4 else { return false }
        if !ae.hasPrefix("gzip,") && !GzipAcceptEncoding.accepts(Array(ae.utf8)) { return false }
        if (g.disableMSIE6 ?? false) && isMSIE6 { return false }
        if head.version < (g.httpVersion ?? 11) { return false }
        if header("via") != nil {
            let p = g.proxied ?? .off
            if !gzipProxiedAllows(p) { return false }
        }
        if let list = g.disable, !list.isEmpty, let ua = header("user-agent") {
            for re in list where re.matches(ua) { return false }
        }
        return true
    }

    private func gzipProxiedAllows(_ p: GzipConf.Proxied) -> Bool {
        if p.contains(.off) { return false }
        if p.contains(.any) { return true }
        if header("authorization") != nil && p.contains(.auth) { return true }
        if let e = outHeader("expires") {
            if !p.contains(.expired) { return false }
            guard let expires = parseTime(e) else { return false }
            var date = Int(CachedTime.now)
            if let d = outHeader("date") {
                guard let t = parseTime(d) else { return false }
                date = t
            }
            return expires < date
        }
        let cc = headersOut.list.filter { $0.name.lowercased() == "cache-control" }.map { $0.value }
        if !cc.isEmpty {
            if p.contains(.noCache) && hasToken(cc, "no-cache") { return true }
            if p.contains(.noStore) && hasToken(cc, "no-store") { return true }
            if p.contains(.private) && hasToken(cc, "private") { return true }
            return false
        }
        if p.contains(.noLastModified) && (headersOut.lastModified != nil || outHeader("last-modified") != nil) {
            return false
        }
        if p.contains(.noETag) && outHeader("etag") != nil { return false }
        return true
    }

    private func outHeader(_ lower: String) -> String? {
        for h in headersOut.list where h.name.utf8.count == lower.utf8.count && h.name.lowercased() == lower {
            return h.value
        }
        return nil
    }

    private func parseTime(_ s: String) -> Int? {
        var v = s
        return v.withUTF8 { HTTPTime.parse($0) }
    }

    /// nginx's `ngx_http_parse_multi_header_lines`: `name` as a token of a comma list.
    private func hasToken(_ values: [String], _ name: String) -> Bool {
        for v in values {
            for part in v.split(separator: ",") {
                let t = String(part).trimmingCharacters(in: " \t").lowercased()
                if t == name || t.hasPrefix(name + "=") || t.hasPrefix(name + " ") { return true }
            }
        }
        return false
    }

    /// nginx's `headers_in.msie6`: MSIE 4, 5, or 6 without SV1.
    var isMSIE6: Bool {
        guard let ua = header("user-agent") else { return false }
        let b = Array(ua.utf8)
        let needle = Array("MSIE ".utf8)
        guard b.count >= needle.count else { return false }
        var at: Int? = nil
        for i in 0...(b.count - needle.count) where b[i..<(i + needle.count)].elementsEqual(needle) {
            at = i
            break
        }
        guard let m = at, m + 7 < b.count, b[m + 6] == UInt8(ascii: ".") else { return false }
        switch b[m + 5] {
        case UInt8(ascii: "4"), UInt8(ascii: "5"): return true
        case UInt8(ascii: "6"):
            let rest = String(decoding: b[(m + 8)...], as: UTF8.self)
            return !rest.contains("SV1")
        default: return false
        }
    }
}

private extension String {
    func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}

/// nginx's `ngx_http_gzip_accept_encoding` and `ngx_http_gzip_quantity`: "gzip" as a
/// token, with a quality above zero.
enum GzipAcceptEncoding {
    static func accepts(_ ae: [UInt8]) -> Bool {
        let n = ae.count
        var start = 0
        var p = -1
        while true {
            // Case-insensitive search for "gzip" from `start`.
            var found = -1
            if n >= 4 && start <= n - 4 {
                for i in start...(n - 4) {
                    if lower(ae[i]) == 0x67 && lower(ae[i + 1]) == 0x7a && lower(ae[i + 2]) == 0x69
                        && lower(ae[i + 3]) == 0x70
                    {
                        found = i
                        break
                    }
                }
            }
            if found < 0 { return false }
            if found == 0 || ae[found - 1] == UInt8(ascii: ",") || ae[found - 1] == UInt8(ascii: " ") {
                p = found
                break
            }
            start = found + 4
        }
        var i = p + 4
        while i < n {
            let c = ae[i]
            i += 1
            switch c {
            case UInt8(ascii: ","): return true
            case UInt8(ascii: ";"): return quantity(ae, from: i)
            case UInt8(ascii: " "): continue
            default: return false
            }
        }
        return true
    }

    private static func quantity(_ ae: [UInt8], from start: Int) -> Bool {
        var i = start
        let n = ae.count
        while i < n {
            let c = ae[i]
            i += 1
            switch c {
            case UInt8(ascii: "q"), UInt8(ascii: "Q"):
                guard i + 2 <= n, ae[i] == UInt8(ascii: "=") else { return false }
                return q(ae, from: i + 1) != 0
            case UInt8(ascii: " "): continue
            default: return false
            }
        }
        return true
    }

    private static func q(_ ae: [UInt8], from start: Int) -> Int {
        var i = start
        let n = ae.count
        let c0 = ae[i]
        i += 1
        guard c0 == UInt8(ascii: "0") || c0 == UInt8(ascii: "1") else { return 0 }
        var q = Int(c0 - 48) * 100
        if i == n { return q }
        let c1 = ae[i]
        i += 1
        if c1 == UInt8(ascii: ",") || c1 == UInt8(ascii: " ") { return q }
        guard c1 == UInt8(ascii: ".") else { return 0 }
        var digits = 0
        while i < n {
            let c = ae[i]
            i += 1
            if c == UInt8(ascii: ",") || c == UInt8(ascii: " ") { break }
            guard c >= 48 && c <= 57 else { return 0 }
            q += Int(c - 48)
            digits += 1
        }
        if q > 100 || digits > 3 { return 0 }
        return q
    }

    private static func lower(_ c: UInt8) -> UInt8 { c >= 65 && c <= 90 ? c + 32 : c }
}
