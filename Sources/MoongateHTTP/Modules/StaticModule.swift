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
        if r.method != "GET" && r.method != "HEAD" && r.method != "POST" {
            return 405
        }
        if r.uri.hasSuffix("/") {
            return index(r)
        }
        if r.method == "POST" { return 405 }
        let path = mapURIToPath(r)
        var st = stat()
        if LogBytes.withCString(path, { stat($0, &st) }) != 0 {
            let e = errno
            if e == ENOENT || e == ENOTDIR {
                if r.loc.logNotFound ?? true {
                    r.log(.error, "open() \"\(path)\" failed (\(e): \(String(cString: strerror(e))))")
                }
                return 404
            }
            r.log(.error, "open() \"\(path)\" failed (\(e): \(String(cString: strerror(e))))")
            return e == EACCES ? 403 : 500
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            var loc = r.uri + "/"
            if let a = r.args, !a.isEmpty { loc += "?" + a }
            r.headersOut = ResponseHeaders()
            r.headersOut.location = loc
            return 301
        }
        if (st.st_mode & S_IFMT) != S_IFREG {
            r.log(.crit, "\"\(path)\" is not a regular file")
            return 404
        }
        let fd = LogBytes.withCString(path, { open($0, O_RDONLY | O_CLOEXEC) })
        if fd < 0 {
            let e = errno
            r.log(.error, "open() \"\(path)\" failed (\(e): \(String(cString: strerror(e))))")
            return e == EACCES ? 403 : 500
        }
        let size = Int64(st.st_size)
        let mtime = Int(st.st_mtim.tv_sec)
        r.status = 200
        r.headersOut.contentType = contentType(for: path, r)
        r.headersOut.lastModified = mtime
        let etag = "\"\(String(mtime, radix: 16))-\(String(size, radix: 16))\""
        if r.loc.etag ?? true { r.headersOut.list.append(("ETag", etag)) }
        // Conditional requests (nginx's not_modified filter).
        switch NotModified.check(r, mtime: mtime, etag: etag) {
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
        if r.status == 200 && !r.gzipWouldCompress() {
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
                return sendMultipart(r, path: path, ranges: list, size: size)
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
        if count <= 1 << 20 {
            var buf = r.connection.allocator.buffer(capacity: count)
            let n = buf.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { p in
                var got = 0
                while got < count {
                    let k = pread(fd, p.baseAddress! + got, count - got, off_t(start) + off_t(got))
                    if k <= 0 { break }
                    got += k
                }
                return got
            }
            close(fd)
            if n < count {
                r.log(.crit, "read() \"\(path)\" returned only \(n) bytes instead of \(count)")
            }
            r.output(BodyChunk(data: buf, last: true))
        } else {
            let handle = NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: fd)
            var c = BodyChunk(data: nil, last: true)
            c.file = FileRegion(fileHandle: handle, readerIndex: Int(start), endIndex: Int(end))
            r.cleanups.append { try? handle.close() }
            r.output(c)
        }
        return 0
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
