import MoongateCore
/// The fields of a request head few requests have (see `RequestHead.extras`).
final class HeadExtras {
    var list: [(name: String, value: String)]?
    var hostValue: String?
    var ignored: [String]
    /// What heads without any of them share (never changed: a head copies it first).
    nonisolated(unsafe) static let none = HeadExtras(list: nil, hostValue: nil, ignored: [])

    init(list: [(name: String, value: String)]?, hostValue: String?, ignored: [String]) {
        self.list = list
        self.hostValue = hostValue
        self.ignored = ignored
    }

    func copy() -> HeadExtras { HeadExtras(list: list, hostValue: hostValue, ignored: ignored) }
}

/// A parsed request line and header block, independent of any HTTP library.
public struct RequestHead {
    /// `GET`, `POST`, ... as sent.
    public var method: String
    /// The request target as sent (`/a%20b?x=1`), nginx's `$request_uri`.
    public var rawURI: String
    /// 10 for HTTP/1.0, 11 for HTTP/1.1.
    public var version: Int
    /// The head's bytes and where each header line's name and value are in them, as the
    /// parser found them: the header Strings are made only when someone asks (most
    /// requests read none). One allocation; a copy of the head shares it (immutable).
    let storage: HeadStorage
    /// The fields few requests have (header Strings, a host not in the bytes, ignored
    /// lines), shared with copies of the head until one changes them. Kept apart so the
    /// head stays small enough for the optimizer to build it in place: with them inline,
    /// building a head made a copy of it (each string and array retained and released).
    private var extras: HeadExtras
    /// `extras`, unshared (copied first if another head holds it too).
    private mutating func ownExtras() -> HeadExtras {
        if !isKnownUniquelyReferenced(&extras) { extras = extras.copy() }
        return extras
    }
    /// The header fields as Strings, once made (`materializeHeaders`) or changed.
    var list: [(name: String, value: String)]? {
        get { extras.list }
        set { ownExtras().list = newValue }
    }
    /// Header fields in order, names as sent.
    public var headers: [(name: String, value: String)] {
        get { list ?? storage.makeList() }
        set { list = newValue }
        _modify {
            let e = ownExtras()
            if e.list == nil { e.list = storage.makeList() }
            yield &e.list!
        }
    }
    /// Bytes of the request line and headers, as received (for `ngx.req.raw_header`).
    public var rawHeader: [UInt8] { storage.withBytes { Array($0) } }
    /// How many bytes `rawHeader` has.
    public var rawHeaderCount: Int { storage.byteCount }
    /// Length of the request line without CRLF (`$request`).
    public var requestLineLength: Int
    /// Parsed `Content-Length`, if any.
    public var contentLength: Int64?
    /// `Transfer-Encoding: chunked`.
    public var chunked: Bool
    /// The Host header's validated host in the bytes (ASCII, port and trailing dot
    /// stripped), lowercased when asked; hostStart -1: none, or `hostValue` holds it.
    var hostStart: Int32 = -1
    var hostLength: Int32 = 0
    var hostIsSet = false
    /// What `URINormalizer.split` would do with `rawURI`, when the parser knew it from its
    /// pass over the URI: -1 the path is the whole URI, n >= 0 the "?" is at n (path
    /// before it, args after it), -2 unknown (split decides).
    var simpleQuery: Int32 = -2
    var hostValue: String? {
        get { extras.hostValue }
        set { ownExtras().hostValue = newValue }
    }
    /// Host from the absolute URI or the Host header (lowercased, port stripped).
    public var host: String? {
        get {
            if hostIsSet { return hostValue }
            guard hostStart >= 0 else { return nil }
            let (s, n) = (Int(hostStart), Int(hostLength))
            return storage.withBytes { LogBytes.asciiLowercased(UnsafeRawBufferPointer(rebasing: $0[s..<(s + n)])) }
        }
        set {
            hostIsSet = true
            hostValue = newValue
        }
    }
    /// Whether the client asked to keep the connection.
    public var keepAliveRequested: Bool
    /// Header lines dropped by `ignore_invalid_headers` (logged at info).
    public var ignoredHeaderLines: [String] {
        get { extras.ignored }
        set { ownExtras().ignored = newValue }
    }
    /// `Expect: 100-continue` was sent.
    public var expectContinue: Bool

    public init(
        method: String, rawURI: String, version: Int, headers: [(name: String, value: String)], rawHeader: [UInt8],
        requestLineLength: Int, contentLength: Int64?, chunked: Bool, host: String?, keepAliveRequested: Bool,
        ignoredHeaderLines: [String] = [], expectContinue: Bool
    ) {
        self.method = method
        self.rawURI = rawURI
        self.version = version
        self.extras = HeadExtras(list: headers, hostValue: host, ignored: ignoredHeaderLines)
        self.storage = rawHeader.withUnsafeBytes { HeadStorage.make($0, .none) }
        self.requestLineLength = requestLineLength
        self.contentLength = contentLength
        self.chunked = chunked
        self.hostIsSet = true
        self.keepAliveRequested = keepAliveRequested
        self.expectContinue = expectContinue
    }

    /// The parser's head: header fields as spans of the bytes in `storage`.
    init(
        method: String, rawURI: String, version: Int, storage: HeadStorage, requestLineLength: Int,
        contentLength: Int64?, chunked: Bool, hostStart: Int32, hostLength: Int32, hostIsSet: Bool, hostValue: String?,
        keepAliveRequested: Bool, ignoredHeaderLines: [String], expectContinue: Bool, simpleQuery: Int32 = -2
    ) {
        self.simpleQuery = simpleQuery
        self.method = method
        self.rawURI = rawURI
        self.version = version
        self.storage = storage
        self.requestLineLength = requestLineLength
        self.contentLength = contentLength
        self.chunked = chunked
        self.hostStart = hostStart
        self.hostLength = hostLength
        self.hostIsSet = hostIsSet
        self.extras = hostValue == nil && ignoredHeaderLines.isEmpty
            ? HeadExtras.none : HeadExtras(list: nil, hostValue: hostValue, ignored: ignoredHeaderLines)
        self.keepAliveRequested = keepAliveRequested
        self.expectContinue = expectContinue
    }

    /// Makes the header Strings once, for code that reads all of them (more than once).
    public mutating func materializeHeaders() {
        if list == nil { list = storage.makeList() }
    }

    /// The first value of a header, case-insensitively.
    public func header(_ name: String) -> String? { Self.header(name, list, storage) }

    /// `header(_:)` from the two parts it reads (a request looks up without copying its head).
    static func header(_ name: String, _ list: [(name: String, value: String)]?, _ storage: HeadStorage) -> String? {
        if let list {
            // No lowercased() copy of the name: both sides compared ignoring ASCII case.
            let n = name.utf8.count
            for h in list where h.name.utf8.count == n && asciiEqualsIgnoringCase(h.name, name) {
                return h.value
            }
            return nil
        }
        return storage.value(of: name)
    }

    /// The request line as sent, `$request`.
    public var requestLine: String {
        let n = requestLineLength
        return storage.withBytes { String(decoding: UnsafeRawBufferPointer(rebasing: $0[0..<n]), as: UTF8.self) }
    }

    /// The Host header for the error log (`host: "..."`), bytes as the client sent them.
    public var hostForLog: String? {
        guard let h = header("host") else { return nil }
        // Only a value that was not valid UTF-8 needs the raw bytes looked up.
        guard h.unicodeScalars.contains("\u{FFFD}") else { return h }
        var i = requestLineLength
        let b = rawHeader
        while i < b.count {
            var e = i
            while e < b.count && b[e] != 10 { e += 1 }
            var stop = e
            if stop > i && b[stop - 1] == 13 { stop -= 1 }
            if stop - i > 5 && b[i..<(i + 5)].map({ $0 | 0x20 }).elementsEqual(Array("host:".utf8)) {
                var vs = i + 5
                while vs < stop && (b[vs] == 32 || b[vs] == 9) { vs += 1 }
                var ve = stop
                while ve > vs && (b[ve - 1] == 32 || b[ve - 1] == 9) { ve -= 1 }
                return LogBytes.string(b[vs..<ve])
            }
            i = e + 1
        }
        return h
    }

    /// The request line for the error log, bytes as the client sent them (`LogBytes`).
    public var requestLineForLog: String {
        let n = requestLineLength
        return storage.withBytes { LogBytes.text(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
    }

    /// `HTTP/1.1`.
    public var protocolString: String { version == 10 ? "HTTP/1.0" : version == 9 ? "" : "HTTP/1.1" }
}

/// Why a request head was refused, with the status nginx answers and its log message.
public struct RequestParseError: Error {
    /// 400, 414, 494 (sent as 400), 501, 505 ...
    public var status: Int
    /// nginx's `[info]` message, e.g. `client sent invalid request`.
    public var message: String
    /// Set when the request line was parsed (for logging `request: "..."`), with the
    /// client's bytes kept as `LogBytes` carries them.
    public var requestLine: String?
    /// Where parsing failed, for nginx's `while reading client request line|headers`.
    public var stage: Stage = .requestLine
    /// The raw Host header value when one was read (logged as `host: "..."`).
    public var host: String?

    /// The part of the head being read when the error happened.
    public enum Stage: Sendable {
        case requestLine, headers
    }

    public init(_ status: Int, _ message: String, requestLine: String? = nil) {
        self.status = status
        self.message = message
        self.requestLine = requestLine
    }
}

/// Limits from `client_header_buffer_size` / `large_client_header_buffers`.
public struct HeaderLimits {
    public var bufferSize: Int
    public var largeBufferSize: Int
    public var largeBufferCount: Int
    public var ignoreInvalidHeaders: Bool
    public var underscoresInHeaders: Bool

    public init(
        bufferSize: Int = 1024, largeBufferSize: Int = 8192, largeBufferCount: Int = 4,
        ignoreInvalidHeaders: Bool = true, underscoresInHeaders: Bool = false
    ) {
        self.bufferSize = bufferSize
        self.largeBufferSize = largeBufferSize
        self.largeBufferCount = largeBufferCount
        self.ignoreInvalidHeaders = ignoreInvalidHeaders
        self.underscoresInHeaders = underscoresInHeaders
    }
}

/// Where the header lines are in a head's bytes, while the parser finds them: the first
/// sixteen in the parser's stack buffer, more in an array.
struct HeaderSpans {
    static var inlineCount: Int { 16 }
    private let inline: UnsafeMutablePointer<UInt32>
    private(set) var count = 0
    private var more: [UInt32] = []

    init(_ inline: UnsafeMutablePointer<UInt32>) { self.inline = inline }

    /// No header line.
    static var none: HeaderSpans { HeaderSpans(UnsafeMutablePointer(bitPattern: 8)!) }

    @inline(__always)
    mutating func append(_ ns: Int, _ ne: Int, _ vs: Int, _ ve: Int) {
        if count < Self.inlineCount {
            let p = inline + count &* 4
            p[0] = UInt32(truncatingIfNeeded: ns)
            p[1] = UInt32(truncatingIfNeeded: ne)
            p[2] = UInt32(truncatingIfNeeded: vs)
            p[3] = UInt32(truncatingIfNeeded: ve)
        } else {
            more.append(UInt32(truncatingIfNeeded: ns))
            more.append(UInt32(truncatingIfNeeded: ne))
            more.append(UInt32(truncatingIfNeeded: vs))
            more.append(UInt32(truncatingIfNeeded: ve))
        }
        count &+= 1
    }

    /// Writes the 4 * count offsets to `out`.
    func copy(to out: UnsafeMutablePointer<UInt32>) {
        let n = Swift.min(count, Self.inlineCount) &* 4
        if n > 0 { out.update(from: inline, count: n) }
        if !more.isEmpty {
            more.withUnsafeBufferPointer { (out + n).update(from: $0.baseAddress!, count: $0.count) }
        }
    }
}

/// A request head's bytes followed by the offsets of its header lines (name start, name
/// end, value start, value end, for each line), in one allocation.
final class HeadStorage: ManagedBuffer<HeadStorage.Info, UInt8> {
    struct Info {
        var byteCount: Int
        var fieldCount: Int
        /// Where the offsets start (after the bytes, 4-aligned).
        var spansAt: Int
        /// Bytes the storage was made for (ManagedBuffer's `capacity` asks malloc).
        var capacity: Int
    }

    /// The storage of the last request that ended, for the next head (the worker's
    /// requests run on its one thread): most requests then allocate and free none.
    nonisolated(unsafe) private static var spare: HeadStorage?

    /// Keeps `s` for a later head, once the head holding it is gone (see `make`); a
    /// large one is let go of.
    static func recycle(_ s: HeadStorage) {
        if s.withUnsafeMutablePointerToHeader({ $0.pointee.capacity }) <= 4096 { spare = s }
    }

    static func make(_ bytes: UnsafeRawBufferPointer, _ spans: HeaderSpans) -> HeadStorage {
        let spansAt = (bytes.count &+ 3) & ~3
        let total = spansAt &+ spans.count &* 16
        let s: HeadStorage
        // The spare is reused only when nothing else holds it any more (no head, e.g. a
        // subrequest's copy, still reads it).
        if var r = spare.take(), isKnownUniquelyReferenced(&r),
            r.withUnsafeMutablePointerToHeader({ $0.pointee.capacity }) >= total
        {
            r.withUnsafeMutablePointerToHeader {
                $0.pointee = Info(byteCount: bytes.count, fieldCount: spans.count, spansAt: spansAt, capacity: $0.pointee.capacity)
            }
            s = r
        } else {
            let b = HeadStorage.create(minimumCapacity: max(total, 256)) { _ in
                Info(byteCount: bytes.count, fieldCount: spans.count, spansAt: spansAt, capacity: max(total, 256))
            }
            s = unsafeDowncast(b, to: HeadStorage.self)
        }
        s.withUnsafeMutablePointerToElements { p in
            if let src = bytes.baseAddress, bytes.count > 0 { p.update(from: src.assumingMemoryBound(to: UInt8.self), count: bytes.count) }
            UnsafeMutableRawPointer(p + spansAt).withMemoryRebound(to: UInt32.self, capacity: spans.count &* 4) {
                spans.copy(to: $0)
            }
        }
        return s
    }

    var byteCount: Int { withUnsafeMutablePointerToHeader { $0.pointee.byteCount } }

    /// Calls `body` with the head's bytes.
    @inline(__always)
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeMutablePointers { h, p in try body(UnsafeRawBufferPointer(start: p, count: h.pointee.byteCount)) }
    }

    /// Calls `body` with the bytes, the number of header lines and their offsets.
    @inline(__always)
    func withFields<R>(_ body: (UnsafeRawBufferPointer, Int, UnsafePointer<UInt32>) throws -> R) rethrows -> R {
        try withUnsafeMutablePointers { h, p in
            let info = h.pointee
            return try UnsafeMutableRawPointer(p + info.spansAt).withMemoryRebound(
                to: UInt32.self, capacity: info.fieldCount &* 4
            ) { spans in
                try body(UnsafeRawBufferPointer(start: p, count: info.byteCount), info.fieldCount, spans)
            }
        }
    }

    /// The header fields as Strings, made from their offsets.
    func makeList() -> [(name: String, value: String)] {
        withFields { b, n, f in
            if n == 0 { return [] }
            var out: [(name: String, value: String)] = []
            out.reserveCapacity(n)
            for i in 0..<n {
                let k = i &* 4
                let name = UnsafeRawBufferPointer(rebasing: b[Int(f[k])..<Int(f[k &+ 1])])
                let hname = RequestParser.commonName(name, RequestParser.headerNames) ?? LogBytes.ascii(name)
                    ?? String(decoding: name, as: UTF8.self)
                out.append((hname, LogBytes.text(UnsafeRawBufferPointer(rebasing: b[Int(f[k &+ 2])..<Int(f[k &+ 3])]))))
            }
            return out
        }
    }

    /// The first value of the header `name` (ASCII case ignored), made from its bytes.
    func value(of name: String) -> String? {
        var name = name
        return name.withUTF8 { want in
            withFields { b, n, f -> String? in
                for i in 0..<n {
                    let k = i &* 4
                    let ns = Int(f[k])
                    guard Int(f[k &+ 1]) &- ns == want.count else { continue }
                    var j = 0
                    while j < want.count && asciiLower(b[ns &+ j]) == asciiLower(want[j]) { j &+= 1 }
                    if j == want.count {
                        return LogBytes.text(UnsafeRawBufferPointer(rebasing: b[Int(f[k &+ 2])..<Int(f[k &+ 3])]))
                    }
                }
                return nil
            }
        }
    }
}
