import CLuaJIT
import MoongateCore
import MoongateHTTP
import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// A TCP cosocket (ngx_http_lua_socket_tcp.c): a NIO client channel whose bytes
/// collect in a buffer that `receive*` reads from; a read that cannot complete parks the
/// Lua thread until data, end of stream or its timeout. Bytes are read from the peer
/// only while a `receive*` needs more than the buffer holds, `lua_socket_buffer_size`
/// at a time (ngx_lua's `u->buffer`), so memory stays bounded whatever the peer sends.
final class LuaTCPSocket: LuaTCPEvents {
    /// What a `receive*` call waits for.
    enum Pattern {
        case line
        case all
        case size(Int)
        case any(Int)
        case until([UInt8], inclusive: Bool, size: Int?)
    }

    /// How a read ends.
    enum ReadResult {
        case data([UInt8], found: Bool)
        /// The data is in `out` (a line or a size read: no array per read).
        case buffered
        case fail(String, [UInt8])
        /// `receiveuntil` with a size: the boundary came right away.
        case done
    }

    private(set) var channel: Channel?
    private(set) var handler: LuaTCPHandler?
    private var inbuf: [UInt8] = []
    private var pos = 0
    private var eof = false
    private var peerError: String?
    var connectTimeout: Int
    var sendTimeout: Int
    var readTimeout: Int
    private(set) var reusedTimes = 0
    private var pool: LuaConnectionPool.Pool?
    private(set) var poolSize = 30
    private(set) var reader: (thread: LuaThread, pattern: Pattern)?
    /// A parked read's timeout (see `LuaReadTimeouts`): its deadline, order and place.
    fileprivate var readDeadline: Int64 = 0
    fileprivate var readSeq: UInt64 = 0
    fileprivate var parkIndex = -1
    var busyConnecting = false
    private(set) var busyWriting = false
    /// "host:port" for log messages.
    private var peerName = ""
    private(set) var logErrors: Bool
    /// The `serial` of the request or timer that connected the socket (0: none): only it
    /// may use the connection (ngx_lua's "bad request"), and its end closes it (it lists
    /// the socket in `cosocket` or `cosockets`).
    private var ownerSerial: UInt64 = 0
    /// `ngx.req.socket()`: reads the request body instead of a connection.
    private(set) var bodyStream = false
    /// How much of the request body `pullBody` moved into the buffer.
    private var bodyTaken = 0
    /// `ngx.req.socket(true)`: the client connection itself.
    private weak var rawConn: HTTPConnection?
    private(set) var rawStream = false
    /// `connect` was called once: get/setoption then say "closed" rather than raise.
    private(set) var connectCalled = false
    /// TCP_NODELAY is set on the first send, as ngx_lua does with `tcp_nodelay on`.
    var nodelayPending = false
    /// `lua_socket_buffer_size`: the most one read from the peer takes.
    private(set) var bufferSize: Int
    /// The request whose body `ngx.req.socket()` reads.
    private weak var bodyRequest: HTTPRequest?

    init(conf: LuaMainConf) {
        connectTimeout = conf.socketConnectTimeout
        sendTimeout = conf.socketSendTimeout
        readTimeout = conf.socketReadTimeout
        poolSize = conf.socketPoolSize
        logErrors = conf.socketLogErrors
        bufferSize = max(conf.socketBufferSize, 1024)
    }

    /// False once the socket took a path whose callbacks may still come after its Lua
    /// object is collected (a request socket, TLS, the backlog queue, a resolver): it is
    /// freed then, never kept for another `ngx.socket.tcp()`.
    var recyclable = true

    /// Sockets whose Lua objects were collected, idle and referred to by nothing else:
    /// `ngx.socket.tcp()` takes one (with its read buffer) instead of allocating a socket
    /// and its buffer and freeing both again per request.
    nonisolated(unsafe) private static var spare: [LuaTCPSocket] = []

    /// A socket as `init(conf:)` makes it: a spare one when there is one.
    static func make(conf: LuaMainConf) -> LuaTCPSocket {
        if spare.isEmpty && !detached.isEmpty {
            // One still inside its read event (a request nested in it) stays listed;
            // the list keeps its storage.
            var kept = 0
            for i in detached.indices where detached[i].inEvent > 0 {
                detached.swapAt(i, kept)
                kept += 1
            }
            while detached.count > kept {
                var d = detached.removeLast()
                recycle(&d)
            }
        }
        guard let s = spare.popLast() else { return LuaTCPSocket(conf: conf) }
        s.connectTimeout = conf.socketConnectTimeout
        s.sendTimeout = conf.socketSendTimeout
        s.readTimeout = conf.socketReadTimeout
        s.poolSize = conf.socketPoolSize
        s.logErrors = conf.socketLogErrors
        s.bufferSize = max(conf.socketBufferSize, 1024)
        return s
    }

    /// The Lua object of `s` was collected (and `close` ran): `s` is kept as a spare if
    /// nothing else refers to it and nothing can call back into it; else it goes away.
    static func recycle(_ s: inout LuaTCPSocket) {
        // Room for the sockets one LuaJIT GC cycle collects at a busy time (one cycle
        // spans hundreds of requests; their sockets are finalized together).
        guard spare.count < 1024, s.inEvent == 0, isKnownUniquelyReferenced(&s), s.resetForReuse() else { return }
        spare.append(s)
    }

    /// The Lua object's `mg_tcp_ref_t` while it holds this socket (its first field is
    /// the retained pointer to it).
    var luaRef: UnsafeMutableRawPointer?
    /// The connection's handler is inside `received` or `closedByPeer` (see `detach`).
    private var inEvent: Int32 = 0

    /// Hands a retained reference to the Lua object's `mg_tcp_ref_t` at `ref`.
    func attach(_ ref: UnsafeMutablePointer<UnsafeMutableRawPointer?>?) {
        guard let ref else { return }
        ref.pointee = Unmanaged.passRetained(self).toOpaque()
        luaRef = UnsafeMutableRawPointer(ref)
    }

    /// The socket of the Lua object whose `mg_tcp_ref_t` is at `ref`, not retained (the
    /// caller's Lua object holds it). A handle detached when its request ended gets a
    /// new socket with the settings it had.
    @inline(__always)
    static func of(_ ref: UnsafeMutableRawPointer) -> Unmanaged<LuaTCPSocket> {
        if let p = ref.load(as: UnsafeMutableRawPointer?.self) { return Unmanaged.fromOpaque(p) }
        return reattach(ref)
    }

    // `mg_tcp_ref_t.saved`: what a detached handle keeps of its socket.
    private static let savedOffset = MemoryLayout<UnsafeMutableRawPointer?>.size
    private static let savedLogErrors: Int32 = 1
    private static let savedConnectCalled: Int32 = 2

    /// The request or timer that owned `s` ended and closed its connection (or parked
    /// it in the pool). Unless something still uses it, the Lua object lets go of `s`
    /// now rather than when the GC collects it, keeping the few settings a closed socket
    /// shows (timeouts, pool size, buffer size, logging, whether connect was called), and
    /// `s` becomes a spare for the next `ngx.socket.tcp()`. The Lua object, if used again,
    /// gets a new socket with those settings (`of`), closed and unowned as `s` was.
    /// Why: the GC sees only the small Lua object, so between two cycles thousands of
    /// finished requests' sockets (~400 bytes each with their buffers) stayed allocated
    /// (cosocket bench: ~2,000, ~0.8 MB of the worker's heap); ngx_lua's are in the Lua
    /// heap, where they pace its GC.
    static func detach(_ s: inout LuaTCPSocket) {
        guard let ref = s.luaRef, s.isIdle else { return }
        let saved = ref.advanced(by: savedOffset).assumingMemoryBound(to: Int32.self)
        saved[0] = Int32(clamping: s.connectTimeout)
        saved[1] = Int32(clamping: s.sendTimeout)
        saved[2] = Int32(clamping: s.readTimeout)
        saved[3] = Int32(clamping: s.poolSize)
        saved[4] = Int32(clamping: s.bufferSize)
        saved[5] = (s.logErrors ? savedLogErrors : 0) | (s.connectCalled ? savedConnectCalled : 0)
        ref.storeBytes(of: nil, as: UnsafeMutableRawPointer?.self)
        s.luaRef = nil
        Unmanaged.passUnretained(s).release()  // the Lua object's reference
        if s.inEvent == 0 && isKnownUniquelyReferenced(&s) {
            recycle(&s)
        } else if detached.count < 1024 || s.inEvent > 0 {
            // Still in use below: most requests end inside their socket's own read
            // event (the read resumes the handler, which finishes), and the handler
            // holds it unretained, so this list keeps it alive until then. The next
            // `ngx.socket.tcp()` takes it once that returned.
            detached.append(s)
        }
    }

    /// Sockets detached while a caller still held them (see `detach`).
    nonisolated(unsafe) private static var detached: [LuaTCPSocket] = []

    /// A new socket for the detached handle at `ref`, with the settings it kept.
    @inline(never)
    private static func reattach(_ ref: UnsafeMutableRawPointer) -> Unmanaged<LuaTCPSocket> {
        let s = make(conf: LuaRuntime.shared?.mainConf ?? LuaMainConf(packagePath: "", packageCPath: ""))
        let saved = ref.advanced(by: savedOffset).assumingMemoryBound(to: Int32.self)
        s.connectTimeout = Int(saved[0])
        s.sendTimeout = Int(saved[1])
        s.readTimeout = Int(saved[2])
        s.poolSize = Int(saved[3])
        s.bufferSize = Int(saved[4])
        s.logErrors = saved[5] & savedLogErrors != 0
        s.connectCalled = saved[5] & savedConnectCalled != 0
        s.attach(ref.assumingMemoryBound(to: UnsafeMutableRawPointer?.self))
        return Unmanaged.passUnretained(s)
    }

    /// Plainly idle: no connection, nothing parked or in flight, no request stream.
    private var isIdle: Bool {
        recyclable && channel == nil && handler == nil && counted == nil && reader == nil && parkIndex < 0
            && !busyConnecting && !busyWriting && !bodyStream && !rawStream
    }

    /// Back to the state `init(conf:)` leaves (the buffer's storage kept), or false when
    /// the socket is not plainly idle.
    private func resetForReuse() -> Bool {
        guard isIdle else { return false }
        // A spare keeps at most a 4k buffer, and only the first 64 spares keep one over
        // 256 bytes: a burst of collected sockets must not leave megabytes of idle buffers
        // behind (1,024 small ones: 256 KB at most). A small reply's buffer (a redis GET's)
        // stays with its socket: no free, and no allocation at the next request's read.
        if inbuf.capacity > 4096 || (LuaTCPSocket.spare.count >= 64 && inbuf.capacity > 256) { inbuf = [] }
        clearBuffer()
        eof = false
        peerError = nil
        reusedTimes = 0
        pool = nil
        readDeadline = 0
        readSeq = 0
        peerName = ""
        ownerSerial = 0
        bodyTaken = 0
        connectCalled = false
        nodelayPending = false
        outCount = 0
        return true
    }

    /// Empties the read buffer, keeping its storage unless a big read grew it.
    private func clearBuffer() {
        pos = 0
        if inbuf.isEmpty { return }
        if inbuf.capacity > 65536 {
            inbuf = []
        } else {
            inbuf.removeAll(keepingCapacity: true)
        }
        pos = 0
    }

    /// The pool whose open-connection count includes this socket's connection.
    private var counted: LuaConnectionPool.Pool?
    /// The pool entry of the last connection this socket took from a pool (out of the
    /// pool, nothing else refers to it): `setkeepalive` parks with it again.
    private var entry: LuaConnectionPool.Idle?

    /// Where `.buffered` reads put their data (valid until the next read).
    /// One buffer for every socket: Lua copies a read's data out of it before it makes
    /// any other call (`ffi.string` right after the FFI call, or `lua_pushlstring` when a
    /// parked read resumes), so no socket allocates its own.
    nonisolated(unsafe) private static var sharedOut = UnsafeMutablePointer<UInt8>.allocate(capacity: 4096)
    nonisolated(unsafe) private static var sharedOutCapacity = 4096
    var out: UnsafeMutablePointer<UInt8> { LuaTCPSocket.sharedOut }
    private(set) var outCount = 0

    /// Copies `bytes` (without CR when `dropCR`, as `*l` reads do) into `out`.
    private func fillOut(_ start: Int, _ end: Int, dropCR: Bool) {
        let n = end - start
        let cap = LuaTCPSocket.sharedOutCapacity
        // Grown for a big read: back to the usual size once the reads are small again
        // (the big data was copied out already).
        if n > cap || (cap > 65536 && n <= 4096) {
            LuaTCPSocket.sharedOut.deallocate()
            LuaTCPSocket.sharedOutCapacity = n > cap ? max(n, cap * 2) : 4096
            LuaTCPSocket.sharedOut = UnsafeMutablePointer<UInt8>.allocate(capacity: LuaTCPSocket.sharedOutCapacity)
        }
        let out = LuaTCPSocket.sharedOut
        inbuf.withUnsafeBufferPointer { b in
            if !dropCR {
                if n > 0 { memcpy(out, b.baseAddress! + start, n) }
                outCount = n
                return
            }
            var k = 0
            for i in start..<end where b[i] != UInt8(ascii: "\r") {
                out[k] = b[i]
                k += 1
            }
            outCount = k
        }
    }

    deinit {
        if let h = handler, h.owner === self { h.owner = nil }
        channel?.close(promise: nil)
        if let p = counted { LuaConnectionPool.closed(p) }
    }

    var isConnected: Bool { channel != nil || bodyStream || rawStream }

    /// Whether `ctx` may use this socket (the one that connected it, if connected).
    func usable(by ctx: LuaRequestContext?) -> Bool {
        usable(bySerial: ctx?.serial)
    }

    /// `usable(by:)` for the context with `serial` (nil: none).
    func usable(bySerial serial: UInt64?) -> Bool {
        guard isConnected, ownerSerial != 0 else { return true }
        return serial == ownerSerial
    }

    /// Binds the connection to the running request or timer.
    private func bindOwner(_ ctx: LuaRequestContext) {
        if ownerSerial == ctx.serial { return }
        ownerSerial = ctx.serial
        if ctx.cosocket == nil {
            ctx.cosocket = self
        } else {
            ctx.cosockets.append(self)
        }
    }

    /// The owner `serial` ended: its connection closes.
    func ownerReleased(_ serial: UInt64) {
        guard ownerSerial == serial else { return }
        _ = close()
        ownerSerial = 0
    }

    /// The owner `serial` went away without ending (no cleanup ran).
    func disown(_ serial: UInt64) {
        if ownerSerial == serial { ownerSerial = 0 }
    }

    /// Reads the request body for a `ngx.req.socket()` socket: what the connection
    /// buffered already, then the rest streamed from the client as reads ask for it
    /// (nginx's downstream socket reads the body into its buffer on demand), so the
    /// body is never kept whole.
    func attachBody(_ ctx: LuaRequestContext, _ r: HTTPRequest) {
        bodyStream = true
        recyclable = false
        bodyRequest = r
        bindOwner(ctx)
        bodyTaken = 0
        pullBody(r)
        if eof {
            r.body.claim()
            return
        }
        r.body.streaming = true
        r.body.onProgress = { [weak self, weak r] in
            guard let self, let r, self.bodyStream else { return }
            self.pullBody(r)
            if self.eof { r.body.onProgress = nil }
            self.tryFinishRead()
        }
        // Not reading until a receive asks; a held body stays held until then.
        r.body.sink = nil
        r.body.claim()
    }

    /// Lets the connection hand body bytes over again (the sink), feeding what it holds.
    private func resumeBody() {
        guard let r = bodyRequest, !eof, r.body.streaming, r.body.sink == nil else { return }
        r.body.sink = { [weak self, weak r] b in
            guard let self else { return }
            appendBytes(&self.inbuf, b)
            self.tryFinishRead()
            // Enough buffered and nobody waiting: the client waits in the kernel.
            if self.reader == nil, self.inbuf.count - self.pos >= self.bufferSize { r?.body.sink = nil }
        }
        r.connection.resumeBody()
    }

    /// Moves the body bytes that arrived since the last call into the read buffer.
    private func pullBody(_ r: HTTPRequest) {
        let n = r.body.data.count
        if n > bodyTaken {
            inbuf.append(contentsOf: r.body.data[bodyTaken..<n])
            bodyTaken = n
        }
        if r.body.complete {
            eof = true
        } else if r.body.aborted {
            eof = true
            // ngx_lua's NGX_HTTP_LUA_SOCKET_FT_CLIENTABORT: the body ended short.
            if peerError == nil { peerError = "client aborted" }
        }
    }

    /// Takes over the client connection for `ngx.req.socket(true)`: `prefix` is what
    /// was read of it already (an unread body), then the buffered and later bytes.
    func attachRaw(_ ctx: LuaRequestContext, _ conn: HTTPConnection, prefix: [UInt8]) {
        rawStream = true
        recyclable = false
        rawConn = conn
        bindOwner(ctx)
        inbuf = prefix
        pos = 0
        eof = false
        let early = conn.takeOverRaw { [weak self] buf in
            self?.received(buf)
        }
        if let early { appendBytes(&inbuf, early) }
        // ngx_lua reports the client's close as "client aborted" with lua_check_client_abort.
        let loc = ctx.request.flatMap { LuaLocConf.of($0.loc) }
        let abort = loc?.checkClientAbort ?? LuaRuntime.shared?.mainConf.checkClientAbort ?? false
        conn.rawClosed = { [weak self] in self?.closedByPeer(error: abort ? "client aborted" : nil) }
    }

    // MARK: connect

    /// Connects to `host:port` (port < 0: `host` is "unix:/path"). Returns nil when the
    /// connection came from the pool at once, or an error; otherwise `thread` is resumed
    /// with `1` or `nil, err` and `.again` comes back. `host` and `pool` are the bytes of
    /// the host argument and of the `pool` option.
    func connect(
        host hostBytes: UnsafeRawBufferPointer, port: Int, pool name: UnsafeRawBufferPointer?, poolSize: Int?,
        backlog: Int?, thread: LuaThread
    ) -> ConnectStart {
        if busyConnecting { return .failed("socket busy connecting") }
        connectCalled = true
        if channel != nil || handler != nil {
            closeChannel()
        } else {
            clearBuffer()
        }
        if let s = poolSize { self.poolSize = s }
        // ngx_lua makes (and sizes) the pool at connect only with pool_size or backlog;
        // otherwise the first setkeepalive does, with its own size.
        let sized = poolSize != nil || backlog != nil
        let p = LuaConnectionPool.lookup(
            host: hostBytes, port: port, name: name, size: self.poolSize, sized: sized
        ) {
            if let name { return LogBytes.text(name) }
            let host = LogBytes.text(hostBytes)
            return port < 0 ? host : "\(host):\(port)"
        }
        pool = p
        // The thread holds its context: read in place (no retain and release).
        thread.contextUnretained._withUnsafeGuaranteedRef { bindOwner($0) }
        // The host as a String only when a connection is opened (not for a pooled one).
        if let idle = LuaConnectionPool.take(p) { return reuse(idle, p) }
        let host = hostBytes.count > 0 ? LogBytes.text(hostBytes) : ""
        return attempt(host: host, port: port, pool: p, backlog: backlog, thread: thread)
    }

    /// `idle` is moved into `entry` (consumed: the caller's reference is not retained
    /// again and released).
    private func reuse(_ idle: consuming LuaConnectionPool.Idle, _ p: LuaConnectionPool.Pool) -> ConnectStart {
        attach(idle.channel, idle.handler)
        counted = p
        reusedTimes = idle.reused + 1
        entry = consume idle
        return .done
    }

    /// Takes an idle connection, queues in the backlog, or opens a new connection.
    private func attempt(
        host: String, port: Int, pool p: LuaConnectionPool.Pool, backlog: Int?, thread: LuaThread
    ) -> ConnectStart {
        if let idle = LuaConnectionPool.take(p) { return reuse(idle, p) }
        if let b = backlog, LuaConnectionPool.isFull(p) {
            if LuaConnectionPool.waitingCount(p) >= b { return .failed("too many waiting connect operations") }
            busyConnecting = true
            recyclable = false
            LuaConnectionPool.enqueue(
                p, timeoutMs: connectTimeout,
                onTimeout: { [weak self] in
                    self?.busyConnecting = false
                    LuaTCPSocket.fail(thread, "timeout")
                },
                go: { [weak self] in
                    guard let self, thread.state == .yielded else { return }
                    self.busyConnecting = false
                    switch self.attempt(host: host, port: port, pool: p, backlog: backlog, thread: thread) {
                    case .done:
                        thread.resume { co in
                            lua_pushinteger(co, 1)
                            return 1
                        }
                    case .failed(let m): LuaTCPSocket.fail(thread, m)
                    case .again: break
                    }
                })
            return .again
        }
        LuaConnectionPool.opened(p)
        counted = p
        let unix = port < 0
        reusedTimes = 0
        let address: SocketAddress
        do {
            if unix {
                address = try SocketAddress(unixDomainSocketPath: String(host.dropFirst(5)))
                peerName = host
            } else if let ip = LuaHostResolver.resolve(host) {
                address = try SocketAddress(ipAddress: ip, port: port)
                peerName = "\(ip):\(port)"
            } else if let (res, timeoutMs) = LuaResolverConf.forRunning() {
                busyConnecting = true
                recyclable = false
                res.resolve(host, timeoutMs: timeoutMs) { [weak self] r in
                    guard let self else { return }
                    self.busyConnecting = false
                    switch r {
                    case .success(let addrs):
                        guard let ip = addrs.randomElement(), let a = try? SocketAddress(ipAddress: ip, port: port) else {
                            self.uncount()
                            LuaTCPSocket.fail(thread, "bad address")
                            return
                        }
                        self.peerName = "\(ip):\(port)"
                        guard LuaTCPSocket.mayOpen(thread) else {
                            self.uncount()
                            LuaTCPSocket.fail(thread, LuaTCPSocket.noConnections)
                            return
                        }
                        self.startConnect(a, thread: thread)
                    case .failure(let e):
                        self.uncount()
                        LuaTCPSocket.fail(thread, e.message)
                    }
                }
                return .again
            } else {
                uncount()
                return .failed("no resolver defined to resolve \"\(host)\"")
            }
        } catch {
            uncount()
            return .failed(LuaSocketError.message(for: error))
        }
        guard LuaTCPSocket.mayOpen(thread) else {
            uncount()
            return .failed(LuaTCPSocket.noConnections)
        }
        startConnect(address, thread: thread)
        return .again
    }

    /// Whether the worker may open one more connection (worker_connections); when not,
    /// nginx's alert goes to the thread's request (or timer) log.
    static func mayOpen(_ thread: LuaThread) -> Bool {
        WorkerConnections.available { thread.context.log(.alert, $0) }
    }

    /// The error of a connect refused for want of a free connection. (ngx_lua returns
    /// whatever errno last held, as ngx_get_connection sets none: often "operation now in
    /// progress", from the connect before.)
    static let noConnections = "worker_connections are not enough"

    /// The connection being opened will not be: the pool may take another.
    private func uncount() {
        if let p = counted {
            counted = nil
            LuaConnectionPool.closed(p)
        }
    }

    /// Resumes `thread` with `nil, msg`.
    static func fail(_ thread: LuaThread, _ msg: String) {
        thread.resume { co in
            lua_pushnil(co)
            lua_pushstring(co, msg)
            return 2
        }
    }

    private func startConnect(_ address: SocketAddress, thread: LuaThread) {
        guard let loop = LuaScheduler.loop else { return }
        busyConnecting = true
        let h = LuaTCPHandler()
        let slot = ConnectionSlot()
        h.slot = slot
        let timeout = connectTimeout
        ClientBootstrap(group: loop)
            .connectTimeout(.milliseconds(Int64(max(timeout, 1))))
            .channelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            // Read on demand, one buffer at a time (ngx_lua's recv into u->buffer).
            .channelOption(ChannelOptions.autoRead, value: false)
            .channelOption(ChannelOptions.maxMessagesPerRead, value: 1)
            .channelOption(
                ChannelOptions.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: bufferSize))
            // ngx_lua connects without TCP_NODELAY and sets it on the first send.
            .channelOption(.tcpOption(.tcp_nodelay), value: 0)
            .channelInitializer { ch in
                ch.eventLoop.makeCompletedFuture { try ch.pipeline.syncOperations.addHandler(h) }
            }
            .connect(to: address)
            // Not `[weak self]`: a weak reference gives the socket a side table for
            // good, and every retain and release of it after takes the runtime's slow
            // path (~100 instructions per request for a spare that once connected).
            // Held until the connect ends (its timeout bounds it).
            .whenComplete { result in
                CachedTime.update()
                self.busyConnecting = false
                // The Lua object was collected meanwhile: nobody waits for it.
                guard self.luaRef != nil else {
                    if case .success(let ch) = result { ch.close(promise: nil) } else { slot.release() }
                    return
                }
                switch result {
                case .success(let ch):
                    self.attach(ch, h)
                    self.nodelayPending = true
                    thread.resume { co in
                        lua_pushinteger(co, 1)
                        return 1
                    }
                case .failure(let e):
                    // (No channel, or one that is closed: its place is free again.)
                    slot.release()
                    self.uncount()
                    let msg = LuaSocketError.message(for: e)
                    if self.logErrors {
                        if msg == "timeout" {
                            thread.context.log(.error, "lua tcp socket connect timed out, when connecting to \(self.peerName)")
                        } else if let code = LuaTCPSocket.errno(of: e) {
                            thread.context.log(.error, "connect() failed (\(code): \(LuaSocketError.strerrorText(code).capitalizedFirst))")
                        }
                    }
                    LuaTCPSocket.fail(thread, msg)
                }
            }
    }

    enum ConnectStart {
        case done
        case again
        case failed(String)
    }

    static func errno(of e: Error) -> Int32? {
        if let io = e as? IOError { return io.errnoCode }
        if let c = e as? NIOConnectionError, let f = c.connectionErrors.first { return errno(of: f.error) }
        return nil
    }

    private func attach(_ ch: Channel, _ h: LuaTCPHandler) {
        channel = ch
        handler = h
        h.owner = self
        clearBuffer()
        eof = false
        peerError = nil
    }

    func closeChannel() {
        if channel != nil { uncount() }
        handler?.owner = nil
        channel?.close(promise: nil)
        channel = nil
        handler = nil
        clearBuffer()
    }

    // MARK: events

    func received(_ b: ByteBuffer) {
        // The handler calls through an unowned(unsafe) reference: nothing is sure to
        // hold the socket while the read resumes its thread, which may end the request.
        inEvent &+= 1
        defer { inEvent &-= 1 }
        appendBytes(&inbuf, b)
        tryFinishRead()
        // One read stays pending while less than a buffer is held: the channel stays
        // registered for reading (no epoll change per receive) and memory stays bounded.
        if reader != nil || inbuf.count - pos < bufferSize { needMore() }
    }

    /// A parked read needs more bytes than the buffer holds: one more read from the
    /// peer (the connection, the request body or the raw client connection).
    private func needMore() {
        if eof { return }
        if let ch = channel, let h = handler {
            h.requestRead(ch)
        } else if bodyStream {
            resumeBody()
        } else if rawStream {
            rawConn?.readRaw()
        }
    }

    func closedByPeer(error: String?) {
        inEvent &+= 1
        defer { inEvent &-= 1 }
        eof = true
        if let error, peerError == nil { peerError = error }
        tryFinishRead()
    }

    // MARK: reading

    /// Starts a read: returns the result when it completes now, or nil after parking
    /// `thread` (resumed with the results later).
    func receive(_ p: Pattern, thread: LuaThread) -> ReadResult? {
        guard channel != nil || bodyStream || rawStream else { return .fail("closed", []) }
        if reader != nil { return .fail("socket busy reading", []) }
        if let r = evaluate(p) { return finish(r) }
        if bodyStream {
            // Body bytes the connection holds already come in now (no reader is set, so
            // nothing resumes this running thread).
            resumeBody()
            if let r = evaluate(p) { return finish(r) }
        } else {
            needMore()
        }
        if readTimeout > 0 { LuaReadTimeouts.add(self, ms: readTimeout) }
        reader = (thread, p)
        return nil
    }

    private func tryFinishRead() {
        guard let pattern = reader?.pattern, let r = evaluate(pattern) else { return }
        var thread = reader!.thread
        reader = nil
        LuaReadTimeouts.remove(self)
        LuaTCPSocket.push(finish(r), to: thread, from: self)
        // A phase handler's thread that ended in this resume is kept for the next one
        // (when nothing else refers to it), as one that ends without waiting is.
        LuaThread.recycleObject(&thread)
    }

    fileprivate func readTimedOut() {
        guard let rd = reader else { return }
        reader = nil
        if logErrors { rd.thread.context.log(.error, "lua tcp socket read timed out") }
        let partial = Array(inbuf[pos...])
        consume(inbuf.count - pos)
        LuaTCPSocket.push(.fail("timeout", partial), to: rd.thread)
    }

    /// A failed read closes the connection, as in ngx_lua, except a timeout or the
    /// peer's end of stream (the socket stays usable until `close`).
    private func finish(_ r: ReadResult) -> ReadResult {
        if case .fail(let e, _) = r, e != "closed" { closeChannel() }
        return r
    }

    /// Pushes a read's results onto a resumed thread: `data, nil, nil, found`,
    /// `nil, err, partial` or `nil`.
    static func push(_ r: ReadResult, to thread: LuaThread, from s: LuaTCPSocket? = nil) {
        if case .buffered = r, let s {
            // Pushed from `out` at once: no closure (and copy of the data) kept for later.
            if thread.resumeNow({ co in
                lua_pushlstring(co, UnsafeRawPointer(s.out).assumingMemoryBound(to: CChar.self), s.outCount)
                lua_pushnil(co)
                lua_pushnil(co)
                lua_pushboolean(co, 0)
                return 4
            }) {
                return
            }
            let d = Array(UnsafeBufferPointer(start: s.out, count: s.outCount))
            push(.data(d, found: false), to: thread)
            return
        }
        thread.resume { co in
            switch r {
            case .buffered:
                // Always pushed with the socket above.
                lua_pushnil(co)
                return 1
            case .data(let d, let found):
                d.withUnsafeBufferPointer { p in
                    p.withMemoryRebound(to: CChar.self) { lua_pushlstring(co, $0.baseAddress, $0.count) }
                }
                lua_pushnil(co)
                lua_pushnil(co)
                lua_pushboolean(co, found ? 1 : 0)
                return 4
            case .fail(let e, let partial):
                lua_pushnil(co)
                lua_pushstring(co, e)
                partial.withUnsafeBufferPointer { p in
                    p.withMemoryRebound(to: CChar.self) { lua_pushlstring(co, $0.baseAddress, $0.count) }
                }
                return 3
            case .done:
                lua_pushnil(co)
                return 1
            }
        }
    }

    private func consume(_ n: Int) {
        pos += n
        if pos >= inbuf.count {
            inbuf.removeAll(keepingCapacity: true)
            pos = 0
        } else if pos > 65536 {
            inbuf.removeFirst(pos)
            pos = 0
        }
    }

    private func closedError() -> String { peerError ?? "closed" }

    private func evaluate(_ p: Pattern) -> ReadResult? {
        let avail = inbuf.count - pos
        switch p {
        case .line:
            if let nl = inbuf[pos...].firstIndex(of: UInt8(ascii: "\n")) {
                fillOut(pos, nl, dropCR: true)
                consume(nl - pos + 1)
                return .buffered
            }
            if eof {
                let partial = inbuf[pos...].filter { $0 != UInt8(ascii: "\r") }
                consume(avail)
                return .fail(closedError(), partial)
            }
            return nil
        case .all:
            guard eof else { return nil }
            let d = Array(inbuf[pos...])
            consume(avail)
            if let e = peerError { return .fail(e, d) }
            return .data(d, found: false)
        case .size(let n):
            if avail >= n {
                fillOut(pos, pos + n, dropCR: false)
                consume(n)
                return .buffered
            }
            if eof {
                let d = Array(inbuf[pos...])
                consume(avail)
                return .fail(closedError(), d)
            }
            return nil
        case .any(let max):
            if avail > 0 {
                let n = min(avail, max)
                let d = Array(inbuf[pos..<(pos + n)])
                consume(n)
                return .data(d, found: false)
            }
            if eof { return .fail(closedError(), []) }
            return nil
        case .until(let pat, let inclusive, let size):
            let hay = inbuf[pos...]
            if let i = LuaTCPSocket.find(pat, in: hay) {
                let before = i - pos
                if let s = size, before > s {
                    let d = Array(inbuf[pos..<(pos + s)])
                    consume(s)
                    return .data(d, found: false)
                }
                if let _ = size, before == 0, !inclusive {
                    consume(pat.count)
                    return .done
                }
                var d = Array(inbuf[pos..<i])
                if inclusive { d += pat }
                consume(before + pat.count)
                return .data(d, found: size != nil)
            }
            let safe = LuaTCPSocket.safePrefix(pat, in: hay)
            if let s = size, safe >= s, s > 0 {
                let d = Array(inbuf[pos..<(pos + s)])
                consume(s)
                return .data(d, found: false)
            }
            if eof {
                let d = Array(inbuf[pos...])
                consume(avail)
                return .fail(closedError(), d)
            }
            return nil
        }
    }

    /// Index of `pat` in `hay` (absolute indices), or nil.
    static func find(_ pat: [UInt8], in hay: ArraySlice<UInt8>) -> Int? {
        guard !pat.isEmpty, hay.count >= pat.count else { return nil }
        let first = pat[0]
        var i = hay.startIndex
        let last = hay.endIndex - pat.count
        while i <= last {
            if hay[i] == first {
                var k = 1
                while k < pat.count && hay[i + k] == pat[k] { k += 1 }
                if k == pat.count { return i }
            }
            i += 1
        }
        return nil
    }

    /// How many leading bytes of `hay` cannot be the start of `pat` (a match may still
    /// begin in the rest once more bytes arrive).
    static func safePrefix(_ pat: [UInt8], in hay: ArraySlice<UInt8>) -> Int {
        let n = hay.count
        var start = max(0, n - pat.count + 1)
        while start < n {
            var ok = true
            var k = 0
            while start + k < n {
                if hay[hay.startIndex + start + k] != pat[k] {
                    ok = false
                    break
                }
                k += 1
            }
            if ok { return start }
            start += 1
        }
        return n
    }

    // MARK: writing, pool, close

    /// `send` on the client connection (raw request socket).
    private func sendRaw(_ bytes: UnsafeRawBufferPointer, thread: LuaThread) -> String? {
        guard let conn = rawConn else { return "closed" }
        if busyWriting { return "socket busy writing" }
        var b = conn.allocator.buffer(capacity: bytes.count)
        b.writeBytes(bytes)
        let n = bytes.count
        busyWriting = true
        var started = false
        conn.writeAndFlush(b) { [weak self] ok in
            let finish = {
                self?.busyWriting = false
                thread.resume { co in
                    if ok {
                        lua_pushinteger(co, n)
                        return 1
                    }
                    lua_pushnil(co)
                    lua_pushstring(co, "closed")
                    return 2
                }
            }
            // A closed connection answers at once: resume only after the yield.
            if started { finish() } else { conn.eventLoop.execute(finish) }
        }
        started = true
        return nil
    }

    /// Sends `bytes`; `thread` is resumed with the count or `nil, err`.
    /// Writes what the socket takes at once, as ngx_lua does before it waits: a plain TCP
    /// connection with nothing queued in NIO gets one send(2), and `send` then returns
    /// without yielding when all of it went (the promise, timer and resume of the NIO
    /// path cost ~10k instructions). Returns the bytes written (0: none, use `send`).
    func trySendNow(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard !rawStream, !bodyStream, !busyWriting, bytes.count > 0, let ch = channel, let h = handler, h.tls == nil
        else { return 0 }
        if h.fd == -2 {
            h.fd = HTTPConnection.socketDescriptor(ch)
        }
        // NIO closes the descriptor and marks the channel inactive in one step.
        guard h.fd >= 0, ch.isActive else { return 0 }
        if nodelayPending {
            nodelayPending = false
            try? ch.syncOptions?.setOption(.tcpOption(.tcp_nodelay), value: 1)
        }
        return max(0, Glibc.send(h.fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL)))
    }

    /// Sends through NIO and resumes `thread` when done; `total` is what Lua is told was
    /// sent (bytes `trySendNow` wrote included).
    func send(_ bytes: UnsafeRawBufferPointer, thread: LuaThread, total: Int? = nil) -> String? {
        if rawStream { return sendRaw(bytes, thread: thread) }
        guard let ch = channel else { return "closed" }
        if busyWriting { return "socket busy writing" }
        if nodelayPending {
            nodelayPending = false
            try? ch.syncOptions?.setOption(.tcpOption(.tcp_nodelay), value: 1)
        }
        var b = ch.allocator.buffer(capacity: bytes.count)
        b.writeBytes(bytes)
        let n = total ?? bytes.count
        busyWriting = true
        var done = false
        let timer = sendTimeout > 0 ? LuaTimerHeap.add(ms: sendTimeout) { [weak self] in
            guard let self, !done else { return }
            done = true
            self.busyWriting = false
            if self.logErrors { thread.context.log(.error, "lua tcp socket write timed out") }
            self.closeChannel()
            thread.resume { co in
                lua_pushnil(co)
                lua_pushstring(co, "timeout")
                return 2
            }
        } : nil
        ch.writeAndFlush(b).whenComplete { [weak self] r in
            guard !done else { return }
            done = true
            timer?.cancel()
            self?.busyWriting = false
            switch r {
            case .success:
                thread.resume { co in
                    lua_pushinteger(co, n)
                    return 1
                }
            case .failure(let e):
                let msg = LuaSocketError.message(for: e)
                self?.closeChannel()
                thread.resume { co in
                    lua_pushnil(co)
                    lua_pushstring(co, msg)
                    return 2
                }
            }
        }
        return nil
    }

    /// `setkeepalive`: parks the connection in the pool; nil or an error.
    func setKeepalive(timeoutMs: Int?, size: Int?, defaultTimeout: () -> Int) -> String? {
        guard channel != nil, handler != nil else { return "closed" }
        if reader != nil { return "socket busy reading" }
        if busyWriting { return "socket busy writing" }
        if pos < inbuf.count { return "unread data in buffer" }
        if eof || !channel!.isActive {
            // The peer already closed (ngx_lua sees it when it checks the connection).
            closeChannel()
            return "closed"
        }
        // A pool connect found but did not size takes this call's size (or
        // lua_socket_pool_size, or connect's pool_size); a sized pool keeps its own.
        let p = pool ?? LuaConnectionPool.ensure("", size: size ?? poolSize, sized: false)
        p.fix(size: size ?? poolSize)
        // Moved out (no retain and release of each).
        let ch = channel.take()!
        let h = handler.take()!
        // The parked connection stays counted in its pool.
        counted = nil
        LuaConnectionPool.put(
            p, channel: ch, handler: h, reused: reusedTimes, timeoutMs: timeoutMs ?? defaultTimeout(),
            entry: entry.take())
        return nil
    }

    /// `close`: nil or "closed".
    func close() -> String? {
        if bodyStream {
            bodyStream = false
            return nil
        }
        if rawStream {
            rawStream = false
            if reader != nil {
                reader = nil
                LuaReadTimeouts.remove(self)
            }
            rawConn?.rawReader = { _ in }
            rawConn?.rawClosed = nil
            rawConn = nil
            inbuf = []
            pos = 0
            return nil
        }
        guard channel != nil else { return "closed" }
        if reader != nil {
            reader = nil
            LuaReadTimeouts.remove(self)
        }
        closeChannel()
        return nil
    }
}

/// `a.append(contentsOf: b.readableBytesView)` as one copy: the view is appended byte by
/// byte (~20 instructions a byte), its bytes as a contiguous buffer at once.
@inline(__always) func appendBytes(_ a: inout [UInt8], _ b: ByteBuffer) {
    b.withUnsafeReadableBytes { raw in
        a.append(contentsOf: UnsafeBufferPointer(start: raw.baseAddress?.assumingMemoryBound(to: UInt8.self), count: raw.count))
    }
}

extension String {
    var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
}

/// The timeouts of parked cosocket reads: one heap timer, armed for the earliest, instead
/// of a heap entry, a closure and a weak reference per read (nearly every read finishes
/// long before its timeout). A parked socket is kept here until its read ends.
enum LuaReadTimeouts {
    nonisolated(unsafe) private static var parked: [LuaTCPSocket] = []
    nonisolated(unsafe) private static var timer: LuaTimerEntry?
    nonisolated(unsafe) private static var armedAt = Int64.max
    nonisolated(unsafe) private static var seq: UInt64 = 0

    static func add(_ s: LuaTCPSocket, ms: Int) {
        remove(s)
        seq &+= 1
        s.readSeq = seq
        s.readDeadline = LuaTimerHeap.nowMsec + Int64(max(ms, 0))
        s.parkIndex = parked.count
        parked.append(s)
        if s.readDeadline < armedAt { arm(s.readDeadline) }
    }

    static func remove(_ s: LuaTCPSocket) {
        let i = s.parkIndex
        guard i >= 0 else { return }
        s.parkIndex = -1
        let last = parked.removeLast()
        if last !== s {
            parked[i] = last
            last.parkIndex = i
        }
    }

    private static func arm(_ deadline: Int64) {
        timer?.cancel()
        armedAt = deadline
        timer = LuaTimerHeap.add(ms: Int(max(deadline - LuaTimerHeap.nowMsec, 0))) { fire() }
    }

    private static func fire() {
        timer = nil
        armedAt = .max
        let now = LuaTimerHeap.nowMsec
        var due: [LuaTCPSocket] = []
        var next = Int64.max
        for s in parked {
            if s.readDeadline <= now {
                due.append(s)
            } else if s.readDeadline < next {
                next = s.readDeadline
            }
        }
        for s in due { remove(s) }
        if next != .max { arm(next) }
        // In the order the reads started, as their own timers fired.
        due.sort { ($0.readDeadline, $0.readSeq) < ($1.readDeadline, $1.readSeq) }
        for s in due { s.readTimedOut() }
    }
}
