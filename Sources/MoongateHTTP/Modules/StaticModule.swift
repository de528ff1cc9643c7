import MoongateCore
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// nginx's static, index and autoindex-less directory handling: files from `root`/`alias`
/// with MIME types, `Last-Modified`, `ETag`, `If-Modified-Since`, a single `Range`, `HEAD`.
public enum StaticModule {
    /// `$document_root`.
    public static func documentRoot(_ r: HTTPRequest) -> String {
        if let c = locCache(r.loc) { return c.documentRoot }
        if let a = r.loc.alias { return absolute(a.evaluate(r)) }
        return absolute((r.loc.root ?? ComplexValue(literal: "html")).evaluate(r))
    }

    static func absolute(_ p: String) -> String {
        if p.utf8.first == UInt8(ascii: "/") { return p }
        let pre = Variables.prefix.utf8.last == UInt8(ascii: "/") ? Variables.prefix : Variables.prefix + "/"
        return pre + p
    }

    /// `$request_filename`: the file path the URI maps to.
    public static func mapURIToPath(_ r: HTTPRequest, uri: String? = nil) -> String {
        let u = uri ?? r.uri
        if let a = r.loc.alias {
            let base = absolute(a.evaluate(r))
            if case .regex = r.loc.match { return base }
            if let p = r.loc.prefixString, u.hasPrefix(p) {
                return base + String(u.dropFirst(p.count))
            }
            return base
        }
        if let c = locCache(r.loc) { return c.rootString + u }
        var root = documentRoot(r)
        if root.utf8.last == UInt8(ascii: "/") { root.removeLast() }
        return root + u
    }

    /// Content-Type for a path from `types`/`default_type`.
    public static func contentType(for path: String, _ r: HTTPRequest) -> String {
        // The extension is found on bytes (Character-level String work cost ~5k instructions).
        if let types = r.loc.types, let ext = extensionLowercased(path), let t = types[ext] { return t }
        return r.loc.defaultType ?? "text/plain"
    }

    /// The lowercased extension of the last path component, nil without a dot.
    static func extensionLowercased(_ path: String) -> String? {
        var path = path
        return path.withUTF8 { u -> String? in
            var i = u.count - 1
            while i >= 0 && u[i] != UInt8(ascii: ".") && u[i] != UInt8(ascii: "/") { i -= 1 }
            guard i >= 0, u[i] == UInt8(ascii: ".") else { return nil }
            let e = String(decoding: UnsafeBufferPointer(rebasing: u[(i + 1)...]), as: UTF8.self)
            for k in (i + 1)..<u.count where u[k] >= 65 && u[k] <= 90 { return e.lowercased() }
            return e
        }
    }

    /// Serves the request; returns 0 when the response was produced or a status to finalize with.
    static func handle(_ r: HTTPRequest) -> Int {
        let isGet = r.method == "GET"
        if !isGet && r.method != "HEAD" && r.method != "POST" {
            return 405
        }
        // A literal `root` (nearly always): the path is built as bytes from the location's
        // absolute root made once and the URI, with no String per request.
        if let cache = locCache(r.loc) {
            let rootCount = cache.root.count
            // -1: the general path; -2: a directory URI.
            let done = r.uri.utf8.withContiguousStorageIfAvailable { u -> Int in
                guard let ub = u.baseAddress, u.count > 0 else { return -1 }
                if ub[u.count &- 1] == UInt8(ascii: "/") { return -2 }
                if !isGet && r.method == "POST" { return 405 }
                // Carried raw bytes (see LogBytes) need restoring: the general path.
                if !LogBytes.isASCII(UnsafeRawBufferPointer(u)) && memchr(ub, 0xF4, u.count) != nil { return -1 }
                let total = rootCount &+ u.count
                return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: total &+ 1) { b -> Int in
                    let base = b.baseAddress!
                    cache.root.withUnsafeBufferPointer { base.update(from: $0.baseAddress!, count: rootCount) }
                    (base + rootCount).update(from: ub, count: u.count)
                    base[total] = 0
                    return serve(r, UnsafeBufferPointer(start: base, count: total), cache)
                }
            }
            if let done {
                if done >= 0 { return done }
                if done == -2 { return index(r) }
            }
        }
        if r.uri.hasSuffix("/") {
            return index(r)
        }
        if r.method == "POST" { return 405 }
        let path = mapURIToPath(r)
        var bytes = LogBytes.bytes(path)
        let n = bytes.count
        bytes.append(0)
        return bytes.withUnsafeBufferPointer { serve(r, UnsafeBufferPointer(rebasing: $0[0..<n]), locCache(r.loc)) }
    }

    /// The file part of `handle`: `path` is the file's bytes, followed in memory by a NUL.
    private static func serve(_ r: HTTPRequest, _ path: UnsafeBufferPointer<UInt8>, _ cache: LocCache?) -> Int {
        let cpath = UnsafeRawPointer(path.baseAddress!).assumingMemoryBound(to: CChar.self)
        // As nginx (without open_file_cache): open, then fstat the descriptor.
        let fd = open(cpath, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        if fd < 0 {
            let e = errno
            if e == ENOENT || e == ENOTDIR {
                if r.loc.logNotFound ?? true {
                    r.log(.error, "open() \"\(pathString(path))\" failed (\(e): \(String(cString: strerror(e))))")
                }
                return 404
            }
            r.log(.error, "open() \"\(pathString(path))\" failed (\(e): \(String(cString: strerror(e))))")
            return e == EACCES ? 403 : 500
        }
        var st = stat()
        if fstat(fd, &st) != 0 {
            let e = errno
            close(fd)
            r.log(.crit, "fstat() \"\(pathString(path))\" failed (\(e): \(String(cString: strerror(e))))")
            return 500
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            var loc = r.uri + "/"
            if let a = r.args, !a.isEmpty { loc += "?" + a }
            r.headersOut = ResponseHeaders()
            r.headersOut.location = loc
            return 301
        }
        if (st.st_mode & S_IFMT) != S_IFREG {
            close(fd)
            r.log(.crit, "\"\(pathString(path))\" is not a regular file")
            return 404
        }
        let size = Int64(st.st_size)
        let mtime = Int(st.st_mtim.tv_sec)
        r.status = 200
        r.headersOut.contentType = contentType(path, r, cache)
        r.headersOut.lastModified = mtime
        let etag = etagString(mtime, size)
        if r.headersOut.list.capacity == 0 { r.headersOut.list = ResponseHeaders.emptyList() }
        if r.loc.etag ?? true { r.headersOut.list.append(("ETag", etag)) }
        // Conditional and range requests: only when a header could be one of theirs.
        let conditional = mayBeConditional(r)
        // Conditional requests (nginx's not_modified filter).
        switch conditional ? NotModified.check(r, mtime: mtime, etag: etag) : .send {
        case .notModified:
            close(fd)
            r.status = 304
            r.headersOut.contentLength = nil
            r.headersOut.contentType = nil
            r.sendHeader()
            r.output(BodyChunk(data: nil, last: true))
            return 0
        case .preconditionFailed:
            close(fd)
            return 412
        case .send:
            break
        }
        r.headersOut.list.append(("Accept-Ranges", "bytes"))
        var start: Int64 = 0
        var end: Int64 = size
        // nginx's range filter sits below gzip: a response gzip compresses has no length
        // left, so a Range gets the whole (compressed) file.
        r.headersOut.contentLength = size
        if conditional && r.status == 200 && !r.gzipWouldCompress() {
            switch RangeRequest.evaluate(r, size: size, mtime: mtime, etag: etag) {
            case .ranges(let list) where list.count == 1:
                start = list[0].lowerBound
                end = list[0].upperBound
                r.status = 206
                // nginx's range filter drops Accept-Ranges from partial responses.
                r.headersOut.list.removeAll { $0.0 == "Accept-Ranges" }
                r.headersOut.list.append(("Content-Range", "bytes \(start)-\(end - 1)/\(size)"))
            case .ranges(let list):
                close(fd)
                return sendMultipart(r, path: pathString(path), ranges: list, size: size)
            case .unsatisfiable:
                close(fd)
                r.status = 416
                r.headersOut = ResponseHeaders()
                r.headersOut.list.append(("Content-Range", "bytes */\(size)"))
                return 416
            case .whole:
                break
            }
        }
        r.headersOut.contentLength = end - start
        if !r.sendHeader() {
            close(fd)
            return 0
        }
        if r.headerOnly || end == start {
            close(fd)
            r.output(BodyChunk(data: nil, last: true))
            return 0
        }
        let count = Int(end - start)
        if count <= FileStreamer.pieceSize {
            // Read straight into the connection's coalesced output after the head when
            // it fits (no buffer of its own), else into a buffer.
            var got = 0
            if r.outputDirect(count: count, { p in
                // Short: shortRead below drops the output unsent.
                got = preadFully(fd, p, count, off_t(start))
            }) {
                close(fd)
                if got < count {
                    shortRead(r, pathString(path), got, count)
                    return 0
                }
                // The end of the body: for a plain response (no filter, not chunked), what
                // output(BodyChunk(data: nil, last: true)) does, without the chunk.
                if !r.chunked && (r.loc.filters?.isEmpty ?? true) {
                    r.endDirectBody()
                } else {
                    r.output(BodyChunk(data: nil, last: true))
                }
                return 0
            }
            var buf = r.connection.allocator.buffer(capacity: count)
            let n = buf.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { p in
                preadFully(fd, p.baseAddress!, count, off_t(start))
            }
            close(fd)
            if n < count {
                shortRead(r, pathString(path), n, count)
                return 0
            }
            r.output(BodyChunk(data: buf, last: true))
        } else if r.connection.tls != nil || r.gzip != nil || r.subrequestSink != nil || !(r.loc.filters?.isEmpty ?? true) {
            // The bytes are needed (TLS, gzip, a body filter, a subrequest's capture):
            // read and passed on a piece at a time, as nginx's copy filter does.
            let s = FileStreamer(r, fd: fd, from: start, to: end, path: pathString(path))
            r.cleanups.append { s.closeFile() }
            s.pump()
            return FileStreamer.streaming
        } else {
            // sendfile(2): the file's bytes never enter the worker's memory. Unlike nginx,
            // whatever `sendfile` says (accepted, ignored; nginx's default is off, which
            // reads the file through output_buffers): the bytes on the wire are the same,
            // and reading them through the worker costs about four times the CPU.
            let handle = NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: fd)
            var c = BodyChunk(data: nil, last: true)
            c.file = FileRegion(fileHandle: handle, readerIndex: Int(start), endIndex: Int(end))
            r.cleanups.append { try? handle.close() }
            r.output(c)
        }
        return 0
    }

    /// The file gave fewer bytes than fstat said (it shrank, or a /proc or /sys file):
    /// as nginx, an alert, and the connection closes with what is not sent yet (the
    /// head and body wait in the connection's output), so the client never takes a
    /// short or padded body for the file.
    fileprivate static func shortRead(_ r: HTTPRequest, _ path: String, _ got: Int, _ count: Int) {
        r.log(.alert, "pread() read only \(got) of \(count) from \"\(path)\"")
        r.abortUnsent()
    }

    /// Reads up to `count` bytes at `offset`; returns how many it got.
    fileprivate static func preadFully(_ fd: Int32, _ p: UnsafeMutableRawPointer, _ count: Int, _ offset: off_t) -> Int {
        var got = 0
        while got < count {
            let k = pread(fd, p + got, count - got, offset + off_t(got))
            if k < 0 && errno == EINTR { continue }
            if k <= 0 { break }
            got += k
        }
        return got
    }

    /// The path for log lines (raw bytes carried, see LogBytes).
    private static func pathString(_ path: UnsafeBufferPointer<UInt8>) -> String {
        LogBytes.text(UnsafeRawBufferPointer(path))
    }

    /// `"mtime-size"` in hex, as nginx's ETag; built in place (no interpolation, and no
    /// allocation up to 15 bytes).
    static func etagString(_ mtime: Int, _ size: Int64) -> String {
        var buf: (UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0)
        return withUnsafeMutableBytes(of: &buf) { b -> String in
            let p = b.baseAddress!
            p.storeBytes(of: UInt8(ascii: "\""), as: UInt8.self)
            var i = putHex(Int64(mtime), p, 1)
            p.storeBytes(of: UInt8(ascii: "-"), toByteOffset: i, as: UInt8.self)
            i = putHex(size, p, i &+ 1)
            p.storeBytes(of: UInt8(ascii: "\""), toByteOffset: i, as: UInt8.self)
            return LogBytes.ascii(UnsafeRawBufferPointer(start: p, count: i &+ 1))!
        }
    }

    /// Writes `v` in lowercase hex (a '-' first when negative) at `p + at`; returns the end.
    @inline(__always)
    private static func putHex(_ v: Int64, _ p: UnsafeMutableRawPointer, _ at: Int) -> Int {
        var at = at
        if v < 0 {
            p.storeBytes(of: UInt8(ascii: "-"), toByteOffset: at, as: UInt8.self)
            at &+= 1
        }
        var m = v.magnitude
        let digits = m == 0 ? 1 : (64 &- m.leadingZeroBitCount &+ 3) >> 2
        if digits <= 8 {
            // Eight nibbles spread to eight bytes, made digits all at once, the most
            // significant first; the leading zeros are not stored.
            var x = m
            x = ((x & 0xFFFF_0000) << 16) | (x & 0xFFFF)
            x = ((x & 0x0000_FF00_0000_FF00) << 8) | (x & 0x0000_00FF_0000_00FF)
            x = ((x & 0x00F0_00F0_00F0_00F0) << 4) | (x & 0x000F_000F_000F_000F)
            let letters = ((x &+ 0x0606_0606_0606_0606) >> 4) & 0x0101_0101_0101_0101
            x = x &+ 0x3030_3030_3030_3030 &+ letters &* 39
            p.storeBytes(of: x.byteSwapped >> UInt64((8 &- digits) &* 8), toByteOffset: at, as: UInt64.self)
            return at &+ digits
        }
        var k = at &+ digits
        let end = k
        repeat {
            k &-= 1
            let d = UInt8(truncatingIfNeeded: m & 15)
            p.storeBytes(of: d < 10 ? 48 &+ d : 87 &+ d, toByteOffset: k, as: UInt8.self)
            m >>= 4
        } while m != 0
        return end
    }

    /// Whether a request header could be one the not-modified or range filters read
    /// (If-*, Range): one pass over the names instead of five lookups.
    static func mayBeConditional(_ r: HTTPRequest) -> Bool {
        @inline(__always) func candidate(_ c: UInt8, _ n: Int) -> Bool {
            let l = c | 0x20
            return (l == UInt8(ascii: "i") && n >= 8) || (l == UInt8(ascii: "r") && n == 5)
        }
        if let list = r.head.list {
            for h in list where candidate(h.name.utf8.first ?? 0, h.name.utf8.count) { return true }
            return false
        }
        return r.head.storage.withFields { b, n, f -> Bool in
            for i in 0..<n {
                let k = i &* 4
                let ns = Int(f[k])
                let len = Int(f[k &+ 1]) &- ns
                if len > 0 && candidate(b[ns], len) { return true }
            }
            return false
        }
    }

    /// Per-location data made on first use: the literal root as absolute bytes and the
    /// content types of the last extensions seen.
    final class LocCache {
        /// The absolute root without a trailing slash, as bytes and as a String.
        let root: [UInt8]
        let rootString: String
        /// `$document_root`: the absolute root as it is.
        let documentRoot: String
        /// Up to four extensions (lowercased, packed, with their length) and their types.
        var extKeys: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        var extLens: (Int, Int, Int, Int) = (-1, -1, -1, -1)
        var extTypes: [String] = ["", "", "", ""]
        var nextSlot = 0

        init(root: [UInt8], rootString: String, documentRoot: String) {
            self.root = root
            self.rootString = rootString
            self.documentRoot = documentRoot
        }
    }

    /// The location's cache, nil when its root is not a literal one (alias, variables).
    @inline(__always)
    static func locCache(_ loc: LocationConfig) -> LocCache? {
        if let c = loc.staticCache { return c }
        return makeLocCache(loc)
    }

    private static func makeLocCache(_ loc: LocationConfig) -> LocCache? {
        if loc.alias != nil { return nil }
        let rv = loc.root ?? ComplexValue(literal: "html")
        guard rv.isLiteral, rv.parts.count == 1, case .literal(let lit) = rv.parts[0] else { return nil }
        let documentRoot = absolute(lit)
        var root = documentRoot
        if root.utf8.last == UInt8(ascii: "/") { root.removeLast() }
        let bytes = LogBytes.bytes(root)
        // A NUL in the root would end the C path there: the general path.
        if bytes.contains(0) { return nil }
        let c = LocCache(root: bytes, rootString: root, documentRoot: documentRoot)
        loc.staticCache = c
        return c
    }

    /// Content-Type for the path bytes, from the location's cache when it has the extension.
    private static func contentType(_ path: UnsafeBufferPointer<UInt8>, _ r: HTTPRequest, _ cache: LocCache?) -> String {
        var i = path.count - 1
        while i >= 0 && path[i] != UInt8(ascii: ".") && path[i] != UInt8(ascii: "/") { i -= 1 }
        guard i >= 0, path[i] == UInt8(ascii: ".") else { return r.loc.defaultType ?? "text/plain" }
        let len = path.count - i - 1
        guard let cache, len > 0, len <= 8 else { return contentType(for: pathString(path), r) }
        // The extension's bytes as one word (the path's last 8 bytes shifted down).
        var key: UInt64 = 0
        if path.count >= 8 {
            key = UnsafeRawPointer(path.baseAddress! + (path.count &- 8)).loadUnaligned(as: UInt64.self)
                >> UInt64((8 &- len) &* 8)
        } else {
            for k in 0..<len { key |= UInt64(path[i &+ 1 &+ k]) << UInt64(k &* 8) }
        }
        // Not ASCII: lowercased() may change it, not a cache key.
        if key & 0x8080_8080_8080_8080 != 0 { return contentType(for: pathString(path), r) }
        key = LogBytes.lowered(key)
        if cache.extKeys.0 == key && cache.extLens.0 == len { return cache.extTypes[0] }
        if cache.extKeys.1 == key && cache.extLens.1 == len { return cache.extTypes[1] }
        if cache.extKeys.2 == key && cache.extLens.2 == len { return cache.extTypes[2] }
        if cache.extKeys.3 == key && cache.extLens.3 == len { return cache.extTypes[3] }
        let t = contentType(for: pathString(path), r)
        let slot = cache.nextSlot
        cache.nextSlot = (slot + 1) & 3
        switch slot {
        case 0: cache.extKeys.0 = key; cache.extLens.0 = len
        case 1: cache.extKeys.1 = key; cache.extLens.1 = len
        case 2: cache.extKeys.2 = key; cache.extLens.2 = len
        default: cache.extKeys.3 = key; cache.extLens.3 = len
        }
        cache.extTypes[slot] = t
        return t
    }

    /// Several ranges: a multipart/byteranges body read into memory.
    static func sendMultipart(_ r: HTTPRequest, path: String, ranges: [Range<Int64>], size: Int64) -> Int {
        guard let bytes = readWholeFileBytesForRange(path) else {
            r.log(.crit, "open() \"\(path)\" failed (\(errno): \(String(cString: strerror(errno))))")
            return 500
        }
        let type = r.headersOut.contentType ?? "text/plain"
        let parts = RangeRequest.multipart(ranges, size: size, contentType: type)
        var body: [UInt8] = []
        for (i, rg) in ranges.enumerated() {
            body += Array(parts.heads[i].utf8)
            let lo = Int(rg.lowerBound)
            let hi = min(Int(rg.upperBound), bytes.count)
            if lo < hi { body += bytes[lo..<hi] }
        }
        body += Array(parts.tail.utf8)
        r.status = 206
        r.headersOut.list.removeAll { $0.0 == "Accept-Ranges" }
        r.headersOut.contentType = "multipart/byteranges; boundary=\(parts.boundary)"
        r.headersOut.contentLength = Int64(body.count)
        if !r.sendHeader() { return 0 }
        if r.headerOnly {
            r.output(BodyChunk(data: nil, last: true))
            return 0
        }
        var buf = r.connection.allocator.buffer(capacity: body.count)
        buf.writeBytes(body)
        r.output(BodyChunk(data: buf, last: true))
        return 0
    }

    private static func readWholeFileBytesForRange(_ path: String) -> [UInt8]? {
        let fd = LogBytes.withCString(path, { open($0, O_RDONLY | O_CLOEXEC) })
        if fd < 0 { return nil }
        defer { close(fd) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fd, &buf, buf.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            out += buf[0..<n]
        }
        return out
    }

    static func index(_ r: HTTPRequest) -> Int {
        let dir = mapURIToPath(r)
        var dirTested = false
        for idx in r.loc.index ?? [ComplexValue(literal: "index.html")] {
            let name = idx.evaluate(r)
            if name.hasPrefix("/") {
                r.internalRedirect(uri: name, args: r.args)
                return 0
            }
            var st = stat()
            if stat(dir + name, &st) == 0 {
                r.internalRedirect(uri: r.uri + name, args: r.args)
                return 0
            }
            // As ngx_http_index_test_dir: a missing directory ends the search with 404.
            if !dirTested {
                var dst = stat()
                if LogBytes.withCString(dir, { stat($0, &dst) }) != 0 {
                    let e = errno
                    if r.loc.logNotFound ?? true {
                        r.log(.error, "\"\(dir)\(name)\" is not found (\(e): \(String(cString: strerror(e))))")
                    }
                    return 404
                }
                dirTested = true
            }
        }
        var st = stat()
        if LogBytes.withCString(dir, { stat($0, &st) }) == 0 && (st.st_mode & S_IFMT) == S_IFDIR {
            r.log(.error, "directory index of \"\(dir)\" is forbidden")
            return 403
        }
        let first = (r.loc.index ?? [ComplexValue(literal: "index.html")]).first?.evaluate(r) ?? "index.html"
        var fst = stat()
        let e = stat(dir + first, &fst) == 0 ? ENOENT : errno
        if r.loc.logNotFound ?? true {
            r.log(.error, "\"\(dir)\(first)\" is not found (\(e): \(String(cString: strerror(e))))")
        }
        return 404
    }
}

extension HTTPRequest {
    /// The end of a response whose whole body went out through outputDirect, with no
    /// filter and no chunked framing: `emit` of the last, empty chunk.
    fileprivate func endDirectBody() {
        responseDone = true
        connection.flush()
    }
}

extension Substring {
    func trimmingCharacters() -> String {
        String(self.drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}

/// `try_files file ... uri|=code`.
enum TryFilesModule {
    enum Outcome { case next, finalize(Int), done }

    static func run(_ r: HTTPRequest, _ list: [ComplexValue]) -> Outcome {
        for (i, item) in list.enumerated() {
            let value = item.evaluate(r)
            if i == list.count - 1 {
                if value.hasPrefix("="), let code = Int(value.dropFirst()) {
                    return .finalize(code)
                }
                if value.hasPrefix("@") {
                    r.namedRedirect(String(value.dropFirst()))
                    return .done
                }
                var path = value
                var a = r.args
                if let q = value.firstIndex(of: "?") {
                    path = String(value[..<q])
                    a = String(value[value.index(after: q)...])
                }
                r.internalRedirect(uri: path, args: a)
                return .done
            }
            let isDir = value.hasSuffix("/")
            let file = StaticModule.mapURIToPath(r, uri: isDir ? String(value.dropLast()) : value)
            var st = stat()
            if LogBytes.withCString(file, { stat($0, &st) }) == 0 {
                let dir = (st.st_mode & S_IFMT) == S_IFDIR
                if dir == isDir {
                    // nginx drops the tested directory's slash, so the static module then
                    // redirects to it.
                    r.uri = isDir ? String(value.dropLast()) : value
                    return .next
                }
            }
        }
        return .next
    }
}

/// A static file whose bytes the response needs (over TLS, gzipped, through a body
/// filter, into a subrequest's capture), sent in pieces of nginx's default
/// `output_buffers` size (32k): a piece is read only when the connection can take more,
/// so a worker holds a piece or two per response, not the file (nginx's copy filter with
/// `filter_need_in_memory`). Lua body filters see the body in these pieces, as in nginx.
/// The request is finalized here when the last piece is out; a client that goes away
/// finalizes it, and the request's cleanup closes the file.
final class FileStreamer {
    static let pieceSize = 32768
    /// What `StaticModule.handle` returns while a streamer sends the body.
    static let streaming = Int.min

    private let r: HTTPRequest
    private var fd: Int32
    private var offset: Int64
    private let end: Int64
    private let path: String

    init(_ r: HTTPRequest, fd: Int32, from: Int64, to: Int64, path: String) {
        self.r = r
        self.fd = fd
        self.offset = from
        self.end = to
        self.path = path
    }

    func closeFile() {
        if fd >= 0 {
            close(fd)
            fd = -1
        }
    }

    func pump() {
        while fd >= 0 && !r.finalized && !r.responseDone {
            // A subrequest's capture takes all; the client gets a piece when NIO holds
            // less than its high-water mark of earlier ones.
            if r.subrequestSink == nil && !r.connection.isWritable {
                if r.connection.isClosed { return }
                r.connection.onWritable = { [self] in pump() }
                return
            }
            let n = Int(min(Int64(FileStreamer.pieceSize), end - offset))
            var buf = r.connection.allocator.buffer(capacity: n)
            let at = offset
            let got = buf.writeWithUnsafeMutableBytes(minimumWritableBytes: n) { p in
                StaticModule.preadFully(fd, p.baseAddress!, n, off_t(at))
            }
            if got < n {
                closeFile()
                StaticModule.shortRead(r, path, got, n)
                r.finalize(0)
                return
            }
            offset += Int64(n)
            let last = offset >= end
            if last { closeFile() }
            r.output(BodyChunk(data: buf, last: last, flush: true))
        }
        closeFile()
        if !r.finalized { r.finalize(0) }
    }
}
