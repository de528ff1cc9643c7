import MoongateCore
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// A parsed upstream status line and header (nginx's `ngx_http_proxy_process_status_line`
/// and `process_header`). The header lines stay as the head's bytes plus offsets: a String
/// is made only for a header that is relayed or asked for.
struct UpstreamResponseHead {
    var version = 10
    var status = 0
    /// The head's bytes, status line to blank line.
    var raw: [UInt8] = []
    /// Where each header line's name and value lie in `raw`, in order.
    var fields: [UpstreamHeaderField] = []
    var contentLength: Int64?
    var chunked = false
    var connectionClose = false
    var connectionKeepAlive = false
    /// Some header name starts with `X-Accel-` (the lookups of those are skipped when not).
    var accel = false

    /// The storage of a finished head, kept for the worker's next one (all of a worker's
    /// requests run on its one thread): a head then allocates nothing.
    /// (Optionals: a nil global is laid out at build time, no lazy initializer per use.)
    nonisolated(unsafe) static var spareRaw: [UInt8]? = nil
    nonisolated(unsafe) static var spareFields: [UpstreamHeaderField]? = nil

    /// Gives this head's storage to the next head (when small). Its arrays are copied on
    /// write should anything still share them.
    func recycle() {
        if raw.capacity <= 8192 { Self.spareRaw = raw }
        if fields.capacity <= 128 { Self.spareFields = fields }
    }

    /// `recycle` for a head about to go: its arrays are swapped with the spare ones (no
    /// retain of them, nor release of the head's).
    mutating func giveStorage() {
        if raw.capacity <= 8192 {
            var r: [UInt8] = []
            swap(&r, &raw)
            Self.spareRaw = consume r
        }
        if fields.capacity <= 128 {
            var f: [UpstreamHeaderField] = []
            swap(&f, &fields)
            Self.spareFields = consume f
        }
    }

    /// The spare storage moved in (unique once taken). The bytes are left as they are:
    /// the parse replaces them at its end in one call (no generic removeAll first).
    mutating func takeSpareRaw() {
        raw = Self.spareRaw.take().unsafelyUnwrapped
    }

    /// Runs `body` on the head's bytes and its fields.
    @inline(__always)
    func withBytes<T>(_ body: (UnsafeRawBufferPointer, UnsafeBufferPointer<UpstreamHeaderField>) -> T) -> T {
        raw.withUnsafeBytes { r in fields.withUnsafeBufferPointer { f in body(r, f) } }
    }

    /// Runs `f` on the name bytes of header `i`.
    @inline(__always)
    func withName<T>(_ i: Int, _ f: (UnsafeBufferPointer<UInt8>) -> T) -> T {
        let h = fields[i]
        return raw.withUnsafeBufferPointer { f(UnsafeBufferPointer(rebasing: $0[Int(h.nameStart)..<Int(h.nameEnd)])) }
    }

    /// Runs `f` on the value bytes of header `i`.
    @inline(__always)
    func withValue<T>(_ i: Int, _ f: (UnsafeBufferPointer<UInt8>) -> T) -> T {
        let h = fields[i]
        return raw.withUnsafeBufferPointer { f(UnsafeBufferPointer(rebasing: $0[Int(h.valueStart)..<Int(h.valueEnd)])) }
    }

    /// Header bytes as a String; bytes that are not UTF-8 are carried (LogBytes) so that
    /// they reach the client as the upstream sent them.
    func name(_ i: Int) -> String { withName(i) { LogBytes.text(UnsafeRawBufferPointer($0)) } }
    func value(_ i: Int) -> String { withValue(i) { LogBytes.text(UnsafeRawBufferPointer($0)) } }

    /// Every header as Strings, in order.
    var headers: [(name: String, value: String)] { fields.indices.map { (name($0), value($0)) } }

    /// The first value of a header; `name` must be lowercase.
    func header(_ name: String) -> String? {
        let lower = Array(name.utf8)
        for i in fields.indices where withName(i, { HeaderNameSet.equalsLower($0, lower) }) {
            return value(i)
        }
        return nil
    }
}

/// One header line of an upstream head: offsets into `UpstreamResponseHead.raw`.
struct UpstreamHeaderField {
    var nameStart: Int32
    var nameEnd: Int32
    var valueStart: Int32
    var valueEnd: Int32
    /// What the parser knew the name to be (`Kind`): hop-by-hop names are never relayed;
    /// Date, Server and Content-Type are told apart without a name look-up.
    var kind: UInt8 = Kind.other

    enum Kind {
        static let other: UInt8 = 0
        /// Content-Length, Transfer-Encoding or Connection.
        static let hop: UInt8 = 1
        static let date: UInt8 = 2
        static let server: UInt8 = 3
        static let contentType: UInt8 = 4
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

    /// As a new parser with the same limit (no release of an empty buffer, no limit
    /// looked up again).
    mutating func reset() {
        if !pending.isEmpty { pending = [] }
        scanned = 0
    }

    /// Feeds bytes; returns the head once complete, leaving `buf` at the bytes after it
    /// (the head always ends in the latest bytes: those before it had no blank line).
    mutating func feed(_ buf: inout ByteBuffer) throws -> UpstreamResponseHead? {
        // The common case: the whole head in the first read, parsed in place.
        if pending.isEmpty {
            let limit = self.limit
            // The head is built into a local, the closure returns a plain Int (no generic
            // optional tuple copied out through withUnsafeReadableBytes).
            var head = UpstreamResponseHead()
            let end: Int = try buf.withUnsafeReadableBytes { bytes -> Int in
                // One pass: the lines are parsed as they are found, the blank line ends
                // the head (no search for it first). A head that is not complete or not
                // valid takes the way below, which finds its end first and gives the
                // same errors as always.
                if let end = try? Self.parse(bytes, into: &head), end >= 0, end <= limit { return end }
                guard let end = Self.headEnd(bytes, from: 0) else { return -1 }
                if end > limit { throw UpstreamParseError.invalid("upstream sent too big header") }
                head = try Self.parse(UnsafeRawBufferPointer(rebasing: bytes[0..<end]))
                return end
            }
            if end >= 0 {
                buf.moveReaderIndex(forwardBy: end)
                return head
            }
        }
        let before = pending.count
        pending.append(contentsOf: buf.readableBytesView)
        let found = try pending.withUnsafeBytes { bytes -> (UpstreamResponseHead, Int)? in
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
            return (try Self.parse(UnsafeRawBufferPointer(rebasing: bytes[0..<end])), end)
        }
        guard let (head, end) = found else {
            buf.moveReaderIndex(to: buf.writerIndex)
            return nil
        }
        buf.moveReaderIndex(forwardBy: max(0, end - before))
        return head
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

    /// The high bit of each zero byte of `w` (the lowest flag is exact; a higher one may
    /// be set by a borrow from a zero byte below it).
    @inline(__always)
    private static func zeroBytes(_ w: UInt64) -> UInt64 {
        (w &- 0x0101_0101_0101_0101) & ~w & 0x8080_8080_8080_8080
    }

    /// The offset of the first ':', ' ' or LF in `from..<n`, or `n`: 8 bytes at a time
    /// while there are 8 (a zero byte of w ^ 0x3a.., w ^ 0x20.. or w ^ 0x0a..; the lowest
    /// flag of the bit trick is exact, higher ones may be false).
    @inline(__always)
    private static func nameStop(_ base: UnsafeRawPointer, _ from: Int, _ n: Int) -> Int {
        var i = from
        while i &+ 8 <= n {
            let w = base.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            let found = zeroBytes(w ^ 0x3a3a_3a3a_3a3a_3a3a) | zeroBytes(w ^ 0x2020_2020_2020_2020)
                | zeroBytes(w ^ 0x0a0a_0a0a_0a0a_0a0a)
            if found != 0 { return i &+ found.trailingZeroBitCount >> 3 }
            i &+= 8
        }
        while i < n {
            let c = base.load(fromByteOffset: i, as: UInt8.self)
            if c == 58 || c == 32 || c == 10 { return i }
            i &+= 1
        }
        return n
    }

    /// The offset of the first LF in `from..<n`, or `n`, 8 bytes at a time (as nameStop:
    /// a value is short, a call of memchr costs more than the words it would save).
    @inline(__always)
    private static func lineFeed(_ base: UnsafeRawPointer, _ from: Int, _ n: Int) -> Int {
        var i = from
        while i &+ 8 <= n {
            let found = zeroBytes(base.loadUnaligned(fromByteOffset: i, as: UInt64.self) ^ 0x0a0a_0a0a_0a0a_0a0a)
            if found != 0 { return i &+ found.trailingZeroBitCount >> 3 }
            i &+= 8
        }
        while i < n {
            if base.load(fromByteOffset: i, as: UInt8.self) == 10 { return i }
            i &+= 1
        }
        return n
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

    /// Parses a head that ends in `b` with its blank line.
    static func parse(_ b: UnsafeRawBufferPointer) throws -> UpstreamResponseHead {
        var head = UpstreamResponseHead()
        _ = try parse(b, into: &head)
        return head
    }

    /// Parses the head at the start of `b` into `head`: the offset just past its blank
    /// line, or -1 when `b` ends before one (the head is then incomplete).
    static func parse(_ b: UnsafeRawBufferPointer, into result: inout UpstreamResponseHead) throws -> Int {
        // (Offsets are kept as Int32: a head is bounded by proxy_buffer_size long before
        // this, so bytes past Int32.max are never looked at.)
        let n = min(b.count, Int(Int32.max))
        // Parsed into `result` itself, a new head (no local moved out and the new one
        // destroyed).
        assert(result.raw.isEmpty && result.fields.isEmpty && result.status == 0, "parse(into:) takes a new head")
        // The status line: "HTTP/x.y SP 3DIGIT [SP reason]".
        let eol = lineFeed(b, from: 0)
        if let sb = b.baseAddress, eol > 12, let (version, code) = usualStatus(sb) {
            // The usual line ("HTTP/1.1 200 OK") told by one word and three digits: the
            // same version and status the general walk below finds for it.
            result.version = version
            result.status = code
        } else {
            try parseStatusLine(b, eol, into: &result)
        }
        // The spare storage when there is some (unique once taken: its old bytes are
        // replaced at the end in one call). There is some only in a worker, whose
        // sessions give it back on its one thread.
        if UpstreamResponseHead.spareRaw != nil {
            result.takeSpareRaw()
        }
        if UpstreamResponseHead.spareFields != nil {
            result.fields = UpstreamResponseHead.spareFields.take().unsafelyUnwrapped
        }
        guard let base = b.baseAddress else {
            result.recycle()
            return -1
        }
        // The fields are gathered on the stack and put into the head's array in one call
        // at the end (no uniqueness check and capacity test per field, no emptying of
        // the spare array first); a head with more than `room` fields moves each full
        // batch into the array as it goes.
        let room = 32
        let end = try withUnsafeTemporaryAllocation(of: UpstreamHeaderField.self, capacity: room) { tmp -> Int in
            let slots = tmp.baseAddress.unsafelyUnwrapped
            var count = 0
            var flushed = false
            var start = eol + 1
            var end = -1
            while start < n {
                let ls = start
                // The blank line that ends the head.
                let c0 = base.load(fromByteOffset: ls, as: UInt8.self)
                if c0 == 10 {
                    end = ls &+ 1
                    break
                }
                if c0 == 13 && ls &+ 1 < n && base.load(fromByteOffset: ls &+ 1, as: UInt8.self) == 10 {
                    end = ls &+ 2
                    break
                }
                // The name ends at its colon; a space or the line's end before it is an
                // invalid line (as is an empty name). Found with the line's end, one
                // pass (a line with no LF yet: the head is incomplete).
                let colon = nameStop(base, ls, n)
                if colon >= n { break }
                guard colon > ls, base.load(fromByteOffset: colon, as: UInt8.self) == 58 else {
                    throw UpstreamParseError.invalid("upstream sent invalid header")
                }
                var vs = colon &+ 1
                while vs < n {
                    let c = base.load(fromByteOffset: vs, as: UInt8.self)
                    if c != 32 && c != 9 { break }
                    vs &+= 1
                }
                let e = lineFeed(base, vs, n)
                if e >= n { break }
                // (e - 1 is the colon or after it: the CR before the LF is not the name's.)
                let le = base.load(fromByteOffset: e &- 1, as: UInt8.self) == 13 ? e &- 1 : e
                start = e &+ 1
                // (In the loop itself: a function for it was not inlined, a call per line.)
                // The names looked at, told apart by their length first.
                var kind = UpstreamHeaderField.Kind.hop
                switch colon &- ls {
                case 14 where LowerName.contentLength.matches(base + ls):
                    var ve = le
                    while ve > vs && base.load(fromByteOffset: ve &- 1, as: UInt8.self) == 32 { ve &-= 1 }
                    var v: Int64 = 0
                    var ok = ve > vs
                    var k = vs
                    while k < ve {
                        let d = base.load(fromByteOffset: k, as: UInt8.self) &- 48
                        if d >= 10 || v > (Int64.max - 9) / 10 { ok = false; break }
                        v = v &* 10 &+ Int64(d)
                        k &+= 1
                    }
                    guard ok else {
                        throw UpstreamParseError.invalid("upstream sent invalid \"Content-Length\" header")
                    }
                    result.contentLength = v
                case 17 where nameIs(b, ls, colon, "transfer-encoding"):
                    if contains(b, vs, le, "chunked") { result.chunked = true }
                case 10 where LowerName.connection.matches(base + ls):
                    // The usual values alone first (one look), else the word search.
                    if le &- vs == 10 && LowerName.keepAlive.matches(base + vs) {
                        result.connectionKeepAlive = true
                    } else if le &- vs == 5 && LowerName.close.matches(base + vs) {
                        result.connectionClose = true
                    } else {
                        if contains(b, vs, le, "close") { result.connectionClose = true }
                        if contains(b, vs, le, "keep-alive") { result.connectionKeepAlive = true }
                    }
                case 4 where LowerName.date.matches(base + ls):
                    kind = UpstreamHeaderField.Kind.date
                case 6 where LowerName.server.matches(base + ls):
                    kind = UpstreamHeaderField.Kind.server
                case 12 where LowerName.contentType.matches(base + ls):
                    kind = UpstreamHeaderField.Kind.contentType
                default:
                    kind = UpstreamHeaderField.Kind.other
                    if colon &- ls > 8 && base.load(fromByteOffset: ls, as: UInt8.self) | 0x20 == 120
                        && nameIs(b, ls, ls &+ 8, "x-accel-")
                    {
                        result.accel = true
                    }
                }
                if count == room {
                    if !flushed {
                        result.fields.removeAll(keepingCapacity: true)
                        flushed = true
                    }
                    result.fields.append(contentsOf: UnsafeBufferPointer(start: slots, count: count))
                    count = 0
                }
                (slots + count).initialize(
                    to: UpstreamHeaderField(
                        nameStart: Int32(truncatingIfNeeded: ls), nameEnd: Int32(truncatingIfNeeded: colon),
                        valueStart: Int32(truncatingIfNeeded: vs), valueEnd: Int32(truncatingIfNeeded: le),
                        kind: kind))
                count &+= 1
            }
            if end < 0 { return -1 }
            let batch = UnsafeBufferPointer(start: slots, count: count)
            if flushed {
                result.fields.append(contentsOf: batch)
            } else if count > 0 && result.fields.count == count {
                // The spare's fields as many as these (the same upstream's next head, as
                // a rule): written over in place.
                result.fields.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: slots, count: count) }
            } else {
                // (The spare's old fields, if any, replaced by these in the same call.)
                result.fields.replaceSubrange(0..<result.fields.count, with: batch)
            }
            return end
        }
        if end < 0 {
            // Incomplete: the storage goes back to the spare.
            result.recycle()
            return -1
        }
        if result.chunked { result.contentLength = nil }
        if result.raw.count == end {
            // The spare's bytes as many as these (as a rule): written over in place.
            result.raw.withUnsafeMutableBytes { $0.baseAddress!.copyMemory(from: base, byteCount: end) }
        } else {
            // (The spare's old bytes, if any, replaced by these in the same call.)
            result.raw.replaceSubrange(
                0..<result.raw.count,
                with: UnsafeBufferPointer(start: base.assumingMemoryBound(to: UInt8.self), count: end))
        }
        return end
    }

    /// "HTTP/1.1 ddd " or "HTTP/1.0 ddd " at `p` (13 bytes known to be there, none a
    /// LF): the version and the status, or nil for any other line (the general walk).
    @inline(__always)
    private static func usualStatus(_ p: UnsafeRawPointer) -> (Int, Int)? {
        let w = p.loadUnaligned(as: UInt64.self)
        let version: Int
        if w == 0x312e_312f_5054_5448 {  // "HTTP/1.1"
            version = 11
        } else if w == 0x302e_312f_5054_5448 {  // "HTTP/1.0"
            version = 10
        } else {
            return nil
        }
        guard p.load(fromByteOffset: 8, as: UInt8.self) == 32, p.load(fromByteOffset: 12, as: UInt8.self) == 32
        else { return nil }
        let d0 = p.load(fromByteOffset: 9, as: UInt8.self) &- 48
        let d1 = p.load(fromByteOffset: 10, as: UInt8.self) &- 48
        let d2 = p.load(fromByteOffset: 11, as: UInt8.self) &- 48
        guard d0 < 10, d1 < 10, d2 < 10, d0 > 0 else { return nil }
        return (version, Int(d0) &* 100 &+ Int(d1) &* 10 &+ Int(d2))
    }

    /// The status line ending at `eol` in general (nginx's
    /// ngx_http_proxy_process_status_line rules as this parser has them).
    private static func parseStatusLine(_ b: UnsafeRawBufferPointer, _ eol: Int, into head: inout UpstreamResponseHead)
        throws
    {
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
    }
}

/// A lowercase ASCII name of 4 to 16 bytes matched case-insensitively a word at a time
/// (as HeaderNameSet does): its first and last 8 (or 4) bytes with the case bit of their
/// letters masked. `(x | mask) == bytes` is `asciiLower(x) == bytes` for each byte: a
/// lowercase letter is met only by it or its capital, any other byte only by itself.
struct LowerName {
    let count: Int
    let first: UInt64
    let firstMask: UInt64
    let last: UInt64
    let lastMask: UInt64

    /// Whether the `count` bytes at `p` are this name, ignoring ASCII case.
    @inline(__always)
    func matches(_ p: UnsafeRawPointer) -> Bool {
        if count >= 8 {
            return p.loadUnaligned(as: UInt64.self) | firstMask == first
                && p.loadUnaligned(fromByteOffset: count &- 8, as: UInt64.self) | lastMask == last
        }
        return UInt64(p.loadUnaligned(as: UInt32.self)) | firstMask == first
            && UInt64(p.loadUnaligned(fromByteOffset: count &- 4, as: UInt32.self)) | lastMask == last
    }

    // The names as words (what `init(_:)` makes of them, checked by a unit test): made of
    // literals, the globals are laid out at build time (no lazy initializer run, i.e. no
    // swift_once, at each use).
    static let contentLength = LowerName(
        count: 14, first: 0x2d74_6e65_746e_6f63, firstMask: 0x0020_2020_2020_2020,
        last: 0x6874_676e_656c_2d74, lastMask: 0x2020_2020_2020_0020)
    static let connection = LowerName(
        count: 10, first: 0x6974_6365_6e6e_6f63, firstMask: 0x2020_2020_2020_2020,
        last: 0x6e6f_6974_6365_6e6e, lastMask: 0x2020_2020_2020_2020)
    static let keepAlive = LowerName(
        count: 10, first: 0x696c_612d_7065_656b, firstMask: 0x2020_2000_2020_2020,
        last: 0x6576_696c_612d_7065, lastMask: 0x2020_2020_2000_2020)
    static let close = LowerName(
        count: 5, first: 0x736f_6c63, firstMask: 0x2020_2020, last: 0x6573_6f6c, lastMask: 0x2020_2020)
    static let contentType = LowerName(
        count: 12, first: 0x2d74_6e65_746e_6f63, firstMask: 0x0020_2020_2020_2020,
        last: 0x6570_7974_2d74_6e65, lastMask: 0x2020_2020_0020_2020)
    static let location = LowerName(
        count: 8, first: 0x6e6f_6974_6163_6f6c, firstMask: 0x2020_2020_2020_2020,
        last: 0x6e6f_6974_6163_6f6c, lastMask: 0x2020_2020_2020_2020)
    static let refresh = LowerName(
        count: 7, first: 0x7266_6572, firstMask: 0x2020_2020, last: 0x6873_6572, lastMask: 0x2020_2020)
    static let date = LowerName(
        count: 4, first: 0x6574_6164, firstMask: 0x2020_2020, last: 0x6574_6164, lastMask: 0x2020_2020)
    static let server = LowerName(
        count: 6, first: 0x7672_6573, firstMask: 0x2020_2020, last: 0x7265_7672, lastMask: 0x2020_2020)
}

extension LowerName {
    init(_ s: StaticString) {
        let b = UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount)
        precondition(b.count >= 4 && b.count <= 16 && !b.contains(where: { asciiIsUpper($0) }))
        count = b.count
        let mask = b.map { $0 &- 97 < 26 ? UInt8(0x20) : 0 }
        let bytes = Array(b)
        let size = count >= 8 ? 8 : 4
        func word(_ a: [UInt8], _ at: Int) -> UInt64 {
            a.withUnsafeBytes {
                size == 8
                    ? $0.loadUnaligned(fromByteOffset: at, as: UInt64.self)
                    : UInt64($0.loadUnaligned(fromByteOffset: at, as: UInt32.self))
            }
        }
        first = word(bytes, 0)
        firstMask = word(mask, 0)
        last = word(bytes, count - size)
        lastMask = word(mask, count - size)
    }
}
