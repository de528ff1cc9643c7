import MoongateCore
import NIOCore

extension ProxySession {
    /// Headers nginx's proxy module sets itself; client headers with these names are not
    /// passed (`Host $proxy_host`, `Connection close`, and the body/hop-by-hop ones).
    static let managed: Set<String> = [
        "host", "connection", "content-length", "transfer-encoding", "te", "keep-alive", "expect", "upgrade",
    ]

    /// One request buffer kept for the worker's next upstream request (all of a worker's
    /// requests run on its one thread): given back when a response was read completely,
    /// it spares the two allocations of a new ByteBuffer per request.
    nonisolated(unsafe) static var spareRequestBuffer: ByteBuffer?

    /// A cleared buffer with room for `capacity` bytes: the spare one when it is large
    /// enough.
    static func requestBuffer(_ r: HTTPRequest, capacity: Int) -> ByteBuffer {
        if var b = spareRequestBuffer {
            spareRequestBuffer = nil
            if b.capacity >= capacity {
                // Unique here (its session let it go), so clear() keeps the storage; a
                // buffer NIO still held would be copied first (ByteBuffer is copy-on-write).
                b.clear()
                return b
            }
        }
        return r.connection.allocator.buffer(capacity: capacity)
    }

    /// Keeps the request buffer for the next request (when it is small: its whole storage).
    func recycleRequestBuffer() {
        guard let b = requestBytes else { return }
        requestBytes = nil
        if b.readerIndex == 0, b.withVeryUnsafeBytes({ $0.count }) <= 16384 { ProxySession.spareRequestBuffer = b }
    }

    /// The request to the upstream (nginx's `ngx_http_proxy_create_request`): its size
    /// bounded first, then written in one pass into one buffer (no per-piece ByteBuffer
    /// calls).
    func buildRequest() -> ByteBuffer {
        let passBody = conf.passRequestBody ?? true
        let hasBody = passBody && (r.head.contentLength != nil || r.head.chunked || r.body.replaced) && !streaming
        // The usual request: a GET without a body for the fixed target's URI part, the
        // client's headers unchanged: the lines before them made once per location.
        if !hasBody, !streaming, let prefix = hot.getPrefix, r.head.list == nil, let f = hot.fixedTarget,
            let part = f.uriPart, part == target.uri, target.proxyHost == f.proxyHost, r.method == "GET"
        {
            return buildGet(prefix)
        }
        let method = conf.method?.evaluate(r) ?? r.method
        let userSet = hot.userSets
        // proxy_set_header values, evaluated once; empty ones send nothing. Constant ones
        // (nearly always) are written from the bytes made once per location.
        var setLines: [(String, String)] = []
        let constantLines = hot.constantSetLines
        if constantLines == nil, let sets = conf.setHeaders {
            for (name, value) in sets {
                let v = value.evaluate(r)
                if !v.isEmpty { setLines.append((name, v)) }
            }
        }
        let host = userSet.host ? "" : target.proxyHost
        // The Host line of a fixed proxy_pass, made once (the target's host is its).
        var hostLine: [UInt8]? = nil
        var uriBytes: [UInt8]? = nil
        if let f = hot.fixedTarget {
            if !host.isEmpty, f.proxyHost == host { hostLine = f.hostLine }
            // The URI is the URI part itself (a request for the location's whole prefix).
            if let part = f.uriPart, part == target.uri { uriBytes = f.uriPartBytes }
        }
        var length = ""
        if hasBody && !userSet.contentLength {
            length = String(r.body.data.count)
        } else if streaming && !streamChunked, let cl = r.head.contentLength, !userSet.contentLength {
            length = String(cl)
        }
        let chunked = streaming && streamChunked && !userSet.transferEncoding
        let passHeaders = conf.passRequestHeaders ?? true
        // An upper bound: client strings give back at most their UTF-8 length (LogBytes).
        var bound = method.utf8.count + target.uri.utf8.count + 16
        for (n, v) in setLines { bound += n.utf8.count + v.utf8.count + 4 }
        if let c = constantLines { bound += c.count }
        bound += host.utf8.count + 10 + 19 + length.utf8.count + 20 + 28 + 2
        // The client's header lines as they came (no Strings made): their bytes and 2 per
        // line bound them (a line's ": " and CRLF replace at least its ':' and LF).
        let rawHeaders = passHeaders && r.head.list == nil
        if rawHeaders {
            bound += r.head.storage.withFields { b, n, _ in b.count &+ 2 &* n }
        } else if passHeaders {
            r.head.materializeHeaders()  // read twice below
            for h in r.head.headers { bound += h.name.utf8.count + h.value.utf8.count + 4 }
        }
        if hasBody { bound += r.body.data.count }
        var buf = ProxySession.requestBuffer(r, capacity: bound)
        buf.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { out -> Int in
            var w = RequestWriter(base: out.baseAddress!, capacity: out.count)
            // The usual method and a fixed target's URI part go from bytes at hand.
            if method == "GET" {
                w.lit("GET")
            } else {
                w.plain(method)
            }
            w.lit(" ")
            if let uriLine = uriBytes {
                uriLine.withUnsafeBytes { w.bytes($0) }
            } else {
                w.client(target.uri)
            }
            w.lit(conf.effHTTPVersion == 11 ? " HTTP/1.1\r\n" : " HTTP/1.0\r\n")
            if let c = constantLines {
                c.withUnsafeBytes { w.bytes($0) }
            } else {
                for (n, v) in setLines { w.line(n, v) }
            }
            if let line = hostLine {
                line.withUnsafeBytes { w.bytes($0) }
            } else if !host.isEmpty {
                w.lit("Host: ")
                w.client(host)
                w.lit("\r\n")
            }
            if !userSet.connection { w.lit("Connection: close\r\n") }
            if !length.isEmpty { w.line("Content-Length", length) }
            if chunked { w.lit("Transfer-Encoding: chunked\r\n") }
            if rawHeaders {
                // The same lines as the Strings give (their bytes are the client's).
                w.clientLines(r.head.storage, skipping: hot.requestSkipNames)
            } else if passHeaders {
                let skip = hot.requestSkipNames
                for h in r.head.headers where !HeaderNameSet.withBytes(h.name, { skip.contains($0) }) {
                    w.line(h.name, h.value)
                }
            }
            w.lit("\r\n")
            if hasBody { r.body.data.withUnsafeBytes { w.bytes($0) } }
            return w.count
        }
        return buf
    }
}

extension ProxySession {
    /// `buildRequest` for its usual request: `prefix` (ProxyLocHot.getPrefix), the
    /// client's header lines as they came but those skipped, the blank line. The same
    /// bytes as the general way writes.
    private func buildGet(_ prefix: [UInt8]) -> ByteBuffer {
        // The client's header lines: their bytes and 2 per line bound them (see buildRequest).
        let bound = prefix.count &+ r.head.storage.withFields { b, n, _ in b.count &+ 2 &* n } &+ 2
        var buf = ProxySession.requestBuffer(r, capacity: bound)
        let skip = hot.requestSkipNames
        buf.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { out -> Int in
            var w = RequestWriter(base: out.baseAddress!, capacity: out.count)
            prefix.withUnsafeBytes { w.bytes($0) }
            w.clientLines(r.head.storage, skipping: skip)
            w.lit("\r\n")
            return w.count
        }
        return buf
    }
}

/// Writes the upstream request into memory known to be large enough.
private struct RequestWriter {
    let base: UnsafeMutableRawPointer
    let capacity: Int
    var count = 0

    /// The client's header lines as they came (their bytes), but those `skip` names
    /// and those with an empty value (as the general path leaves them out).
    mutating func clientLines(_ storage: HeadStorage, skipping skip: SharedHeaderNameSet) {
        storage.withFields { b, n, f in
            guard let base = b.baseAddress else { return }
            for i in 0..<n {
                let k = i &* 4
                let ns = Int(f[k])
                let ne = Int(f[k &+ 1])
                let vs = Int(f[k &+ 2])
                let ve = Int(f[k &+ 3])
                if ve <= vs { continue }  // an empty value sends nothing
                let name = UnsafeBufferPointer(
                    start: (base + ns).assumingMemoryBound(to: UInt8.self), count: ne &- ns)
                if skip.contains(name) { continue }
                bytes(UnsafeRawBufferPointer(name))
                lit(": ")
                bytes(UnsafeRawBufferPointer(start: base + vs, count: ve &- vs))
                lit("\r\n")
            }
        }
    }

    init(base: UnsafeMutableRawPointer, capacity: Int) {
        self.base = base
        self.capacity = capacity
    }

    @inline(__always)
    mutating func bytes(_ b: UnsafeRawBufferPointer) {
        guard let src = b.baseAddress, b.count > 0 else { return }
        precondition(count + b.count <= capacity, "upstream request larger than its bound")
        (base + count).copyMemory(from: src, byteCount: b.count)
        count += b.count
    }

    mutating func lit(_ s: StaticString) {
        bytes(UnsafeRawBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    /// A string's UTF-8 as is.
    mutating func plain(_ s: String) {
        var s = s
        s.withUTF8 { bytes(UnsafeRawBufferPointer($0)) }
    }

    /// A string that may carry client bytes that are not UTF-8 (LogBytes): they go
    /// upstream as the client sent them, as nginx passes bytes.
    mutating func client(_ s: String) {
        LogBytes.withBytes(s) { bytes($0) }
    }

    /// `name: value CRLF`; nothing for an empty value.
    mutating func line(_ n: String, _ v: String) {
        guard !v.isEmpty else { return }
        client(n)
        lit(": ")
        client(v)
        lit("\r\n")
    }
}
