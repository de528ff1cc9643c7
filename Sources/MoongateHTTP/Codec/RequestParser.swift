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

    /// `parseCommon` found a head it does not take (or not all of it arrived): the
    /// general path (`headEnd`, `checkIncomplete`, `parse`) decides.
    struct Uncommon: Error {}

    /// The common head parsed in one pass over `bytes` (a received buffer that starts with
    /// it), its end found on the way instead of searched for first: a method, one space,
    /// a URI starting with "/" of printable ASCII, one space, "HTTP/1.1" or "HTTP/1.0",
    /// CRLF; header lines of a name of letters, digits and "-", a colon, and a value
    /// without control bytes other than the CRLF ending it; then CRLF. `end` is set to
    /// the index after the blank line. Anything else (a bare LF, tabs, an absolute URI,
    /// an odd or invalid byte, a line over the limits, a head not all received, TRACE,
    /// a duplicate or missing Host, Transfer-Encoding, Expect, ...) throws `Uncommon`
    /// and the general path parses it, with its errors: for what it takes, this gives
    /// the same head `parse(bytes[0..<end])` would (RequestParserTests compares them).
    public static func parseCommon(_ bytes: UnsafeRawBufferPointer, limits: HeaderLimits, end: inout Int) throws -> RequestHead {
        var inline = SIMD64<UInt32>()
        return try withUnsafeMutablePointer(to: &inline) { p in
            try parseCommon(
                bytes, limits: limits, end: &end, spans: UnsafeMutableRawPointer(p).assumingMemoryBound(to: UInt32.self))
        }
    }

    /// Whether `c` is a URI byte `parseCommon` passes without a second look: printable
    /// ASCII other than "%", "#", "?", "/" and "." ("1" in a literal's bytes, as
    /// `nameOrHostByte`).
    @inline(__always)
    static func plainURIByte(_ c: UInt8) -> Bool {
        let table: StaticString =
            "0000000000000000000000000000000001101011111111001111111111111110111111111111111111111111111111111111111111111111111111111111111000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
        return table.utf8Start[Int(c)] == 49
    }

    private static func parseCommon(
        _ bytes: UnsafeRawBufferPointer, limits: HeaderLimits, end: inout Int, spans: UnsafeMutablePointer<UInt32>
    ) throws -> RequestHead {
        let n = bytes.count
        guard n >= 16, let base = bytes.baseAddress else { throw Uncommon() }
        @inline(__always) func at(_ k: Int) -> UInt8 { base.load(fromByteOffset: k, as: UInt8.self) }
        // Method: "GET " as one word, else A-Z, "_" and "-" up to one space.
        var p: Int
        let method: String
        if UInt32(littleEndian: base.loadUnaligned(as: UInt32.self)) == 0x2054_4547 {
            method = "GET"
            p = 4
        } else {
            var m = 0
            while m < n {
                let c = at(m)
                guard (c >= 65 && c <= 90) || c == 95 || c == 45 else { break }
                m += 1
            }
            guard m > 0, m < n, at(m) == 32 else { throw Uncommon() }
            let name = UnsafeRawBufferPointer(rebasing: bytes[0..<m])
            // TRACE is refused with the general path's 405 and log line.
            if m == 5 && at(0) == 84 && at(1) == 82 && at(2) == 65 && at(3) == 67 && at(4) == 69 { throw Uncommon() }
            method = commonName(name, methods) ?? String(decoding: name, as: UTF8.self)
            p = m + 1
        }
        // URI: what `URINormalizer.splitSimple` would tell is noted on the way (no "%",
        // "#", NUL, "//" or "/." before a "?", no "#" after it).
        let uriStart = p
        guard p < n, at(p) == 47 else { throw Uncommon() }
        var query = -1
        var simple = true
        var slash = false
        while true {
            guard p < n else { throw Uncommon() }
            let c = at(p)
            if plainURIByte(c) {
                slash = false
                p += 1
                continue
            }
            if c == 32 { break }
            switch c {
            case 47:  // "/"
                if slash && query < 0 { simple = false }
                slash = true
                p += 1
                continue
            case 46:  // "."
                if slash && query < 0 { simple = false }
                slash = false
                p += 1
                continue
            case 63:  // "?"
                if query < 0 { query = p - uriStart }
                slash = false
                p += 1
                continue
            case 37:  // "%"
                if query < 0 { simple = false }
                slash = false
                p += 1
                continue
            case 35:  // "#"
                simple = false
                slash = false
                p += 1
                continue
            default:
                throw Uncommon()
            }
        }
        let uriEnd = p
        // " HTTP/1.1\r\n" or " HTTP/1.0\r\n".
        guard p + 11 <= n,
            UInt16(littleEndian: base.loadUnaligned(fromByteOffset: p + 9, as: UInt16.self)) == 0x0A0D,
            p + 9 <= limits.largeBufferSize
        else { throw Uncommon() }
        let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: p + 1, as: UInt64.self))
        let version: Int
        if word == 0x312E_312F_5054_5448 {
            version = 11
        } else if word == 0x302E_312F_5054_5448 {
            version = 10
        } else {
            throw Uncommon()
        }
        let requestLineLength = p + 9
        let rawURI = LogBytes.text(UnsafeRawBufferPointer(rebasing: bytes[uriStart..<uriEnd]))
        // Header lines.
        var fields = HeaderSpans(spans)
        var contentLength: Int64? = nil
        var hostStart = -1
        var hostLength = 0
        var connStart = -1
        var connEnd = -1
        var i = p + 11
        while true {
            guard i < n else { throw Uncommon() }
            if at(i) == 13 {
                guard i + 1 < n, at(i + 1) == 10 else { throw Uncommon() }
                end = i + 2
                break
            }
            var k = i
            while k < n && nameOrHostByte(at(k)) { k += 1 }
            guard k > i, k < n, at(k) == 58 else { throw Uncommon() }
            let colon = k
            var vs = colon + 1
            while vs < n && at(vs) == 32 { vs += 1 }
            // The first byte below 0x20 (eight at a time: the lowest byte the word test
            // flags is a true one, borrows only run upwards), which must be the CR of CRLF.
            var e = vs
            var found = false
            while e + 8 <= n {
                let w = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: e, as: UInt64.self))
                let t = (w &- 0x2020_2020_2020_2020) & ~w & 0x8080_8080_8080_8080
                if t != 0 {
                    e += t.trailingZeroBitCount >> 3
                    found = true
                    break
                }
                e += 8
            }
            if !found {
                while e < n && at(e) >= 0x20 { e += 1 }
            }
            guard e + 1 < n, at(e) == 13, at(e + 1) == 10, e - i <= limits.largeBufferSize else { throw Uncommon() }
            var ve = e
            while ve > vs && at(ve - 1) == 32 { ve -= 1 }
            fields.append(i, colon, vs, ve)
            switch commonKnownHeader(base + i, colon - i) {
            case .host:
                let value = UnsafeRawBufferPointer(rebasing: bytes[vs..<ve])
                guard hostStart < 0, let len = commonHostLength(value) else { throw Uncommon() }
                hostStart = vs
                hostLength = len
            case .contentLength:
                guard contentLength == nil, ve > vs, ve - vs <= 18 else { throw Uncommon() }
                var v: Int64 = 0
                var q = vs
                while q < ve, at(q) &- 48 < 10 {
                    v = v &* 10 &+ Int64(at(q) &- 48)
                    q += 1
                }
                guard q == ve else { throw Uncommon() }
                contentLength = v
            case .connection:
                connStart = vs
                connEnd = ve
            case .transferEncoding, .expect:
                throw Uncommon()
            case .other:
                break
            }
            i = e + 2
        }
        if version == 11 && hostStart < 0 { throw Uncommon() }
        let keepAlive = keepsAlive(version: version, connection: connStart >= 0
            ? UnsafeRawBufferPointer(rebasing: bytes[connStart..<connEnd]) : nil)
        let storage = HeadStorage.make(UnsafeRawBufferPointer(rebasing: bytes[0..<end]), fields)
        fields = .none
        return RequestHead(
            method: method, rawURI: rawURI, version: version, storage: storage,
            requestLineLength: requestLineLength, contentLength: contentLength, chunked: false,
            hostStart: Int32(hostStart), hostLength: Int32(hostLength),
            hostIsSet: false, hostValue: nil,
            keepAliveRequested: keepAlive, ignoredHeaderLines: [], expectContinue: false,
            simpleQuery: simple ? Int32(query) : -2)
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
        let keepAlive = keepsAlive(version: version, connection: connStart >= 0
            ? UnsafeRawBufferPointer(rebasing: bytes[connStart..<connEnd]) : nil)
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

    /// Whether the connection stays open after the request: the last Connection header
    /// decides, its words found case-insensitively (HTTP/1.1 unless "close", HTTP/1.0
    /// only with "keep-alive").
    @inline(__always)
    static func keepsAlive(version: Int, connection: UnsafeRawBufferPointer?) -> Bool {
        guard let connection else { return version == 11 }
        return version == 11
            ? !asciiContainsLower(connection, "close") : asciiContainsLower(connection, "keep-alive")
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

    /// `validHostLength` for the common host, in one pass: letters, digits, "-" and
    /// single dots, then perhaps ":" and a port of digits. Nil for any other value (not
    /// necessarily invalid: `parseCommon` then leaves the head to the general path, which
    /// decides with `validHostLength`); for the values it takes it gives what
    /// `validHostLength` gives (a unit test compares them), and they are all ASCII.
    @inline(__always)
    static func commonHostLength(_ b: UnsafeRawBufferPointer) -> Int? {
        guard let p = b.baseAddress else { return nil }
        let n = b.count
        var i = 0
        var dot = -1
        while i < n {
            let c = p.load(fromByteOffset: i, as: UInt8.self)
            if nameOrHostByte(c) {
                i += 1
                continue
            }
            if c == 46 {
                if dot == i - 1 { return nil }
                dot = i
                i += 1
                continue
            }
            if c == 58 { break }
            return nil
        }
        var k = i + 1
        while k < n {
            guard p.load(fromByteOffset: k, as: UInt8.self) &- 48 < 10 else { return nil }
            k += 1
        }
        var len = i
        if dot == len - 1 && len > 0 { len -= 1 }
        return len > 0 ? len : nil
    }

    /// `knownHeader` for a name of letters, digits and "-" alone (what `parseCommon`
    /// takes), `n` bytes at `p`: compared a word at a time with the capitals folded by
    /// one OR of 0x20, which changes no digit nor "-" and maps only A-Z onto a-z among
    /// those bytes.
    @inline(__always)
    static func commonKnownHeader(_ p: UnsafeRawPointer, _ n: Int) -> KnownHeader {
        @inline(__always) func w64(_ o: Int) -> UInt64 {
            UInt64(littleEndian: p.loadUnaligned(fromByteOffset: o, as: UInt64.self)) | 0x2020_2020_2020_2020
        }
        @inline(__always) func w32(_ o: Int) -> UInt32 {
            UInt32(littleEndian: p.loadUnaligned(fromByteOffset: o, as: UInt32.self)) | 0x2020_2020
        }
        @inline(__always) func w16(_ o: Int) -> UInt16 {
            UInt16(littleEndian: p.loadUnaligned(fromByteOffset: o, as: UInt16.self)) | 0x2020
        }
        switch n {
        case 4: return w32(0) == 0x7473_6F68 ? .host : .other  // "host"
        case 6: return w32(0) == 0x6570_7865 && w16(4) == 0x7463 ? .expect : .other  // "expe" "ct"
        case 10: return w64(0) == 0x6974_6365_6E6E_6F63 && w16(8) == 0x6E6F ? .connection : .other  // "connecti" "on"
        case 14:  // "content-" "t-length" (overlapping)
            return w64(0) == 0x2D74_6E65_746E_6F63 && w64(6) == 0x6874_676E_656C_2D74 ? .contentLength : .other
        case 17:  // "transfer" "-encodin" "g"
            return w64(0) == 0x7265_6673_6E61_7274 && w64(8) == 0x6E69_646F_636E_652D
                && p.load(fromByteOffset: 16, as: UInt8.self) | 0x20 == 0x67 ? .transferEncoding : .other
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
