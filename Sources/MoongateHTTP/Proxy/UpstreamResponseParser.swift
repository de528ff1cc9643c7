import MoongateCore
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// A parsed upstream status line and header (nginx's `ngx_http_proxy_process_status_line`
/// and `process_header`).
struct UpstreamResponseHead {
    var version = 10
    var status = 0
    var headers: [(name: String, value: String)] = []
    var contentLength: Int64?
    var chunked = false
    var connectionClose = false
    var connectionKeepAlive = false
    /// Some header name starts with `X-Accel-` (the lookups of those are skipped when not).
    var accel = false

    /// The first value of a header; `name` must be lowercase.
    func header(_ name: String) -> String? {
        for h in headers where h.name.utf8.count == name.utf8.count && asciiEqualsIgnoringCase(h.name, name) {
            return h.value
        }
        return nil
    }
}

/// Why a head could not be parsed.
enum UpstreamParseError: Error {
    /// nginx: `upstream sent invalid header` / `upstream sent no valid HTTP/1.0 header`.
    case invalid(String)
}

/// Accumulates bytes until the whole head arrived, then parses it, byte by byte.
struct UpstreamResponseParser {
    private var pending: [UInt8] = []
    /// Where the search for the blank line resumes.
    private var scanned = 0
    /// nginx's `proxy_buffer_size` bound on the head.
    let limit: Int

    init(limit: Int) { self.limit = limit }

    /// Feeds bytes; returns the head and the bytes after it once complete.
    mutating func feed(_ buf: inout ByteBuffer) throws -> (UpstreamResponseHead, [UInt8])? {
        // The common case: the whole head in the first read, parsed in place.
        if pending.isEmpty {
            let result: (UpstreamResponseHead, [UInt8])?? = try buf.readableBytesView.withContiguousStorageIfAvailable {
                raw -> (UpstreamResponseHead, [UInt8])? in
                let bytes = UnsafeRawBufferPointer(raw)
                guard let end = Self.headEnd(bytes, from: 0) else { return nil }
                if end > limit { throw UpstreamParseError.invalid("upstream sent too big header") }
                let head = try Self.parse(UnsafeRawBufferPointer(rebasing: bytes[0..<end]))
                return (head, Array(bytes[end...]))
            }
            if let r = result, let done = r {
                buf.moveReaderIndex(to: buf.writerIndex)
                return done
            }
        }
        pending.append(contentsOf: buf.readableBytesView)
        buf.moveReaderIndex(to: buf.writerIndex)
        return try pending.withUnsafeBytes { bytes -> (UpstreamResponseHead, [UInt8])? in
            guard let end = Self.headEnd(bytes, from: max(0, scanned - 2)) else {
                scanned = bytes.count
                if bytes.count >= limit {
                    throw UpstreamParseError.invalid("upstream sent too big header")
                }
                if bytes.count >= 5 && !Self.startsWithHTTP(bytes) {
                    throw UpstreamParseError.invalid("upstream sent no valid HTTP/1.0 header")
                }
                return nil
            }
            if end > limit {
                throw UpstreamParseError.invalid("upstream sent too big header")
            }
            let head = try Self.parse(UnsafeRawBufferPointer(rebasing: bytes[0..<end]))
            return (head, Array(bytes[end...]))
        }
    }

    private static func startsWithHTTP(_ b: UnsafeRawBufferPointer) -> Bool {
        b[0] == 72 && b[1] == 84 && b[2] == 84 && b[3] == 80 && b[4] == 47
    }

    /// The offset just past the blank line (`\n\n` or `\n\r\n`), if it arrived.
    private static func headEnd(_ b: UnsafeRawBufferPointer, from: Int) -> Int? {
        let n = b.count
        guard let base = b.baseAddress else { return nil }
        var i = from
        while i + 1 < n {
            // The next LF before the last byte (memchr rather than a byte loop).
            guard let p = memchr(base + i, 10, n - 1 - i) else { return nil }
            i = base.distance(to: UnsafeRawPointer(p))
            if b[i + 1] == 10 { return i + 2 }
            if b[i + 1] == 13 && i + 2 < n && b[i + 2] == 10 { return i + 3 }
            i += 1
        }
        return nil
    }

    /// The offset of the next LF from `from`, or the end.
    @inline(__always)
    private static func lineFeed(_ b: UnsafeRawBufferPointer, from: Int) -> Int {
        guard from < b.count, let base = b.baseAddress, let p = memchr(base + from, 10, b.count - from) else {
            return b.count
        }
        return base.distance(to: UnsafeRawPointer(p))
    }

    /// Header bytes as a String; bytes that are not UTF-8 are carried (LogBytes) so that
    /// they reach the client as the upstream sent them.
    private static func string(_ b: UnsafeRawBufferPointer, _ from: Int, _ to: Int) -> String {
        LogBytes.text(UnsafeRawBufferPointer(rebasing: b[from..<to]))
    }

    /// Case-insensitive comparison of `b[from..<to]` with a lowercase ASCII name.
    private static func nameIs(_ b: UnsafeRawBufferPointer, _ from: Int, _ to: Int, _ lower: StaticString) -> Bool {
        asciiEqualsLower(UnsafeRawBufferPointer(rebasing: b[from..<to]), lower)
    }

    /// Whether `b[from..<to]` contains the lowercase ASCII `word`, case-insensitively.
    private static func contains(_ b: UnsafeRawBufferPointer, _ from: Int, _ to: Int, _ word: StaticString) -> Bool {
        let w = word.utf8Start
        let m = word.utf8CodeUnitCount
        guard to - from >= m else { return false }
        var i = from
        while i + m <= to {
            var k = 0
            while k < m {
                let c = b[i + k]
                if asciiLower(c) != w[k] { break }
                k += 1
            }
            if k == m { return true }
            i += 1
        }
        return false
    }

    static func parse(_ b: UnsafeRawBufferPointer) throws -> UpstreamResponseHead {
        let n = b.count
        var head = UpstreamResponseHead()
        // The status line: "HTTP/x.y SP 3DIGIT [SP reason]".
        let eol = lineFeed(b, from: 0)
        var lineEnd = eol
        if lineEnd > 0 && b[lineEnd - 1] == 13 { lineEnd -= 1 }
        var p = 0
        while p < lineEnd && b[p] == 32 { p += 1 }
        let protoStart = p
        while p < lineEnd && b[p] != 32 { p += 1 }
        let protoEnd = p
        while p < lineEnd && b[p] == 32 { p += 1 }
        let codeStart = p
        while p < lineEnd && b[p] != 32 { p += 1 }
        let codeEnd = p
        guard protoEnd - protoStart >= 5, startsWithHTTP(UnsafeRawBufferPointer(rebasing: b[protoStart..<protoEnd])),
            codeEnd - codeStart == 3
        else {
            throw UpstreamParseError.invalid("upstream sent no valid HTTP/1.0 header")
        }
        var code = 0
        for k in codeStart..<codeEnd {
            let d = b[k] &- 48
            guard d < 10 else { throw UpstreamParseError.invalid("upstream sent no valid HTTP/1.0 header") }
            code = code * 10 + Int(d)
        }
        guard code >= 100 else { throw UpstreamParseError.invalid("upstream sent no valid HTTP/1.0 header") }
        head.version = nameIs(b, protoStart, protoEnd, "http/1.0") ? 10 : 11
        head.status = code
        head.headers.reserveCapacity(8)
        var start = eol + 1
        while start < n {
            let e = lineFeed(b, from: start)
            var le = e
            if le > start && b[le - 1] == 13 { le -= 1 }
            defer { start = e + 1 }
            if le == start { continue }  // the blank line that ends the head
            var colon = start
            var space = false
            while colon < le && b[colon] != 58 {
                if b[colon] == 32 { space = true }
                colon += 1
            }
            guard colon < le, colon > start, !space else {
                throw UpstreamParseError.invalid("upstream sent invalid header")
            }
            var vs = colon + 1
            while vs < le && (b[vs] == 32 || b[vs] == 9) { vs += 1 }
            let name = string(b, start, colon)
            let value = string(b, vs, le)
            if nameIs(b, start, colon, "content-length") {
                var ve = le
                while ve > vs && b[ve - 1] == 32 { ve -= 1 }
                var v: Int64 = 0
                var ok = ve > vs
                for k in vs..<ve {
                    let d = b[k] &- 48
                    if d >= 10 || v > (Int64.max - 9) / 10 { ok = false; break }
                    v = v * 10 + Int64(d)
                }
                guard ok else {
                    throw UpstreamParseError.invalid("upstream sent invalid \"Content-Length\" header")
                }
                head.contentLength = v
            } else if nameIs(b, start, colon, "transfer-encoding") {
                if contains(b, vs, le, "chunked") { head.chunked = true }
            } else if nameIs(b, start, colon, "connection") {
                if contains(b, vs, le, "close") { head.connectionClose = true }
                if contains(b, vs, le, "keep-alive") { head.connectionKeepAlive = true }
            }
            if colon - start > 8 && nameIs(b, start, start + 8, "x-accel-") { head.accel = true }
            head.headers.append((name, value))
        }
        if head.chunked { head.contentLength = nil }
        return head
    }
}
