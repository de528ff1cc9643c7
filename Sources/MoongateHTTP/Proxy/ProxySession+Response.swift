import MoongateCore
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

extension ProxySession {
    /// Headers nginx never passes from a proxied response unless `proxy_pass_header`.
    static let hiddenByDefault: Set<String> = [
        "date", "server", "x-pad", "x-accel-expires", "x-accel-redirect", "x-accel-limit-rate",
        "x-accel-buffering", "x-accel-charset",
    ]
    static let hopByHop: Set<String> = ["connection", "keep-alive", "transfer-encoding", "content-length"]

    /// The response head arrived: retry, intercept, or relay it. (The caller has set the
    /// try's status: `lastTry.status = received.status`.)
    func processHead(_ received: consuming UpstreamResponseHead, rest: ByteBuffer) {
        let status = received.status
        if let ft = NextUpstream.forStatus(status), conf.effNextUpstream.contains(ft) {
            if canRetryStatus(ft) {
                fail(ft, status: status)
                return
            }
        }
        timer?.disarm()
        if (conf.interceptErrors ?? false) && status >= 300,
            (r.loc.errorPages ?? []).contains(where: { $0.codes.contains(status) })
        {
            // Kept for $upstream_http_* (and its storage's reuse): moved in, not copied.
            head = consume received
            releasePeer(failed: false)
            lastTry.responseTime = elapsed()
            finish(status)
            return
        }
        if status == 101 {
            head = consume received
            startTunnel(head.unsafelyUnwrapped, rest: rest)
            return
        }
        // The head is read below as the local it came in, and moved into `head` (for
        // $upstream_http_* and its storage's reuse) before anything can evaluate those
        // variables: no copy of it (a `proxy_redirect` with variables may read them while
        // the headers are relayed: then it is stored first, as a copy).
        let h = consume received
        if redirectsEvaluate { head = h }
        // (proxy_ignore_headers read only for a head with X-Accel- names: no copy of the
        // list per request.)
        if h.accel {
            let ignored = conf.ignoreHeaders ?? []
            if !ignored.contains("x-accel-redirect"), let target = h.header("x-accel-redirect") {
                head = h
                accelRedirect(target)
                return
            }
            if !ignored.contains("x-accel-buffering"), let v = h.header("x-accel-buffering")?.lowercased() {
                if v == "no" { bufferingOverride = false } else if v == "yes" { bufferingOverride = true }
            }
        }
        r.status = h.status
        // The headers are built in the request's own when nothing set any before (the
        // usual case: no new headers swapped in and the empty ones destroyed) and no
        // proxy_redirect evaluates variables (which may read them meanwhile); else in new
        // ones that then replace them.
        if !redirectsEvaluate && r.headersOut.noneSet {
            relayHeaders(h, into: &r.headersOut)
        } else {
            var out = ResponseHeaders()
            relayHeaders(h, into: &out)
            swap(&r.headersOut, &out)  // (no copy of `out`: the old headers go with it)
        }
        let noBody = (r.method.utf8.count == 4 && r.method == "HEAD") || h.status == 204 || h.status == 304 || h.status < 200
        if noBody {
            bodyMode = .none
        } else if h.chunked {
            bodyMode = .chunked(ChunkedDecoder())
        } else if let cl = h.contentLength {
            bodyMode = .length(cl)
        } else {
            bodyMode = .close
        }
        let reusable = h.version >= 11 ? !h.connectionClose : h.connectionKeepAlive
        if !redirectsEvaluate { head = consume h }
        if case .close = bodyMode {
            keepaliveEligible = false
        } else {
            keepaliveEligible = reusable && keepaliveCapacity > 0
        }
        stage = .body
        // A body that ends in these bytes is finished below, which stops the timer: it is
        // not armed for nothing then.
        let endsHere: Bool
        switch bodyMode {
        case .none: endsHere = true
        case .length(let n): endsHere = Int64(rest.readableBytes) >= n
        default: endsHere = false
        }
        if !endsHere { armReadTimer() }
        if !r.sendHeader() {
            abortBody()
            return
        }
        if r.finalized {
            // The upstream part goes on without the client: its timer runs, as always.
            if endsHere { armReadTimer() }
            return
        }
        if case .none = bodyMode {
            finishBody()
            return
        }
        if case .length(0) = bodyMode {
            finishBody()
            return
        }
        if rest.readableBytes > 0 { feedBody(rest) }
    }

    /// The response headers relayed from the upstream head `h` into `out` (empty), and
    /// its Content-Length.
    private func relayHeaders(_ h: borrowing UpstreamResponseHead, into out: inout ResponseHeaders) {
        let drop = hot.responseDropNames
        // One pass over the head's bytes: the names classified in place, Strings made only
        // for the headers relayed.
        // (Through a method of the head: the closure does not capture it, which made a
        // copy of it.)
        h.withBytes { raw, fields in
            guard let base = raw.baseAddress else { return }
            for i in 0..<fields.count {
                let f = fields[i]
                let p = base + Int(f.nameStart)
                let n = Int(f.nameEnd) &- Int(f.nameStart)
                // 0 relayed as is, 2 Content-Type, 3 Location, 4 Refresh.
                let kind: Int
                // The names the parser knew are dropped or not by the location's
                // answers for them (hop-by-hop ones always are); others are looked up.
                switch f.kind {
                case UpstreamHeaderField.Kind.hop: continue
                case UpstreamHeaderField.Kind.date:
                    if drop.hasDate { continue }
                    kind = 0
                case UpstreamHeaderField.Kind.server:
                    if drop.hasServer { continue }
                    kind = 0
                case UpstreamHeaderField.Kind.contentType:
                    if drop.hasContentType { continue }
                    kind = 2
                default:
                    if drop.contains(UnsafeBufferPointer(start: p.assumingMemoryBound(to: UInt8.self), count: n)) {
                        continue
                    }
                    switch n {
                    case 8: kind = LowerName.location.matches(p) ? 3 : 0
                    case 7: kind = LowerName.refresh.matches(p) ? 4 : 0
                    default: kind = 0
                    }
                }
                let value = UnsafeRawBufferPointer(
                    start: base + Int(f.valueStart), count: Int(f.valueEnd) &- Int(f.valueStart))
                // Room for the rest once one is relayed.
                if kind != 2 && out.list.isEmpty { out.list.reserveCapacity(fields.count &- i) }
                switch kind {
                case 2:
                    let v = ProxySession.contentTypeText(value)
                    out.contentType = v
                    // Without a ';' there is no charset parameter (no scan of a copy).
                    r.contentTypeCharset = value.contains(UInt8(ascii: ";")) ? CharsetConf.charsetParameter(v) : nil
                case 3:
                    let v = LogBytes.text(value)
                    if let rewritten = rewriteRedirect(v) {
                        out.location = rewritten
                    } else {
                        out.list.append((LogBytes.text(UnsafeRawBufferPointer(start: p, count: n)), v))
                    }
                case 4:
                    out.list.append(
                        (LogBytes.text(UnsafeRawBufferPointer(start: p, count: n)), rewriteRefresh(LogBytes.text(value))))
                default:
                    out.list.append((LogBytes.text(UnsafeRawBufferPointer(start: p, count: n)), LogBytes.text(value)))
                }
            }
        }
        if let cl = h.contentLength, h.status != 204 { out.contentLength = cl }
    }

    /// The last upstream Content-Type value made a String, and its bytes (all of a
    /// worker's requests run on its one thread): the same bytes again (the usual case)
    /// take that String without a UTF-8 check and a new String. (Optionals: nil globals
    /// are laid out at build time, no lazy initializer per use.)
    nonisolated(unsafe) static var lastContentTypeBytes: [UInt8]? = nil
    nonisolated(unsafe) static var lastContentType: String? = nil

    /// `LogBytes.text(value)` for a Content-Type value, through the cache above.
    static func contentTypeText(_ value: UnsafeRawBufferPointer) -> String {
        if let v = lastContentType, let bytes = lastContentTypeBytes, bytes.count == value.count,
            let vb = value.baseAddress, bytes.withUnsafeBytes({ memcmp($0.baseAddress!, vb, value.count) == 0 })
        {
            return v
        }
        let v = LogBytes.text(value)
        if value.count > 0 && value.count <= 256 {
            lastContentTypeBytes = Array(value)
            lastContentType = v
        }
        return v
    }

    /// A `proxy_redirect` rule with variables (evaluated while the headers are relayed).
    var redirectsEvaluate: Bool {
        guard let rules = conf.redirects else { return false }
        return rules.contains { if case .rule = $0 { return true } else { return false } }
    }

    var keepaliveCapacity: Int {
        if target.block.keepalive > 0 { return target.block.keepalive }
        return balancerState.keepalive != nil ? 32 : 0
    }

    func canRetryStatus(_ ft: NextUpstream) -> Bool {
        var copy = balancerState.triesLeft
        if copy > 0 { copy -= 1 }
        guard copy > 0 else { return false }
        return canRetry(ft)
    }

    /// `proxy_redirect`: the rewritten value, or nil when no rule applies.
    func rewriteRedirect(_ value: String) -> String? {
        let rules = conf.redirects ?? [.defaultRule]
        for rule in rules {
            var from: String
            var to: String
            switch rule {
            case .off:
                return nil
            case .defaultRule:
                guard case .fixed(_, _, _, let uriPart) = conf.pass else { continue }
                if uriPart != nil {
                    from = conf.passText
                    to = conf.locationPrefix ?? "/"
                } else {
                    from = conf.passText + "/"
                    to = "/"
                }
            case .rule(let f, let t):
                from = f.evaluate(r)
                to = t.evaluate(r)
            }
            if value.lowercased().hasPrefix(from.lowercased()) {
                return to + value.dropFirst(from.count)
            }
        }
        return nil
    }

    /// Only the part after `url=` of a Refresh header is a target (nginx's rewrite_refresh).
    func rewriteRefresh(_ value: String) -> String {
        let bytes = Array(value.utf8)
        let lower = bytes.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }
        let needle = Array("url=".utf8)
        guard bytes.count >= needle.count else { return value }
        for i in 0...(bytes.count - needle.count) where Array(lower[i..<(i + needle.count)]) == needle {
            let head = String(decoding: bytes[..<(i + needle.count)], as: UTF8.self)
            let tail = String(decoding: bytes[(i + needle.count)...], as: UTF8.self)
            return head + (rewriteRedirect(tail) ?? tail)
        }
        return value
    }

    /// Body bytes from the upstream, framed by the response.
    func feedBody(_ buf: ByteBuffer) {
        guard stage == .body else { return }
        switch bodyMode {
        case .none:
            finishBody()
        case .close:
            emit(buf)
        case .length(let remaining):
            let count = buf.readableBytes
            let take = Int(min(Int64(count), remaining))
            if take < count { keepaliveEligible = false }
            let left = remaining - Int64(take)
            // The whole of a small buffered body in this read (the usual response): it is
            // the last piece itself, not kept in pendingOut first (what emit would keep and
            // finishBody take: nothing else is pending, queued or delivered at this size).
            if left == 0 && take > 0 && take < 32 * 1024 && pendingOut == nil && outQueue == nil
                && (bufferingOverride ?? conf.effBuffering)
            {
                bodyMode = .length(0)
                finishBody(last: take == count ? buf : buf.getSlice(at: buf.readerIndex, length: take)!)
                return
            }
            emit(take == count ? buf : buf.getSlice(at: buf.readerIndex, length: take)!)
            bodyMode = .length(left)
            if left == 0 { finishBody() }
        case .chunked(var dec):
            var out: [UInt8] = []
            do {
                let used = try buf.withUnsafeReadableBytes { try dec.feed($0, into: &out) }
                if used < buf.readableBytes { keepaliveEligible = false }
            } catch {
                logUpstream(.error, "upstream sent invalid chunked response while reading upstream")
                abortBody()
                return
            }
            bodyMode = .chunked(dec)
            if !out.isEmpty {
                var b = r.connection.allocator.buffer(capacity: out.count)
                b.writeBytes(out)
                emit(b)
            }
            if dec.isComplete { finishBody() }
        }
    }

    /// Passes body data on: at once with `proxy_buffering off`, else in larger pieces.
    func emit(_ bytes: ByteBuffer) {
        guard bytes.readableBytes > 0, !r.finalized else { return }
        if bufferingOverride ?? conf.effBuffering {
            // The first piece is kept as it came (no copy); later ones are added to it.
            if pendingOut == nil {
                pendingOut = bytes
            } else {
                var b = bytes
                pendingOut!.writeBuffer(&b)
            }
            if pendingOut!.readableBytes >= 32 * 1024 {
                let b = pendingOut!
                pendingOut = nil
                deliverBuffered(b)
            }
            return
        }
        r.output(BodyChunk(data: bytes, last: false, flush: true))
        throttleUpstream()
    }

    /// `proxy_buffering off` with a client that reads slower than the upstream sends:
    /// stop reading the upstream until the client connection drains (nginx stops when
    /// its one proxy_buffer_size buffer is full). The client's pace rules meanwhile, so
    /// proxy_read_timeout does not run.
    func throttleUpstream() {
        guard r.subrequestSink == nil, !r.finalized, stage == .body, let c = conn, !r.connection.isWritable,
            r.connection.onWritable == nil
        else { return }
        c.setReading(false)
        upstreamPaused = true
        // nginx's send_timeout on the client write replaces proxy_read_timeout meanwhile.
        armTimer(r.loc.sendTimeout ?? 60_000) { [self] in
            r.log(.info, "client timed out (110: Connection timed out) while sending to client")
            stage = .done
            if tryCount > 0 { lastTry.responseTime = elapsed() }
            conn?.delegate = nil
            conn?.close()
            conn = nil
            releasePeer(failed: false)
            r.connection.onWritable = nil
            r.keepAlive = false
            r.finalizeAborted()
        }
        r.connection.onWritable = { [weak self] in
            guard let self, self.stage == .body, let c = self.conn, !self.r.finalized else { return }
            self.upstreamPaused = false
            c.setReading(true)
            self.armReadTimer()
        }
    }

    /// The whole response was read: keep or close the connection, end the request.
    /// `piece`: the body's last bytes when they were not buffered in `pendingOut`.
    func finishBody(last piece: consuming ByteBuffer? = nil) {
        guard stage == .body else { return }
        stage = .done
        timer?.disarm()
        lastTry.responseTime = elapsed()
        releasePeer(failed: false)
        if let c = conn {
            conn = nil
            if upstreamPaused {
                // The end arrived in reads NIO delivered after the pause.
                upstreamPaused = false
                r.connection.onWritable = nil
                c.setReading(true)
            }
            // A connection whose streamed request body is unfinished cannot carry another.
            if keepaliveEligible && !(streaming && !bodyDone) {
                let ka = balancerState.keepalive
                let timeout = ka?.timeout ?? target.block.keepaliveTimeout
                let requests = ka?.requests ?? target.block.keepaliveRequests
                let capacity = keepaliveCapacity
                // (Through a guaranteed reference: the session's target holds the block,
                // which holds the pool; no retain and release of it for the call.)
                Unmanaged.passUnretained(target.block.pool)._withUnsafeGuaranteedRef {
                    $0.put(c, timeoutMs: timeout, maxRequests: requests, capacity: capacity)
                }
            } else {
                c.delegate = nil
                c.close()
            }
        }
        guard !r.finalized else { return }
        if endQueued(aborted: false) { return }
        // The buffered rest (taken: no copy of it kept here) is copied straight into the
        // connection's coalesced output after the head when the response allows it
        // (outputDirect: no body filter, gzip nor subrequest, the head still coalesced),
        // then finalize ends the body (outputLast) and flushes: the bytes output() sends
        // for a last chunk, without a chunk copied and destroyed and a ByteBuffer write
        // (~140 instructions). Otherwise the rest goes as the last chunk, as before.
        // (No `??`: its generic autoclosure looked up metadata and retained per call.)
        var last = piece.take()
        if last == nil { last = pendingOut.take() }
        if let rest = last.take() {
            let n = rest.readableBytes
            // (The closure captures the bytes' address, not the buffer: no retain of its
            // storage for the call.)
            let direct = rest.withUnsafeReadableBytes { src in
                r.outputDirect(count: n) { p in p.copyMemory(from: src.baseAddress!, byteCount: n) }
            }
            if !direct { r.output(BodyChunk(data: consume rest, last: true)) }
        }
        // (With no rest, finalize's outputLast is what output() does with an empty last
        // chunk.)
        r.finalize(0)
    }

    /// The body broke off: send what we have and close the client connection.
    func abortBody() {
        stage = .done
        timer?.disarm()
        if tryCount > 0 { lastTry.responseTime = elapsed() }
        conn?.delegate = nil
        conn?.close()
        conn = nil
        releasePeer(failed: true)
        guard !r.finalized else { return }
        if endQueued(aborted: true) { return }
        if let rest = pendingOut {
            pendingOut = nil
            r.output(BodyChunk(data: rest, last: false, flush: true))
        }
        // nginx closes the client connection without ending the body, keeping the status.
        r.keepAlive = false
        r.connection.flush()
        r.finalizeAborted()
    }
}

extension ResponseHeaders {
    /// No header set (what `ResponseHeaders()` is).
    var noneSet: Bool {
        contentType == nil && contentLength == nil && lastModified == nil && location == nil && list.isEmpty
    }
}

extension ProxySession {
    /// `X-Accel-Redirect`: drop the upstream response and redirect internally
    /// (nginx's `ngx_http_upstream_process_headers`).
    func accelRedirect(_ target: String) {
        stage = .done
        timer?.disarm()
        lastTry.responseTime = elapsed()
        releasePeer(failed: false)
        conn?.delegate = nil
        conn?.close()
        conn = nil
        if target.hasPrefix("@") {
            r.namedRedirect(String(target.dropFirst()))
            return
        }
        var path = target
        var args: String? = nil
        if let q = path.firstIndex(of: "?") {
            args = String(path[path.index(after: q)...])
            path = String(path[..<q])
        }
        if r.method != "HEAD" { r.method = "GET" }
        r.internalRedirect(uri: path, args: args)
    }
}
