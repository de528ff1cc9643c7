import MoongateCore
#if canImport(Glibc)
import Glibc
#endif
/// Parses a request head from bytes, with nginx's checks and status codes.
/// Pure and incremental: `parseHead` returns nil until a whole head is present.
public enum RequestParser {
    /// Finds the end of the head in `bytes` (index after the blank line), or nil.
    /// Leading empty lines before the request line are skipped as nginx does.
    public static func headEnd(_ bytes: UnsafeRawBufferPointer) -> Int? {
        let n = bytes.count
        guard n > 0, let base = bytes.baseAddress else { return nil }
        var i = 0
        // Skip CRLFs before the request line.
        while i < n && (bytes[i] == 13 || bytes[i] == 10) { i += 1 }
        guard i < n, let firstLF = memchr(base + i, 10, n - i) else { return nil }
        let lf = base.distance(to: UnsafeRawPointer(firstLF))
        // An HTTP/0.9 request is its request line alone ("GET /x", no version). A line
        // ending in "HTTP/1.x" (nearly all) is not one: the words are counted otherwise.
        var stop = lf
        if stop > i && bytes[stop - 1] == 13 { stop -= 1 }
        // (At least three words: one starting the line, a space inside it, a word ending
        // just before " HTTP/", read as the low six bytes of a little-endian word.)
        let versioned =
            stop - i >= 12
            && UInt64(littleEndian: base.loadUnaligned(fromByteOffset: stop - 9, as: UInt64.self)) & 0xFFFF_FFFF_FFFF
                == 0x2F50_5454_4820
            && bytes[i] != 32 && bytes[stop - 10] != 32 && memchr(base + i, 32, stop - 10 - i) != nil
        if !versioned {
            var words = 0
            var inWord = false
            for k in i..<lf where bytes[k] != 13 {
                let space = bytes[k] == 32
                if !space && !inWord { words += 1 }
                inWord = !space
            }
            if words == 2 { return lf + 1 }
        }
        // The blank line: an LF followed by LF or CRLF.
        i = lf
        while true {
            if i + 1 < n && bytes[i + 1] == 10 { return i + 2 }
            if i + 2 < n && bytes[i + 1] == 13 && bytes[i + 2] == 10 { return i + 3 }
            guard i + 1 < n, let next = memchr(base + i + 1, 10, n - i - 1) else { return nil }
            i = base.distance(to: UnsafeRawPointer(next))
        }
    }

    /// Checks a head still incomplete against the limits (414/494 before the end arrives).
    public static func checkIncomplete(_ bytes: UnsafeRawBufferPointer, limits: HeaderLimits) throws {
        var start = 0
        while start < bytes.count && (bytes[start] == 13 || bytes[start] == 10) { start += 1 }
        // nginx's sw_start/sw_method: a method is A-Z, "_" or "-" up to the space, so
        // binary garbage (a TLS ClientHello) gets its 400 at once instead of a timeout.
        var m = start
        while m < bytes.count && bytes[m] != 32 {
            let c = bytes[m]
            if !((c >= 65 && c <= 90) || c == 95 || c == 45) {
                throw RequestParseError(400, "client sent invalid method")
            }
            m += 1
        }
        var lineStart = start
        var first = true
        var i = start
        while i < bytes.count {
            if bytes[i] == 10 {
                lineStart = i + 1
                first = false
            }
            i += 1
        }
        let cur = bytes.count - lineStart
        if first && cur > limits.largeBufferSize {
            throw RequestParseError(414, "client sent too long URI")
        }
        if !first && cur > limits.largeBufferSize {
            var e = RequestParseError(494, "client sent too long header line")
            e.stage = .headers
            throw e
        }
        if bytes.count - start > limits.largeBufferSize * limits.largeBufferCount {
            var e = RequestParseError(494, "client sent too large request")
            e.stage = .headers
            throw e
        }
    }

    /// Parses a complete head (`bytes` ends just after the blank line).
    public static func parse(_ bytes: UnsafeRawBufferPointer, limits: HeaderLimits) throws -> RequestHead {
        // The offsets of the first header lines go to the stack (see HeaderSpans), and the
        // head is returned straight through: no Optional to build it in and take it out of
        // (each of those copied or destroyed the head through generic value witnesses).
        var inline = SIMD64<UInt32>()
        return try withUnsafeMutablePointer(to: &inline) { p in
            try parse(bytes, limits: limits, spans: UnsafeMutableRawPointer(p).assumingMemoryBound(to: UInt32.self))
        }
    }

    private static func parse(
        _ bytes: UnsafeRawBufferPointer, limits: HeaderLimits, spans: UnsafeMutablePointer<UInt32>
    ) throws -> RequestHead {
        var i = 0
        let n = bytes.count
        while i < n && (bytes[i] == 13 || bytes[i] == 10) { i += 1 }
        let headStart = i
        // Request line.
        var lineEnd = i
        while lineEnd < n && bytes[lineEnd] != 10 { lineEnd += 1 }
        var lineStop = lineEnd
        if lineStop > i && bytes[lineStop - 1] == 13 { lineStop -= 1 }
        // Only errors need the request line as a String (for the error log: raw bytes kept).
        let lineStart = i
        var requestLine: String {
            LogBytes.string(UnsafeRawBufferPointer(rebasing: bytes[lineStart..<lineStop]))
        }
        if lineStop - i > limits.largeBufferSize {
            throw RequestParseError(414, "client sent too long URI")
        }
        // method
        var p = i
        while p < lineStop && bytes[p] != 32 {
            let c = bytes[p]
            if !((c >= 65 && c <= 90) || c == 95 || c == 45) {
                throw RequestParseError(400, "client sent invalid method", requestLine: requestLine)
            }
            p += 1
        }
        if p == i {
            throw RequestParseError(400, "client sent invalid request", requestLine: requestLine)
        }
        if p >= lineStop {
            // nginx's parser meets CR/LF while still reading the method.
            throw RequestParseError(400, "client sent invalid method", requestLine: requestLine)
        }
        // GET (nearly every request) without the table's lazy global and memcmp.
        let method =
            p - i == 3 && bytes[i] == 71 && bytes[i + 1] == 69 && bytes[i + 2] == 84
            ? "GET"
            : commonName(UnsafeRawBufferPointer(rebasing: bytes[i..<p]), methods)
                ?? String(decoding: UnsafeRawBufferPointer(rebasing: bytes[i..<p]), as: UTF8.self)
        let p0IsTrace = p - i == 5 && bytes[i] == 84 && bytes[i + 1] == 82 && bytes[i + 2] == 65 && bytes[i + 3] == 67
            && bytes[i + 4] == 69
        let base = bytes.baseAddress!
        while p < lineStop && bytes[p] == 32 { p += 1 }
        let uriStart = p
        while p < lineStop && bytes[p] != 32 {
            let c = bytes[p]
            if c < 0x21 && c != 9 || c == 0x7f {
                throw RequestParseError(400, "client sent invalid request", requestLine: requestLine)
            }
            p += 1
        }
        // Bytes that are not UTF-8 are carried, not replaced: the URI is proxied and
        // logged as the client sent it (nginx keeps bytes).
        let rawURI = LogBytes.text(UnsafeRawBufferPointer(rebasing: bytes[uriStart..<p]))
        if rawURI.isEmpty {
            throw RequestParseError(400, "client sent invalid request", requestLine: requestLine)
        }
        while p < lineStop && bytes[p] == 32 { p += 1 }
        var version = 9
        // "HTTP/1.1" or "HTTP/1.0" (the common case) as one 8-byte word, little-endian.
        let word: UInt64 = lineStop - p == 8 ? UInt64(littleEndian: base.loadUnaligned(fromByteOffset: p, as: UInt64.self)) : 0
        if word == 0x312E_312F_5054_5448 {
            version = 11
        } else if word == 0x302E_312F_5054_5448 {
            version = 10
        } else if p < lineStop {
            let proto = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[p..<lineStop]), as: UTF8.self)
                .trimmingSuffixSpaces()
            guard proto.hasPrefix("HTTP/"), proto.count >= 8 else {
                throw RequestParseError(400, "client sent invalid request", requestLine: requestLine)
            }
            let v = proto.dropFirst(5).split(separator: ".", omittingEmptySubsequences: false)
            guard v.count == 2, let major = Int(v[0]), let minor = Int(v[1]), v[0].count <= 3, v[1].count <= 3
            else {
                throw RequestParseError(400, "client sent invalid request", requestLine: requestLine)
            }
            if major > 1 {
                throw RequestParseError(505, "client sent invalid version", requestLine: requestLine)
            }
            if major < 1 {
                throw RequestParseError(400, "client sent invalid request", requestLine: requestLine)
            }
            version = minor == 0 ? 10 : 11
        } else if method != "GET" {
            throw RequestParseError(400, "client sent invalid method in HTTP/0.9 request", requestLine: requestLine)
        }
        let uriIsPath = bytes[uriStart] == UInt8(ascii: "/")  // (rawURI is not empty)
        if !uriIsPath {
            let lower = rawURI.lowercased()
            if !(lower.hasPrefix("http://") || lower.hasPrefix("https://")) {
                throw RequestParseError(400, "client sent invalid request", requestLine: requestLine)
            }
        }
        // Headers: checked here, kept as spans of the raw bytes (Strings made on demand).
        var fields = HeaderSpans(spans)
        var contentLength: Int64? = nil
        var chunked = false
        var sawTE = false
        // The Host header's value and validated host (spans of `bytes`), and a host that
        // is not ASCII, validated as a String (the bytes LogBytes carries).
        var hostStart = -1
        var hostLength = 0
        var hostString: String? = nil
        var hostSeen = false
        var connStart = -1
        var connEnd = -1
        var expectContinue = false
        var rawHostStart = -1
        var rawHostEnd = -1
        var ignored: [String] = []
        func text(_ s: Int, _ e: Int) -> String { LogBytes.text(UnsafeRawBufferPointer(rebasing: bytes[s..<e])) }
        func headerError(_ status: Int, _ message: String) -> RequestParseError {
            var e = RequestParseError(status, message, requestLine: requestLine)
            e.stage = .headers
            e.host = rawHostStart >= 0 ? text(rawHostStart, rawHostEnd) : nil
            return e
        }
        let underscores = limits.underscoresInHeaders
        i = lineEnd + 1
        while i < n {
            let ls = i
            var e = i
            if let lf = memchr(base + i, 10, n - i) {
                e = base.distance(to: UnsafeRawPointer(lf))
            } else {
                e = n
            }
            var stop = e
            if stop > i && bytes[stop - 1] == 13 { stop -= 1 }
            if stop == i { break }  // blank line
            if stop - i > limits.largeBufferSize {
                throw headerError(494, "client sent too long header line")
            }
            // nginx names the line up to the offending byte: `"Bad\x20..."`.
            func invalidLine() -> RequestParseError {
                var bad = ls
                while bad < stop {
                    let c = bytes[bad]
                    let tok = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c == 45 || c == 95
                    if !tok { break }
                    bad += 1
                }
                let shown = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[ls..<bad]), as: UTF8.self)
                let byte = bad < n ? bytes[bad] : 10
                let hex = String(byte, radix: 16)
                return headerError(400, "client sent invalid header line: \"\(shown)\\x\(hex.count == 1 ? "0" + hex : hex)...\"")
            }
            // Obsolete line folding is refused, as nginx does.
            if bytes[i] == 32 || bytes[i] == 9 {
                throw invalidLine()
            }
            var colon = -1
            var valid = true
            var k = i
            while k < stop {
                let c = base.load(fromByteOffset: k, as: UInt8.self)
                // Letters, digits and "-" (nearly every name) in one table look-up.
                if nameOrHostByte(c) {
                    k += 1
                    continue
                }
                if c == 58 {
                    colon = k
                    break
                }
                // nginx's sw_name: a control byte, space or DEL ends the name as invalid
                // (400 even with ignore_invalid_headers); other odd bytes are ignorable.
                if c <= 0x20 || c == 0x7f {
                    throw invalidLine()
                }
                if !(c == 95 && underscores) { valid = false }
                k += 1
            }
            if colon == i {
                throw invalidLine()
            }
            // nginx reads a line without ":" as a header with an empty value.
            if colon < 0 { colon = stop }
            var vs = min(colon + 1, stop)
            while vs < stop && (bytes[vs] == 32 || bytes[vs] == 9) { vs += 1 }
            var ve = stop
            while ve > vs && (bytes[ve - 1] == 32 || bytes[ve - 1] == 9) { ve -= 1 }
            if ve > vs && memchr(base + vs, 0, ve - vs) != nil {
                throw headerError(400, "client sent invalid header line")
            }
            i = e + 1
            if !valid {
                if limits.ignoreInvalidHeaders {
                    ignored.append(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[ls..<stop]), as: UTF8.self))
                    continue
                }
                throw invalidLine()
            }
            fields.append(ls - headStart, colon - headStart, vs - headStart, ve - headStart)
            switch knownHeader(UnsafeRawBufferPointer(rebasing: bytes[ls..<colon])) {
            case .host:
                if rawHostStart < 0 {  // bytes kept, as LogBytes carries them
                    rawHostStart = vs
                    rawHostEnd = ve
                }
                if hostSeen {
                    let previous = hostString ?? (hostStart >= 0 ? LogBytes.asciiLowercased(
                        UnsafeRawBufferPointer(rebasing: bytes[hostStart..<(hostStart + hostLength)])) : "")
                    throw headerError(400, "client sent duplicate host header: \"Host: \(text(vs, ve))\", previous value: \"Host: \(previous)\"")
                }
                hostSeen = true
                let value = UnsafeRawBufferPointer(rebasing: bytes[vs..<ve])
                if LogBytes.isASCII(value) {
                    guard let len = validHostLength(value) else {
                        throw headerError(400, "client sent invalid host header")
                    }
                    hostStart = vs
                    hostLength = len
                } else {
                    guard let h = validateHost(LogBytes.text(value)) else {
                        throw headerError(400, "client sent invalid host header")
                    }
                    hostString = h
                }
            case .contentLength:
                if contentLength != nil {
                    throw headerError(400, "client sent duplicate header line: \"Content-Length: \(text(vs, ve))\"")
                }
                var v: Int64 = 0
                var q = vs
                while q < ve, bytes[q] &- 48 < 10 {
                    v = v &* 10 &+ Int64(bytes[q] &- 48)
                    q += 1
                }
                guard ve > vs, q == ve, ve - vs <= 18 else {
                    throw headerError(400, "client sent invalid \"Content-Length\" header")
                }
                contentLength = v
            case .transferEncoding:
                if sawTE {
                    throw headerError(400, "client sent duplicate header line: \"Transfer-Encoding: \(text(vs, ve))\"")
                }
                sawTE = true
                if asciiEqualsLower(UnsafeRawBufferPointer(rebasing: bytes[vs..<ve]), "chunked") {
                    chunked = true
                } else {
                    throw headerError(501, "client sent unknown \"Transfer-Encoding\": \"\(text(vs, ve))\"")
                }
            case .connection:
                connStart = vs
                connEnd = ve
            case .expect:
                if asciiEqualsLower(UnsafeRawBufferPointer(rebasing: bytes[vs..<ve]), "100-continue") {
                    expectContinue = true
                }
            case .other:
                break
            }
        }
        if chunked && version == 10 {
            throw headerError(400, "client sent HTTP/1.0 request with \"Transfer-Encoding\" header")
        }
        if chunked && contentLength != nil {
            throw headerError(400, "client sent \"Content-Length\" and \"Transfer-Encoding\" headers at the same time")
        }
        // An absolute URI's host wins over the Host header.
        var uri = rawURI
        var absoluteHost: String? = nil
        if !uriIsPath && rawURI != "*" {
            let rest = rawURI.lowercased().hasPrefix("https://") ? rawURI.dropFirst(8) : rawURI.dropFirst(7)
            let slash = rest.firstIndex(of: "/") ?? rest.firstIndex(of: "?") ?? rest.endIndex
            guard let h = validateHost(String(rest[..<slash])) else {
                throw headerError(400, "client sent invalid host in request line")
            }
            absoluteHost = h
            uri = String(rest[slash...])
            if uri.isEmpty || uri.first == "?" { uri = "/" + uri }
        }
        if version == 11 && !hostSeen {
            throw headerError(400, "client sent HTTP/1.1 request without \"Host\" header")
        }
        if p0IsTrace {
            var e = RequestParseError(405, "client sent TRACE method", requestLine: requestLine)
            e.stage = .headers
            e.host = absoluteHost ?? hostString
                ?? (hostStart >= 0
                    ? LogBytes.asciiLowercased(UnsafeRawBufferPointer(rebasing: bytes[hostStart..<(hostStart + hostLength)]))
                    : nil)
            throw e
        }
        let keepAlive: Bool
        // The last Connection header decides, its words found case-insensitively.
        let conn = connStart >= 0 ? UnsafeRawBufferPointer(rebasing: bytes[connStart..<connEnd]) : nil
        if version == 11 {
            keepAlive = !(conn.map { asciiContainsLower($0, "close") } ?? false)
        } else {
            keepAlive = conn.map { asciiContainsLower($0, "keep-alive") } ?? false
        }
        let hostIsSet = absoluteHost != nil || hostString != nil
        let hostValue = absoluteHost != nil ? absoluteHost.take() : hostString.take()
        let storage = HeadStorage.make(UnsafeRawBufferPointer(rebasing: bytes[headStart..<n]), fields)
        // The spans' overflow array is let go of before the head is built, not after.
        fields = .none
        return RequestHead(
            method: method, rawURI: uri, version: version, storage: storage,
            requestLineLength: lineStop - headStart, contentLength: contentLength, chunked: chunked,
            hostStart: !hostIsSet && hostStart >= 0 ? Int32(hostStart - headStart) : -1, hostLength: Int32(hostLength),
            hostIsSet: hostIsSet, hostValue: hostValue,
            keepAliveRequested: keepAlive, ignoredHeaderLines: ignored, expectContinue: expectContinue)
    }

    /// Whether `b` contains the lowercase ASCII `word`, ignoring ASCII case.
    static func asciiContainsLower(_ b: UnsafeRawBufferPointer, _ word: StaticString) -> Bool {
        let w = word.utf8Start
        let m = word.utf8CodeUnitCount
        guard b.count >= m else { return false }
        var i = 0
        while i + m <= b.count {
            var k = 0
            while k < m && asciiLower(b[i + k]) == w[k] { k += 1 }
            if k == m { return true }
            i += 1
        }
        return false
    }

    /// Frequent methods and header names, as sent (case kept): a literal costs no
    /// allocation or UTF-8 validation, unlike a String decoded from the buffer.
    static let methods = table(["GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH"])
    static let headerNames = table([
        "Host", "host", "User-Agent", "Accept", "Accept-Encoding", "Accept-Language", "Connection",
        "Content-Length", "Content-Type", "Cookie", "Referer", "Cache-Control", "Authorization",
        "If-Modified-Since", "If-None-Match", "Upgrade-Insecure-Requests", "Origin", "Pragma",
        "X-Forwarded-For", "X-Real-IP", "Range", "Transfer-Encoding", "Expect", "Upgrade",
        "user-agent", "accept", "accept-encoding", "connection", "content-length", "content-type",
    ])

    /// Each name as bytes to compare and as the String to hand out (a literal: immortal,
    /// so neither allocated nor reference counted).
    static func table(_ names: [StaticString]) -> [(StaticString, String)] {
        names.map { ($0, $0.description) }
    }

    /// The literal among `names` equal to `b` byte for byte, if any.
    @inline(__always)
    static func commonName(_ b: UnsafeRawBufferPointer, _ names: [(StaticString, String)]) -> String? {
        let n = b.count
        guard n > 0, let p = b.baseAddress else { return nil }
        let first = p.load(as: UInt8.self)
        for (name, string) in names where name.utf8CodeUnitCount == n && name.utf8Start.pointee == first {
            if memcmp(p, name.utf8Start, n) == 0 { return string }
        }
        return nil
    }

    enum KnownHeader { case host, contentLength, transferEncoding, connection, expect, other }

    /// The headers the parser acts on, matched case-insensitively without making strings.
    static func knownHeader(_ name: UnsafeRawBufferPointer) -> KnownHeader {
        func equals(_ lower: StaticString) -> Bool { asciiEqualsLower(name, lower) }
        switch name.count {
        case 4: return equals("host") ? .host : .other
        case 6: return equals("expect") ? .expect : .other
        case 10: return equals("connection") ? .connection : .other
        case 14: return equals("content-length") ? .contentLength : .other
        case 17: return equals("transfer-encoding") ? .transferEncoding : .other
        default: return .other
        }
    }

    /// nginx's `ngx_http_validate_host`: lowercases, strips the port and a trailing dot,
    /// refuses `..`, `/`, `\` and control characters.
    public static func validateHost(_ h: String) -> String? {
        var h = h
        return h.withUTF8 { validateHost(bytes: $0) }
    }

    private static func validateHost(bytes b: UnsafeBufferPointer<UInt8>) -> String? {
        guard let hostLen = validHostLength(UnsafeRawBufferPointer(b)) else { return nil }
        return String(unsafeUninitializedCapacity: hostLen) { out in
            for k in 0..<hostLen {
                let c = b[k]
                out[k] = c >= 65 && c <= 90 ? c + 32 : c
            }
            return hostLen
        }
    }

    /// Whether `c` is an ASCII letter, digit or "-": one look-up in a literal's bytes
    /// (no lazy global, no bounds check): "1" for those, "0" for every other byte value.
    @inline(__always)
    static func nameOrHostByte(_ c: UInt8) -> Bool {
        let table: StaticString =
            "0000000000000000000000000000000000000000000001001111111111000000011111111111111111111111111000000111111111111111111111111110000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
        return table.utf8Start[Int(c)] == 49
    }

    /// How many bytes of `b` are the host `validateHost` keeps (port and trailing dot
    /// stripped), or nil when it refuses `b`.
    static func validHostLength(_ b: UnsafeRawBufferPointer) -> Int? {
        guard let p = b.baseAddress else { return nil }
        let n = b.count
        var dotPos = -1
        var hostLen = n
        var inBracket = false
        var i = 0
        scan: while i < n {
            let c = p.load(fromByteOffset: i, as: UInt8.self)
            // Letters, digits and "-" (most of a host) need no other test.
            if nameOrHostByte(c) {
                i += 1
                continue
            }
            switch c {
            case UInt8(ascii: "."):
                if dotPos == i - 1 { return nil }
                dotPos = i
            case UInt8(ascii: ":"):
                if !inBracket {
                    hostLen = i
                    break scan
                }
            case UInt8(ascii: "["):
                if i == 0 { inBracket = true }
            case UInt8(ascii: "]"):
                inBracket = false
            case UInt8(ascii: "/"), UInt8(ascii: "\\"), 0:
                return nil
            default:
                if c < 0x20 || c == 0x7f { return nil }
            }
            i += 1
        }
        if dotPos == hostLen - 1 && hostLen > 0 { hostLen -= 1 }
        if hostLen == 0 { return nil }
        return hostLen
    }
}

extension String {
    func trimmingSuffixSpaces() -> String {
        var s = Substring(self)
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
