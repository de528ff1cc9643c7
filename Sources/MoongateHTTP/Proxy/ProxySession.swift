import MoongateCore
import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// One proxied request: picks peers, connects, sends, reads and relays the response,
/// retrying by `proxy_next_upstream` (nginx's `ngx_http_upstream_t`).
final class ProxySession: UpstreamConnectionDelegate {
    enum Stage { case idle, connecting, sending, header, body, done }
    enum BodyMode {
        case none
        case length(Int64)
        case chunked(ChunkedDecoder)
        case close
    }

    let r: HTTPRequest
    let conf: ProxyLocConf
    /// The conf's per-request constants (one read of them per request).
    let hot: ProxyLocHot
    let target: ProxyTarget
    private(set) var balancerState = BalancerState.make()
    var selector: PeerSelector
    var stage = Stage.idle
    /// How many tries this session made; they live in `r.upstreamStates` from
    /// `stateBase` on (for the variables), updated there in place.
    var tryCount = 0
    /// The current try.
    var lastTry: ProxyTry {
        get { r.upstreamStates[stateBase + tryCount - 1] }
        _modify { yield &r.upstreamStates[stateBase + tryCount - 1] }
    }
    /// Several fields of the current try set in one access.
    @inline(__always)
    func modifyLastTry(_ f: (inout ProxyTry) -> Void) {
        f(&r.upstreamStates[stateBase + tryCount - 1])
    }
    func addTry(_ t: consuming ProxyTry) {
        let end = stateBase + tryCount
        if r.upstreamStates.count > end {
            r.upstreamStates.removeSubrange(end...)
        } else if end == 0 && r.upstreamStates.capacity == 0, let spare = ProxySession.spareStates.take() {
            // The list of the worker's previous proxied request (emptied): no allocation.
            r.upstreamStates = spare
        }
        tryStart = t.start
        // Moved in (no copy of the try and its address string).
        r.upstreamStates.append(consume t)
        tryCount += 1
    }
    /// When the current try started (its `start`, read by `elapsed` without a copy of the
    /// try and its address string).
    var tryStart: Int64 = 0
    /// Where this session's tries start in `r.upstreamStates`.
    let stateBase: Int
    var conn: UpstreamConnection?
    var peer: UpstreamPeer?
    var peerName = "" {
        didSet { r.upstreamLogName = conf.upstreamLogName(ssl: target.ssl, peer: peerName, uri: target.uri) }
    }
    /// The connection's timer: I/O timeouts of this request.
    var timer: LazyTimer? { conn?.timer }
    var parser: UpstreamResponseParser
    var head: UpstreamResponseHead?
    var bodyMode = BodyMode.none
    var requestSent = false
    var keepaliveEligible = false
    var pendingOut: ByteBuffer?
    let started = CachedTime.monotonicMsec
    var requestBytes: ByteBuffer?
    /// Set once an Upgrade relay runs.
    var tunnel = false
    /// `X-Accel-Buffering` from the upstream overrides `proxy_buffering`.
    var bufferingOverride: Bool?
    /// The current try reuses a cached keepalive connection.
    var usedCached = false
    /// `proxy_request_buffering off`: the body follows the head as it arrives.
    var streaming = false
    /// The streamed body goes chunked (the client sent chunked; HTTP/1.1 upstream).
    var streamChunked = false
    /// The end of the streamed body went out.
    var bodyDone = false
    /// Reading the upstream stopped for a slow client (`proxy_buffering off`).
    var upstreamPaused = false
    /// What a slow client has not taken yet with `proxy_buffering on`.
    var outQueue: ProxyOutputQueue?

    init(request: HTTPRequest, conf: consuming ProxyLocConf, hot: consuming ProxyLocHot, target: consuming ProxyTarget) {
        self.r = request
        self.selector = PeerSelector(block: target.block)
        self.parser = UpstreamResponseParser(limit: conf.bufferSize ?? 4096)
        self.conf = conf
        self.hot = hot
        self.target = target
        // A later upstream of the same request (after an internal redirect) is listed
        // after an empty state, which the variables print as " : ".
        // (The count read once: the usual empty list needs no retain of it and the
        // request across an append.)
        let count = request.upstreamStates.count
        if count > 0 {
            request.upstreamStates.append(ProxyTry.separator)
            self.stateBase = count + 1
        } else {
            self.stateBase = 0
        }
    }

    /// The emptied try list of a finished request, kept for the worker's next one (all of
    /// a worker's requests run on its one thread).
    /// (An optional: a nil global is laid out at build time, no lazy initializer per use.)
    nonisolated(unsafe) static var spareStates: [ProxyTry]? = nil

    deinit {
        // A try still holding its peer counts no more against max_conns / least_conn
        // (every path releases it first; this one only guards against a missed path).
        if let p = peer, p.conns > 0 { p.conns -= 1 }
        // The buffers of this request serve the worker's next one.
        recycleRequestBuffer()
        if isKnownUniquelyReferenced(&balancerState) { BalancerState.recycle(balancerState) }
        // Once the request was logged nothing reads its tries any more (the sessions end
        // in the request's cleanups, after the log phase): the list serves the next one.
        if r.logged && r.upstreamStates.capacity > 0 && r.upstreamStates.capacity <= 16 {
            var states: [ProxyTry] = []
            swap(&states, &r.upstreamStates)
            // (One by one from the end: removeAll(keepingCapacity:) goes through the
            // generic replaceSubrange.)
            while !states.isEmpty { states.removeLast() }
            ProxySession.spareStates = states
        }
        // (In place: no copy of the head.)
        if head != nil { head!.giveStorage() }
    }

    var loop: EventLoop { r.connection.eventLoop }
    /// `proxy_buffer_size` (nginx's default is one page).
    var headLimit: Int { conf.bufferSize ?? 4096 }

    func start() {
        guard stage == .idle, !r.finalized else { return }
        balancerState.triesLeft = target.block.peers.count
        balancerState.maxTries = conf.nextUpstreamTries ?? 0
        connectNext()
    }

    // MARK: Trying peers

    private func connectNext() {
        guard !r.finalized else { return }
        balancerState.totalTries += 1
        let start = CachedTime.monotonicMsec
        peer = nil
        if let hook = target.block.balancer {
            balancerState.chosen = nil
            balancerState.moreTries = 0
            if let code = hook.choosePeer(r, balancerState) {
                finish(code)
                return
            }
            if let c = balancerState.chosen {
                let block = target.block
                if block.balancerPeerPort == c.port, block.balancerPeerHost == c.host {
                    peerName = block.balancerPeerName
                } else {
                    // Byte search and concatenation: no Character walk, no interpolation.
                    peerName =
                        c.host.utf8.contains(UInt8(ascii: ":"))
                        ? "[" + c.host + "]:" + String(c.port) : c.host + ":" + String(c.port)
                    block.balancerPeerHost = c.host
                    block.balancerPeerPort = c.port
                    block.balancerPeerName = peerName
                }
                balancerState.triesLeft += balancerState.moreTries
                addTry(ProxyTry(addr: peerName, start: start))
                connect(host: c.host, port: c.port, fromBalancer: true)
                return
            }
        }
        guard let p = selector.next(r) else {
            var t = ProxyTry(addr: target.block.name, start: start)
            t.status = 502
            addTry(t)
            peerName = target.block.name
            logUpstream(.error, "no live upstreams while connecting to upstream")
            finish(502)
            return
        }
        peer = p
        peerName = p.name
        addTry(ProxyTry(addr: p.name, start: start))
        connect(host: p.host, port: p.port)
    }

    private func connect(host: String, port: Int, fromBalancer: Bool = false) {
        stage = .connecting
        usedCached = false
        // A plain upstream: no TLS settings looked at (nor an optional of them destroyed).
        if !target.ssl {
            if reuseCached(peerName) { return }
            open(host: host, port: port, poolKey: peerName, tls: nil)
            return
        }
        // TLS upstream connections are pooled apart from plain ones, by TLS name.
        var tls = ProxySSLConf.upstreamTLS(r, proxyHost: target.proxyHost)
        // ngx_lua's balancer keeps no TLS session for a peer it set
        // (ngx_http_lua_balancer_set_session), nor does nginx for the peer of a
        // proxy_pass with variables that names no upstream block (its peers live
        // for the request: ngx_http_upstream_create_round_robin_peer).
        if fromBalancer { tls.sessionReuse = false }
        if case .variable = conf.pass, !target.block.explicit { tls.sessionReuse = false }
        let poolKey = peerName + tls.poolKey
        if reuseCached(poolKey) { return }
        open(host: host, port: port, poolKey: poolKey, tls: tls)
    }

    /// Sends the request on a kept-alive connection of the pool under `key`, if any.
    private func reuseCached(_ key: String) -> Bool {
        // (The pool called through a guaranteed reference: the session's target holds
        // its block, which holds the pool, for the call; no retain and release of it.)
        guard keepaliveCapacity > 0,
            let c = Unmanaged.passUnretained(target.block.pool)._withUnsafeGuaranteedRef({ $0.take(key) })
        else { return false }
        lastTry.connectTime = 0
        usedCached = true
        // (Moved in: the local's reference is the session's, not kept to the call's end.)
        conn = consume c
        sendRequest()
        return true
    }

    /// Opens a new connection to the peer (nginx's ngx_event_connect_peer).
    private func open(host: String, port: Int, poolKey: String, tls: UpstreamTLS?) {
        // ngx_event_connect_peer without a free connection: the request ends with 500
        // (ngx_http_upstream_connect), no other peer tried.
        guard WorkerConnections.available(alert: { logUpstream(.alert, $0 + " while connecting to upstream") }) else {
            finish(500)
            return
        }
        let timeout = balancerState.connectTimeout > 0 ? balancerState.connectTimeout : conf.effConnectTimeout
        let local = localAddress()
        UpstreamConnection.connect(
            on: loop, host: host, port: port, peerName: poolKey, timeoutMs: timeout, localAddress: local?.address,
            tls: tls
        )
            .whenComplete { [self] result in
                switch result {
                case .success(let c):
                    guard stage == .connecting, !r.finalized else {
                        c.close()
                        return
                    }
                    lastTry.connectTime = elapsed()
                    conn = c
                    sendRequest()
                case .failure(let error):
                    guard stage == .connecting, !r.finalized else { return }
                    if let l = local, let io = error as? IOError, "\(io)".contains("bind(") {
                        logUpstream(.crit, "bind(\(l.text)) failed (\(ProxySession.describe(io))) while connecting to upstream")
                        finish(500)
                        return
                    }
                    if let te = error as? UpstreamTLSError {
                        logUpstream(.error, te.message + " while SSL handshaking to upstream")
                        fail(te.timeout ? .timeout : .error)
                    } else if let ce = error as? ChannelError, case .connectTimeout = ce {
                        logUpstream(.error, "upstream timed out (110: Connection timed out) while connecting to upstream")
                        fail(.timeout)
                    } else {
                        logUpstream(.error, "connect() failed (\(ProxySession.describe(error))) while connecting to upstream")
                        fail(.error)
                    }
                }
            }
    }

    /// `proxy_bind` for this request (nginx's `ngx_http_upstream_set_local`): an empty
    /// value binds nothing; a value that is not an address is logged and ignored.
    private func localAddress() -> (address: SocketAddress, text: String)? {
        guard case .some(.some(let cv)) = conf.bind else { return nil }
        let v = cv.evaluate(r)
        if v.isEmpty { return nil }
        var host = v
        var port = 0
        if let colon = v.lastIndex(of: ":"), !v.contains("["), v.filter({ $0 == ":" }).count == 1 {
            host = String(v[..<colon])
            port = Int(v[v.index(after: colon)...]) ?? -1
        } else if v.hasPrefix("["), let end = v.firstIndex(of: "]") {
            host = String(v[v.index(after: v.startIndex)..<end])
            let rest = v[v.index(after: end)...]
            port = rest.isEmpty ? 0 : (rest.hasPrefix(":") ? Int(rest.dropFirst()) ?? -1 : -1)
        }
        guard (0...65535).contains(port), let a = try? SocketAddress(ipAddress: host, port: port) else {
            r.log(.error, "invalid local address \"\(v)\"")
            return nil
        }
        return (a, v)
    }

    private func sendRequest() {
        guard let c = conn else { return }
        stage = .sending
        c.delegate = self
        c.requests += 1
        // A new request without a streamed body (the usual case) is sent from the local
        // it is built in and kept afterwards (moved: no copy of the kept one, a retain
        // and release of its storage, to send).
        var fresh: ByteBuffer? = nil
        if requestBytes == nil || balancerState.recreateRequest {
            balancerState.recreateRequest = false
            if streaming {
                requestBytes = buildRequest()
            } else {
                if requestBytes != nil { requestBytes = nil }
                fresh = buildRequest()
            }
        }
        head = nil
        parser.reset()  // (its limit is the conf's, as the session's init made it)
        // The send timeout runs while the write is pending. A write that completes at
        // once (the usual case) has armed the read timer already: the send timer is then
        // not armed for nothing (a streamed body keeps it, as before).
        if streaming { armSendTimer() }
        bodyDone = false
        if var out = fresh.take() {
            let start = out.readerIndex
            let sentBytes = out.readableBytes
            if c.sendNow(&out) {
                requestBytes = consume out
                requestWritten(.success(()), on: c, bytes: sentBytes)
            } else {
                // Kept as built (a part sent moved the sent copy's reader index only).
                var kept = out
                kept.moveReaderIndex(to: start)
                requestBytes = consume kept
                c.sendQueued(out) { [self] result in requestWritten(result, on: c, bytes: sentBytes) }
            }
            if conn === c, stage == .sending, !requestSent { armSendTimer() }
            // A response may arrive before the write completion runs.
            if stage == .sending && requestSent { stage = .header }
            return
        }
        var out = requestBytes!
        if streaming { streamPrefix(into: &out) }
        let sentBytes = out.readableBytes
        // The usual case goes out at once: its completion runs here, no closure made.
        if c.sendNow(&out) {
            requestWritten(.success(()), on: c, bytes: sentBytes)
        } else {
            c.sendQueued(out) { [self] result in requestWritten(result, on: c, bytes: sentBytes) }
        }
        if !streaming, conn === c, stage == .sending, !requestSent { armSendTimer() }
        // A response may arrive before the write completion runs.
        if stage == .sending && requestSent { stage = .header }
    }

    /// The request (its head, when the body streams) was written, or the write failed.
    private func requestWritten(_ result: Result<Void, Error>, on sentOn: UpstreamConnection, bytes sentBytes: Int) {
        guard conn === sentOn, stage == .sending || stage == .header else { return }
        if case .failure = result {
            if stage == .sending {
                logUpstream(.error, "upstream prematurely closed connection while sending request to upstream")
                fail(.error)
            }
            return
        }
        requestSent = true
        if tryCount > 0 { lastTry.bytesSent += sentBytes }
        if stage == .sending {
            stage = .header
            if !streaming { armReadTimer() }
        }
        if streaming { openBodyFlow() }
    }

    private func armSendTimer() {
        armTimer(balancerState.sendTimeout > 0 ? balancerState.sendTimeout : conf.effSendTimeout) { [self] in
            logUpstream(.error, "upstream timed out (110: Connection timed out) while sending request to upstream")
            fail(.timeout)
        }
    }

    func armReadTimer() {
        armTimer(balancerState.readTimeout > 0 ? balancerState.readTimeout : conf.effReadTimeout) { [self] in
            if stage == .header || stage == .sending {
                logUpstream(.error, "upstream timed out (110: Connection timed out) while reading response header from upstream")
                fail(.timeout)
            } else if stage == .body {
                logUpstream(.error, "upstream timed out (110: Connection timed out) while reading upstream")
                abortBody()
            }
        }
    }

    func armTimer(_ ms: Int, _ f: @escaping () -> Void) {
        timer?.arm(ms: ms, f)
    }

    func elapsed() -> Int { Int(CachedTime.monotonicMsec - tryStart) }

    /// A try failed: record it, mark the peer, and try the next one or give up
    /// (nginx's `ngx_http_upstream_next`).
    func fail(_ ft: NextUpstream, status: Int? = nil) {
        timer?.disarm()
        let code = status ?? (ft == .timeout ? 504 : 502)
        if tryCount > 0 {
            lastTry.status = code
            lastTry.responseTime = elapsed()
        }
        conn?.delegate = nil
        conn?.close()
        conn = nil
        // A cached connection the upstream closed meanwhile is not the peer's fault:
        // nginx gives the try back (`u->peer.tries++`).
        let cachedError = usedCached && ft == .error
        let failed = !(ft == .http403 || ft == .http404) && !cachedError
        releasePeer(failed: failed)
        balancerState.lastPeerState = failed ? 4 : 2
        balancerState.lastStatus = code
        if balancerState.triesLeft > 0 && !cachedError { balancerState.triesLeft -= 1 }
        if cachedError, target.block.balancer == nil { selector.tried.removeAll() }
        if canRetry(ft) {
            stage = .idle
            requestSent = false
            connectNext()
            return
        }
        finish(code)
    }

    func canRetry(_ ft: NextUpstream) -> Bool {
        let next = conf.effNextUpstream
        guard balancerState.triesLeft > 0, next.contains(ft) else { return false }
        if balancerState.maxTries > 0 && balancerState.totalTries >= balancerState.maxTries { return false }
        if let t = conf.nextUpstreamTimeout, t > 0, CachedTime.monotonicMsec - started >= Int64(t) { return false }
        if requestSent && ["POST", "LOCK", "PATCH"].contains(r.method) && !next.contains(.nonIdempotent) {
            return false
        }
        // The streamed body is gone: nothing to send again.
        if requestSent && streaming { return false }
        return true
    }

    func releasePeer(failed: Bool) {
        guard let p = peer else { return }
        peer = nil
        let single = target.block.peers.count == 1
        if single {
            if p.conns > 0 { p.conns -= 1 }
            return
        }
        if p.release(failed: failed, now: CachedTime.monotonicMsec) {
            logUpstream(.warn, "upstream server temporarily disabled while \(actionText)")
        }
    }

    var actionText: String {
        switch stage {
        case .idle, .connecting: return "connecting to upstream"
        case .sending: return "sending request to upstream"
        case .header: return "reading response header from upstream"
        case .body, .done: return "reading upstream"
        }
    }

    /// Ends the request with an error status before a response was relayed.
    func finish(_ code: Int) {
        stage = .done
        r.body.sink = nil
        timer?.disarm()
        conn?.delegate = nil
        conn?.close()
        conn = nil
        r.finalize(code)
    }

    /// The request went away (client abort or finalize): drop the upstream connection.
    func abort() {
        r.body.sink = nil
        // The temp file closes and the send timer stops with the request.
        outQueue?.cancelTimer()
        outQueue = nil
        guard stage != .done else { return }
        stage = .done
        timer?.disarm()
        conn?.delegate = nil
        conn?.close()
        conn = nil
        releasePeer(failed: false)
    }

    // MARK: UpstreamConnectionDelegate

    func upstreamRead(_ buf: inout ByteBuffer) {
        let received = buf.readableBytes
        // While the head is awaited the bytes are counted below, before anything else
        // happens (with the head's time and status when it completes: one access to the
        // try instead of three).
        let awaitingHead = !tunnel && (stage == .sending || stage == .header)
        if tryCount > 0 && !awaitingHead { lastTry.bytesReceived += received }
        if tunnel {
            relayToClient(buf)
            return
        }
        switch stage {
        case .sending, .header:
            if stage == .sending {
                requestSent = true
                stage = .header
            }
            // The read timer restarts while the head is incomplete; a complete head (or
            // an error) stops or re-arms it itself, so it is not armed for nothing here.
            do {
                guard var h = try parser.feed(&buf) else {
                    if tryCount > 0 { lastTry.bytesReceived += received }
                    armReadTimer()
                    return
                }
                // Interim 1xx responses (100 Continue) are skipped, as nginx does.
                while h.status < 200 && h.status != 101 {
                    parser = UpstreamResponseParser(limit: headLimit)
                    guard let next = try parser.feed(&buf) else {
                        if tryCount > 0 { lastTry.bytesReceived += received }
                        armReadTimer()
                        return
                    }
                    h = next
                }
                // The bytes, the header time and the status (processHead's first step).
                let t = elapsed()
                let status = h.status
                if tryCount > 0 {
                    modifyLastTry {
                        $0.bytesReceived += received
                        $0.headerTime = t
                        $0.status = status
                    }
                } else {
                    lastTry.headerTime = t
                    lastTry.status = status
                }
                processHead(h, rest: buf)
            } catch UpstreamParseError.invalid(let msg) {
                if tryCount > 0 { lastTry.bytesReceived += received }
                logUpstream(.error, "\(msg) while reading response header from upstream")
                fail(.invalidHeader)
            } catch {
                if tryCount > 0 { lastTry.bytesReceived += received }
                fail(.invalidHeader)
            }
        case .body:
            // While paused for a slow client its send_timeout runs instead.
            if !upstreamPaused { armReadTimer() }
            feedBody(buf)
        default:
            break
        }
    }

    func upstreamClosed() {
        if tunnel {
            tunnelClosed()
            return
        }
        switch stage {
        case .sending, .header:
            logUpstream(.error, "upstream prematurely closed connection while reading response header from upstream")
            conn = nil
            fail(.error)
        case .body:
            conn = nil
            if case .close = bodyMode {
                finishBody()
            } else {
                logUpstream(.error, "upstream prematurely closed connection while reading upstream")
                abortBody()
            }
        default:
            break
        }
    }

    // MARK: Logging

    /// Logs with nginx's upstream context: client, server, request, upstream, host.
    func logUpstream(_ level: LogLevel, _ message: String) {
        let log = r.errorLog
        guard log.enabled(level) else { return }
        // nginx's ngx_http_log_error_handler: the main request's line, a subrequest's
        // URI, the upstream, the main request's host and referrer.
        var main = r
        while let p = main.parent { main = p }
        var s = ", client: \(r.connection.remoteAddress), server: \(r.server.primaryName)"
        s += ", request: \"\(main.head.requestLineForLog)\""
        if main !== r { s += ", subrequest: \"\(r.uri)\"" }
        s += ", upstream: \"\(target.ssl ? "https" : "http")://\(peerName)\(target.uri)\""
        if let h = main.head.hostForLog { s += ", host: \"\(h)\"" }
        if let ref = main.head.header("referer") { s += ", referrer: \"\(ref)\"" }
        log.log(level, message, connection: r.connection.number, context: s)
    }

    static func describe(_ error: Error) -> String {
        if let io = error as? IOError {
            return "\(io.errnoCode): \(String(cString: strerror(io.errnoCode)))"
        }
        if let ne = error as? NIOConnectionError, let first = ne.connectionErrors.first {
            return describe(first.error)
        }
        return "111: Connection refused"
    }
}
