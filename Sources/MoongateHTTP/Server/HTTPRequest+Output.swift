import MoongateCore
import NIOCore

extension HTTPRequest {
    /// Runs the header filters and writes the response head (nginx's `ngx_http_send_header`).
    /// Returns false if a filter failed.
    @discardableResult
    public func sendHeader() -> Bool {
        if headerSent { return true }
        // ngx_http_send_header: the error status (error_page) wins over what the page set.
        if errStatus != 0 { status = errStatus }
        if status == 0 { status = 200 }
        headerSent = true
        // (An empty list, the usual one, is not bound: binding it retains and releases it.)
        if !(loc.filters?.isEmpty ?? true), let filters = loc.filters {
            for f in filters {
                if case .error = f.headerFilter(self) {
                    keepAlive = false
                    return false
                }
            }
        }
        loc.expires?.apply(self)
        applyAddHeaders()
        if subrequestSink != nil { return true }
        // nginx's filter order below the headers filter: charset, then gzip.
        if loc.charset != nil { charsetHeaderFilter() }
        if loc.gzip != nil { gzipHeaderFilter() }
        // HTTP/0.9 responses are the body alone, and the connection closes after it.
        if head.version == 9 {
            keepAlive = false
            return true
        }
        var buf = connection.outputBuffer(capacity: 256)
        let (tail, room) = writeHead(into: &buf)
        bytesSent += Int64(buf.readableBytes)
        connection.writeHead(buf, tail: tail, room: room)
        return true
    }

    private func applyAddHeaders() {
        guard let adds = loc.addHeaders, !adds.isEmpty else { return }
        let ok = [200, 201, 204, 206, 301, 302, 303, 304, 307, 308].contains(status)
        for a in adds where ok || a.always {
            let v = a.value.evaluate(self)
            if v.isEmpty { continue }
            headersOut.list.append((a.name, v))
        }
    }

    /// Writes the head into `buf` (a buffer of the connection's own, see outputBuffer)
    /// and returns where its free space starts and how many bytes it has.
    private func writeHead(into buf: inout ByteBuffer) -> (UnsafeMutableRawPointer, Int) {
        let noBody = status == 204 || status == 304 || (status >= 100 && status < 200)
        if noBody {
            headerOnly = true
            // nginx's header filter clears these for 204 only; a 304 keeps what its
            // producer set (the not_modified filter clears them itself).
            if status == 204 {
                headersOut.contentType = nil
                headersOut.contentLength = nil
            }
        }
        if headersOut.contentLength == nil && !headerOnly && status != 101 {
            if head.version >= 11 && (loc.chunkedTransferEncoding ?? true) {
                chunked = true
            } else {
                keepAlive = false
            }
        }
        if status == 101 { keepAlive = false }
        if keepAlive {
            let timeout = loc.keepaliveTimeout ?? 75_000
            let maxReq = loc.keepaliveRequests ?? 1000
            if timeout == 0 || connection.requestCount >= maxReq || connection.closing {
                keepAlive = false
            }
        }
        // The plain head (200, no other header set, our Server and Date lines): written
        // without the general path's optional pieces.
        if status == 200 && headersOut.list.isEmpty && headersOut.lastModified == nil && headersOut.location == nil
            && !gzipVary && responseCharset == nil && CachedTime.dateLineCount > 0
        {
            return writePlainHead(into: &buf)
        }
        // As nginx: a Server or Date header set by a module (proxy_pass_header, Lua)
        // replaces ours; it is written with the other headers below.
        var hasServer = false
        var hasDate = false
        var cap = 160
        for h in headersOut.list {
            let nl = h.name.utf8.count
            cap += nl + h.value.utf8.count + 4
            // The first letter before the comparison's loop (ETag is 4 letters too).
            if nl == 6 || nl == 4, let c = h.name.utf8.first {
                let l = c | 0x20
                if nl == 6 && l == UInt8(ascii: "s") && asciiEqualsIgnoringCase(h.name, "server") {
                    hasServer = true
                } else if nl == 4 && l == UInt8(ascii: "d") && asciiEqualsIgnoringCase(h.name, "date") {
                    hasDate = true
                }
            }
        }
        let statusLine: String? = status == 200 ? nil : HTTPStatus.statusLine(status == 494 ? 400 : status)
        cap += statusLine?.utf8.count ?? 0
        // Our Date line as CachedTime keeps it in bytes (before the clock's first update
        // there is none: the String then).
        let dateLine = hasDate ? 0 : CachedTime.dateLineCount
        let date: String? = !hasDate && dateLine == 0 ? CachedTime.httpTime : nil
        cap += dateLine + (date?.utf8.count ?? 0)
        // The charset filter's `; charset=` goes after a Content-Type without parameters.
        var ct = headersOut.contentType
        if let cs = responseCharset, let t = ct, !t.utf8.contains(UInt8(ascii: ";")) { ct = t + "; charset=" + cs }
        cap += ct?.utf8.count ?? 0
        let lastModified = headersOut.lastModified.map { CachedTime.httpTime(for: $0) }
        cap += lastModified.map { $0.utf8.count + 20 } ?? 0
        // Like nginx's header filter: only a "/..." Location made absolute is written
        // early; any other stays with the other headers, after Connection.
        var earlyLocation: String? = nil
        var lateLocation: String? = nil
        if let location = headersOut.location {
            if location.hasPrefix("/") && (loc.absoluteRedirect ?? true) && !locationVerbatim {
                earlyLocation = absoluteLocation(location)
            } else {
                lateLocation = location
            }
        }
        cap += (earlyLocation?.utf8.count ?? 0) + (lateLocation?.utf8.count ?? 0) + 24
        // nginx's header filter writes Vary for gzip_vary after Connection/Keep-Alive.
        let vary = gzipVary && (loc.gzip?.vary ?? false)
        if vary { cap += 23 }
        let keepAliveHeader: Int? = keepAlive && status != 101 ? loc.keepaliveHeaderTimeout : nil
        let chunked = self.chunked
        let keepAlive = self.keepAlive
        let status = self.status
        let contentLength = headersOut.contentLength
        let list = headersOut.list
        // One capacity check and plain copies: ByteBuffer's per-call checks cost about
        // 100 instructions for each of the dozen pieces of a head.
        var tail = (UnsafeMutableRawPointer(bitPattern: 1)!, 0)
        buf.writeWithUnsafeMutableBytes(minimumWritableBytes: cap) { out in
            var w = HeadWriter(base: out.baseAddress!)
            if let statusLine {
                w.put(statusLine)
                w.putStatic("\r\n")
                if !hasServer { w.putStatic("Server: moongate\r\n") }
            } else if !hasServer {
                w.putStatic("HTTP/1.1 200 OK\r\nServer: moongate\r\n")
            } else {
                w.putStatic("HTTP/1.1 200 OK\r\n")
            }
            if dateLine > 0 {
                w.put(CachedTime.dateLineBytes, dateLine)
            } else if let date {
                w.putStatic("Date: ")
                w.put(date)
                w.putStatic("\r\n")
            }
            if let ct { w.field("Content-Type: ", ct) }
            if let contentLength { w.field("Content-Length: ", contentLength) }
            if let lastModified { w.field("Last-Modified: ", lastModified) }
            if let earlyLocation { w.field("Location: ", earlyLocation) }
            if chunked { w.putStatic("Transfer-Encoding: chunked\r\n") }
            if status == 101 {
                w.putStatic("Connection: upgrade\r\n")
            } else {
                w.connection(keepAlive: keepAlive, timeout: keepAliveHeader)
            }
            if vary { w.putStatic("Vary: Accept-Encoding\r\n") }
            if let lateLocation { w.field("Location: ", lateLocation) }
            for h in list {
                w.put(h.name)
                w.putStatic(": ")
                w.put(h.value)
                w.putStatic("\r\n")
            }
            w.putStatic("\r\n")
            tail = (out.baseAddress! + w.count, out.count - w.count)
            return w.count
        }
        return tail
    }

    /// `writeHead` for a 200 with no header in the list, no Last-Modified, Location, Vary
    /// nor charset, once the cached Date line exists: the same bytes as the general path
    /// (status and Server line, Date, Content-Type, Content-Length, Transfer-Encoding,
    /// Connection, Keep-Alive).
    private func writePlainHead(into buf: inout ByteBuffer) -> (UnsafeMutableRawPointer, Int) {
        let contentType = headersOut.contentType
        let contentLength = headersOut.contentLength
        let chunked = self.chunked
        let keepAlive = self.keepAlive
        let keepAliveHeader: Int? = keepAlive ? loc.keepaliveHeaderTimeout : nil
        let dateLine = CachedTime.dateLineCount
        let cap = 200 + dateLine + (contentType?.utf8.count ?? 0)
        var tail = (UnsafeMutableRawPointer(bitPattern: 1)!, 0)
        buf.writeWithUnsafeMutableBytes(minimumWritableBytes: cap) { out in
            var w = HeadWriter(base: out.baseAddress!)
            w.putStatic("HTTP/1.1 200 OK\r\nServer: moongate\r\n")
            w.put(CachedTime.dateLineBytes, dateLine)
            if let contentType { w.field("Content-Type: ", contentType) }
            if let contentLength { w.field("Content-Length: ", contentLength) }
            if chunked { w.putStatic("Transfer-Encoding: chunked\r\n") }
            w.connection(keepAlive: keepAlive, timeout: keepAliveHeader)
            w.putStatic("\r\n")
            tail = (out.baseAddress! + w.count, out.count - w.count)
            return w.count
        }
        return tail
    }

    /// Makes `/path` absolute as nginx does for Location (`absolute_redirect on`).
    func absoluteLocation(_ path: String) -> String {
        var host: String
        if loc.serverNameInRedirect ?? false {
            host = server.primaryName
        } else {
            host = head.host ?? connection.localAddressString
        }
        let port = connection.localPort
        let tls = connection.tls != nil
        if (loc.portInRedirect ?? true) && port != (tls ? 443 : 80) {
            host += ":\(port)"
        }
        return (tls ? "https://" : "http://") + host + path
    }

    /// Ends a response that cannot be completed, before any of it reached the client
    /// when it is all still in the connection's output: the connection closes without
    /// sending it (nginx's "Empty reply" after a failed file read).
    public func abortUnsent() {
        keepAlive = false
        responseDone = true
        if subrequestSink == nil { connection.close() }
    }

    /// Sends body data through the body filters (nginx's `ngx_http_output_filter`).
    public func output(_ chunk: BodyChunk) {
        if responseDone { return }
        if !headerSent { sendHeader() }
        // No body filter, no gzip (nearly always): the chunk goes out as it is, not
        // copied (a copy retains its buffer and file).
        guard !(loc.filters?.isEmpty ?? true) || gzip != nil else { return emit(chunk) }
        var c = chunk
        for f in loc.filters ?? [] {
            if case .error = f.bodyFilter(self, &c) {
                keepAlive = false
                responseDone = true
                if subrequestSink == nil { connection.abortAfterWrite() }
                return
            }
        }
        if gzip != nil && !headerOnly && !gzipBodyFilter(&c) {
            keepAlive = false
            responseDone = true
            connection.abortAfterWrite()
            return
        }
        emit(c)
    }

    /// `output(BodyChunk(data: nil, last: true))` without the chunk: building it and
    /// passing it on copies and destroys it through outlined value witnesses (~150
    /// instructions). With a body filter or gzip the chunk goes through `output`.
    public func outputLast() {
        if responseDone { return }
        if !headerSent { sendHeader() }
        if !(loc.filters?.isEmpty ?? true) || gzip != nil { return output(BodyChunk(data: nil, last: true)) }
        // What `emit` does with an empty last chunk.
        responseDone = true
        if let sink = subrequestSink {
            if !headerOnly { sink.append(BodyChunk(data: nil, last: true)) }
            return
        }
        if !headerOnly && chunked {
            bytesSent += 5
            connection.writeStatic("0\r\n\r\n")
        }
        connection.flush()
    }

    /// The rest of `output` after the body filters: to a subrequest's sink or the client.
    private func emit(_ c: BodyChunk) {
        if c.last { responseDone = true }
        if let sink = subrequestSink {
            if !headerOnly { sink.append(c) }
            return
        }
        if headerOnly {
            if c.last { connection.flush() }
            return
        }
        if let d = c.data, d.readableBytes > 0 {
            bodyBytesSent += Int64(d.readableBytes)
            if chunked {
                bytesSent += Int64(connection.writeChunk(d))
            } else {
                bytesSent += Int64(d.readableBytes)
                connection.write(d)
            }
        }
        if let f = c.file {
            bodyBytesSent += Int64(f.readableBytes)
            bytesSent += Int64(f.readableBytes)
            connection.write(file: f)
        }
        if c.last && chunked {
            bytesSent += 5
            connection.writeStatic("0\r\n\r\n")
        }
        if c.last || c.flush { connection.flush() }
    }

    /// Convenience: send a string as body.
    public func output(string: String, last: Bool) {
        // A plain response (no filter, gzip, subrequest or chunked framing) whose head is
        // still coalesced: the body is copied in after it, with no buffer of its own.
        if !responseDone, headerSent, !headerOnly, !chunked, subrequestSink == nil, gzip == nil,
            loc.filters?.isEmpty ?? true, connection.append(string)
        {
            let n = Int64(string.utf8.count)
            bodyBytesSent += n
            bytesSent += n
            if last {
                responseDone = true
                connection.flush()
            }
            return
        }
        if !responseDone && !headerSent {
            sendHeader()
            return output(string: string, last: last)
        }
        var b = connection.allocator.buffer(capacity: string.utf8.count)
        b.writeString(string)
        output(BodyChunk(data: b, last: last))
    }

    /// Ends the request (nginx's `ngx_http_finalize_request`). `code` 0 means "done, send
    /// what was produced"; >= 300 produces the error page unless headers went out.
    public func finalize(_ code: Int) {
        if finalized { return }
        if let sink = subrequestSink, code == 201 || code == 204 || code >= 300 || code < 0 {
            sink.frozen = true
        }
        if code == 444 {
            status = 444
            keepAlive = false
            finishRequest(closeNow: true)
            return
        }
        if code == 499 {
            status = 499
            keepAlive = false
            finishRequest(closeNow: true)
            return
        }
        if code >= 300 || (code >= 200 && !headerSent && code != 0) {
            if headerSent {
                if !responseDone {
                    keepAlive = false
                    outputLast()
                }
                finishRequest(closeNow: false)
                return
            }
            if code >= 300 {
                specialResponse(code)
                return
            }
            status = code
            headersOut.contentLength = headersOut.contentLength ?? 0
        }
        if !responseDone {
            outputLast()
        }
        finishRequest(closeNow: false)
    }

    /// Error pages and `error_page` redirects (nginx's `ngx_http_special_response_handler`).
    func specialResponse(_ code: Int) {
        switch code {
        case 400, 413, 414, 494, 495, 496, 497, 500, 501, 408: keepAlive = false
        default: break
        }
        errStatus = (494...497).contains(code) ? 400 : code
        if !errorPageDone || (loc.recursiveErrorPages ?? false), let rules = loc.errorPages {
            for rule in rules where rule.codes.contains(code) {
                errorPageDone = true
                var target = rule.target.evaluate(self)
                switch rule.override {
                case .code(let c): errStatus = c
                case .none: errStatus = code
                case .useTarget: errStatus = 0
                }
                if target.hasPrefix("@") {
                    status = errStatus
                    target.removeFirst()
                    namedRedirect(target)
                    return
                }
                if target.hasPrefix("/") {
                    status = errStatus
                    if method != "HEAD" { method = "GET" }
                    var a: String? = nil
                    if let q = target.firstIndex(of: "?") {
                        a = String(target[target.index(after: q)...])
                        target = String(target[..<q])
                    }
                    internalRedirect(uri: target, args: a)
                    return
                }
                // External redirect.
                status = (errStatus >= 301 && errStatus <= 308) ? errStatus : 302
                errStatus = status
                headersOut = ResponseHeaders()
                headersOut.location = target
                sendErrorPage(status)
                return
            }
        }
        let location = headersOut.location
        let contentRange = headersOut.list.first { $0.0 == "Content-Range" }
        headersOut = ResponseHeaders()
        if code >= 300 && code < 400 { headersOut.location = location }
        // The range filter's Content-Range survives into the 416 page, as in nginx.
        if code == 416, let cr = contentRange { headersOut.list.append(cr) }
        sendErrorPage(code)
    }

    private func sendErrorPage(_ code: Int) {
        status = code
        if var page = HTTPStatus.errorPage(code) {
            if code >= 400 && head.version >= 10 && (loc.msiePadding ?? true) && wantsErrorPagePadding {
                page += HTTPStatus.msiePadding
            }
            headersOut.contentType = "text/html"
            headersOut.contentLength = Int64(page.utf8.count)
            sendHeader()
            output(string: page, last: true)
        } else {
            headersOut.contentLength = 0
            sendHeader()
            outputLast()
        }
        finishRequest(closeNow: false)
    }

    /// nginx's `headers_in.msie || headers_in.chrome` (ngx_http_process_user_agent).
    var wantsErrorPagePadding: Bool {
        guard let ua = header("user-agent") else { return false }
        let b = Array(ua.utf8)
        func find(_ needle: String) -> Int? {
            let n = Array(needle.utf8)
            guard b.count >= n.count else { return nil }
            for i in 0...(b.count - n.count) where b[i..<(i + n.count)].elementsEqual(n) { return i }
            return nil
        }
        if find("Opera") != nil { return false }
        if let at = find("MSIE ") {
            // nginx wants a few bytes after "MSIE " before it believes it.
            return at + 7 < b.count
        }
        return find("Gecko/") == nil && find("Chrome/") != nil
    }

    /// Log phase and hand the connection back.
    func finishRequest(closeNow: Bool) {
        if finalized { return }
        finalized = true
        if let sink = subrequestSink {
            // Subrequests are not logged (log_subrequest off) and own no connection.
            cleanups.runAll()
            sink.onDone(self)
            moduleContexts.removeAll()
            return
        }
        runLogPhase()
        // (Most requests register none: runAll returns at once.)
        cleanups.runAll()
        // Module contexts refer back to the request (ngx_lua's context holds it):
        // dropping them here breaks the cycle so the request is freed.
        moduleContexts.removeAll()
        connection.requestFinished(self, closeNow: closeNow)
    }

    func runLogPhase() {
        if logged { return }
        logged = true
        // (No `?? []`: an empty array made and iterated costs ~30 instructions each.)
        // (Nor an empty list bound: that retains and releases it.)
        if !(loc.logHandlers?.isEmpty ?? true), let hs = loc.logHandlers { for h in hs { h.log(self) } }
        if !(loc.accessLogs?.isEmpty ?? true), let logs = loc.accessLogs { for target in logs { target.write(self) } }
    }
}
